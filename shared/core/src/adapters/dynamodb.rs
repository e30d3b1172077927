use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use serde::{Deserialize, Serialize};
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_attribute_value, to_item};
use sha2::{Digest, Sha256};

use super::store_error;
use crate::model::{Account, AccountStatus, PROVIDER_WEBFLOW};
use crate::ports::{
    AccountStore, CreateOutcome, ListFilter, ListedPage, RelinkChanges, StoreError, TestOutcome,
};
use crate::tenant::Tenant;

const SERVICE: &str = "DynamoDB";
const ACCOUNT_PREFIX: &str = "ACCOUNT#";
/// Items read per query when a filter may drop some of them; more than the largest page
/// so a sparse filter needs fewer round trips.
const FILTERED_QUERY_PAGE: i32 = 200;

type Item = HashMap<String, AttributeValue>;

/// Account records in one DynamoDB table with a string partition key `pk` and sort key `sk`.
///
/// A tenant's items share the partition `TENANT#<tenant key>`: accounts under
/// `ACCOUNT#<account id>`, and one uniqueness item per linked site and origin owner under
/// `LINK#webflow#<site id>#<SHA-256 of the origin owner id>`. Hashing the owner id keeps any
/// `#` in it from forging another owner's key.
#[derive(Debug, Clone)]
pub struct DynamoAccountStore {
    client: Client,
    table: String,
}

#[derive(Serialize, Deserialize)]
struct AccountItem {
    pk: String,
    sk: String,
    /// The version id of the secret version holding this account's token.
    token_version: String,
    #[serde(flatten)]
    account: Account,
}

#[derive(Serialize, Deserialize)]
struct LinkItem {
    pk: String,
    sk: String,
    account_id: String,
}

fn partition_key(tenant: &Tenant) -> String {
    format!("TENANT#{}", tenant.key())
}

fn account_sort_key(account_id: &str) -> String {
    format!("{ACCOUNT_PREFIX}{account_id}")
}

fn link_sort_key(site_id: &str, origin_owner_id: &str) -> String {
    let owner_hash = hex::encode(Sha256::digest(origin_owner_id.as_bytes()));
    format!("LINK#{PROVIDER_WEBFLOW}#{site_id}#{owner_hash}")
}

fn key(pk: String, sk: String) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(pk)),
        ("sk".to_owned(), AttributeValue::S(sk)),
    ])
}

fn value<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    to_attribute_value(value)
        .map_err(|error| StoreError::Corrupt(format!("cannot encode a value: {error}")))
}

fn stored_account_from_item(item: Item) -> Result<AccountItem, StoreError> {
    from_item(item)
        .map_err(|error| StoreError::Corrupt(format!("cannot decode an account item: {error}")))
}

fn account_from_item(item: Item) -> Result<Account, StoreError> {
    Ok(stored_account_from_item(item)?.account)
}

fn is_conditional_check_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    error: &E,
) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

impl DynamoAccountStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn put(&self, item: Item, condition: &str) -> TransactWriteItem {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .build();
        // `build` fails only without a table name or item, which are both set above.
        TransactWriteItem::builder().set_put(put.ok()).build()
    }
}

impl AccountStore for DynamoAccountStore {
    async fn find_linked(
        &self,
        tenant: &Tenant,
        site_id: &str,
        origin_owner_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(
                partition_key(tenant),
                link_sort_key(site_id, origin_owner_id),
            )))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| store_error(SERVICE, "GetItem", error.into_service_error()))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let link: LinkItem = from_item(item)
            .map_err(|error| StoreError::Corrupt(format!("cannot decode a link item: {error}")))?;
        Ok(Some(link.account_id))
    }

    async fn get(&self, tenant: &Tenant, account_id: &str) -> Result<Option<Account>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(
                partition_key(tenant),
                account_sort_key(account_id),
            )))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| store_error(SERVICE, "GetItem", error.into_service_error()))?;
        output.item.map(account_from_item).transpose()
    }

    async fn create(
        &self,
        tenant: &Tenant,
        account: &Account,
        token_version: &str,
    ) -> Result<CreateOutcome, StoreError> {
        let pk = partition_key(tenant);
        let account_item = AccountItem {
            pk: pk.clone(),
            sk: account_sort_key(&account.id),
            token_version: token_version.to_owned(),
            account: account.clone(),
        };
        let link_item = LinkItem {
            pk,
            sk: link_sort_key(&account.site.id, &account.origin_owner_id),
            account_id: account.id.clone(),
        };
        let encode = |error: serde_dynamo::Error| {
            StoreError::Corrupt(format!("cannot encode an item: {error}"))
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.put(
                to_item(account_item).map_err(encode)?,
                "attribute_not_exists(pk)",
            ))
            .transact_items(self.put(
                to_item(link_item).map_err(encode)?,
                "attribute_not_exists(pk)",
            ))
            .send()
            .await;
        match result {
            Ok(_) => Ok(CreateOutcome::Created),
            Err(error) => match error.into_service_error() {
                // The account id is new, so a failed condition means the link item exists.
                TransactWriteItemsError::TransactionCanceledException(cancelled)
                    if cancelled
                        .cancellation_reasons()
                        .iter()
                        .any(|reason| reason.code() == Some("ConditionalCheckFailed")) =>
                {
                    Ok(CreateOutcome::SiteAlreadyLinked)
                }
                other => Err(store_error(SERVICE, "TransactWriteItems", other)),
            },
        }
    }

    async fn relink(
        &self,
        tenant: &Tenant,
        account_id: &str,
        changes: &RelinkChanges,
        expected_updated_at: Option<&str>,
    ) -> Result<Option<(Account, String)>, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                partition_key(tenant),
                account_sort_key(account_id),
            )))
            .update_expression(
                "SET #owner_name = :owner_name, #label = :label, #site = :site, #user = :user, \
                 #hint = :hint, #updated = :updated, #status = :status, #reason = :reason, \
                 #version = :version",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#owner_name", "origin_owner_name")
            .expression_attribute_names("#label", "label")
            .expression_attribute_names("#site", "site")
            .expression_attribute_names("#user", "authorized_user")
            .expression_attribute_names("#hint", "token_hint")
            .expression_attribute_names("#updated", "updated_at")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#reason", "status_reason")
            .expression_attribute_names("#version", "token_version")
            .expression_attribute_values(":owner_name", value(&changes.origin_owner_name)?)
            .expression_attribute_values(":label", value(&changes.label)?)
            .expression_attribute_values(":site", value(&changes.site)?)
            .expression_attribute_values(":user", value(&changes.authorized_user)?)
            .expression_attribute_values(":hint", value(&changes.token_hint)?)
            .expression_attribute_values(":updated", value(&changes.updated_at)?)
            .expression_attribute_values(":status", value(&changes.status)?)
            .expression_attribute_values(":reason", value(&changes.status_reason)?)
            .expression_attribute_values(":version", value(&changes.token_version)?)
            .return_values(ReturnValue::AllOld);
        if let Some(expected) = expected_updated_at {
            request = request
                .condition_expression("attribute_exists(pk) AND #updated = :expected")
                .expression_attribute_values(":expected", AttributeValue::S(expected.to_owned()));
        }

        match request.send().await {
            Ok(output) => output
                .attributes
                .map(|item| {
                    let stored = stored_account_from_item(item)?;
                    Ok((stored.account, stored.token_version))
                })
                .transpose(),
            Err(error) => {
                let error = error.into_service_error();
                if is_conditional_check_failure(&error) {
                    Ok(None)
                } else {
                    Err(store_error(SERVICE, "UpdateItem", error))
                }
            }
        }
    }

    async fn record_test(
        &self,
        tenant: &Tenant,
        account_id: &str,
        outcome: &TestOutcome,
    ) -> Result<Option<Account>, StoreError> {
        let mut update = String::from("SET #tested = :tested, #result = :result");
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(partition_key(tenant), account_sort_key(account_id))))
            // Timestamps have a fixed width, so string order is time order: an outcome
            // older than the recorded one is dropped, and `last_tested_at` never moves back.
            .condition_expression(
                "attribute_exists(pk) AND #version = :version \
                 AND (attribute_not_exists(#tested) OR attribute_type(#tested, :null_type) OR #tested < :tested)",
            )
            .expression_attribute_names("#version", "token_version")
            .expression_attribute_values(":version", value(&outcome.token_version)?)
            .expression_attribute_names("#tested", "last_tested_at")
            .expression_attribute_names("#result", "last_test_result")
            .expression_attribute_values(":tested", value(&outcome.tested_at)?)
            .expression_attribute_values(":result", value(&outcome.result)?)
            .expression_attribute_values(":null_type", AttributeValue::S("NULL".to_owned()))
            .return_values(ReturnValue::AllNew);
        let new_status = match (&outcome.error_reason, outcome.result.is_token_fault()) {
            (Some(reason), true) => Some((AccountStatus::Error, value(reason)?)),
            _ if outcome.result == crate::model::TestResult::Ok => {
                Some((AccountStatus::Active, AttributeValue::Null(true)))
            }
            _ => None,
        };
        if let Some((status, reason)) = new_status {
            update.push_str(", #status = :status, #reason = :reason");
            request = request
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#reason", "status_reason")
                .expression_attribute_values(":status", value(&status)?)
                .expression_attribute_values(":reason", reason);
        }

        match request.update_expression(update).send().await {
            Ok(output) => output.attributes.map(account_from_item).transpose(),
            Err(error) => {
                let error = error.into_service_error();
                if is_conditional_check_failure(&error) {
                    // The account is gone, a later test is recorded, or a relink replaced
                    // the tested token. The caller gets the account as stored.
                    self.get(tenant, account_id).await
                } else {
                    Err(store_error(SERVICE, "UpdateItem", error))
                }
            }
        }
    }

    async fn list(
        &self,
        tenant: &Tenant,
        filter: &ListFilter,
        limit: u16,
        after: Option<&str>,
    ) -> Result<ListedPage, StoreError> {
        let limit = usize::from(limit);
        let mut filters = Vec::new();
        let mut names = HashMap::new();
        let mut values = HashMap::from([
            (":pk".to_owned(), AttributeValue::S(partition_key(tenant))),
            (
                ":prefix".to_owned(),
                AttributeValue::S(ACCOUNT_PREFIX.to_owned()),
            ),
        ]);
        if let Some(owner) = &filter.origin_owner_id {
            filters.push("#owner = :owner");
            names.insert("#owner".to_owned(), "origin_owner_id".to_owned());
            values.insert(":owner".to_owned(), AttributeValue::S(owner.clone()));
        }
        if let Some(status) = filter.status {
            filters.push("#status = :status");
            names.insert("#status".to_owned(), "status".to_owned());
            values.insert(":status".to_owned(), value(&status)?);
        }
        let filter_expression = (!filters.is_empty()).then(|| filters.join(" AND "));
        let page_size = if filter_expression.is_some() {
            FILTERED_QUERY_PAGE
        } else {
            limit as i32
        };

        let mut accounts = Vec::with_capacity(limit);
        let mut start_key = after.map(|id| key(partition_key(tenant), account_sort_key(id)));
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .set_filter_expression(filter_expression.clone())
                .set_expression_attribute_names((!names.is_empty()).then(|| names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .set_exclusive_start_key(start_key.take())
                .limit(page_size)
                .consistent_read(true)
                .send()
                .await
                .map_err(|error| store_error(SERVICE, "Query", error.into_service_error()))?;

            for item in output.items.unwrap_or_default() {
                accounts.push(account_from_item(item)?);
                // Stopping inside a page is safe: the next page starts after the last
                // account returned, because items are in account id order.
                if accounts.len() == limit {
                    let continue_after = accounts.last().map(|account| account.id.clone());
                    return Ok(ListedPage {
                        accounts,
                        continue_after,
                    });
                }
            }
            match output.last_evaluated_key {
                Some(last) => start_key = Some(last),
                None => {
                    return Ok(ListedPage {
                        accounts,
                        continue_after: None,
                    });
                }
            }
        }
    }
}
