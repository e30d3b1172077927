//! The table and the accounts that the scenarios need, written straight to the emulator.
//!
//! Each tenant's first account is linked in-process through Sitelink's own `link`
//! operation, so its record and secret are exactly what the service writes. Large tenants
//! are then filled by copying that record under new account ids with `BatchWriteItem`,
//! which takes seconds where linking 10 000 accounts one by one would take minutes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, PutRequest,
    ScalarAttributeType, WriteRequest,
};
use futures::StreamExt;
use serde_json::json;
use sitelink_core::App;
use sitelink_core::adapters::{DynamoAccountStore, SecretsManagerStore};
use sitelink_core::config::Config;
use sitelink_core::operations;
use sitelink_core::tenant::Tenant;
use sitelink_core::webflow::WebflowClient;
use sitelink_validation::{ACCOUNT_ID_PREFIX, validate_link_request};

use crate::BoxError;

/// `BatchWriteItem` takes at most 25 items per request.
const BATCH_SIZE: usize = 25;
/// Batch requests in flight at once; moto serves them on its own threads.
const BATCHES_IN_FLIGHT: usize = 4;

type Item = HashMap<String, AttributeValue>;

/// Creates a table with Sitelink's key schema (string `pk` and `sk`, on-demand billing,
/// as in `template.yaml`).
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<(), BoxError> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |name: &str, key_type| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
    };
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(attribute("pk")?)
        .attribute_definitions(attribute("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|error| format!("creating table {name} in moto failed: {error:?}"))?;
    Ok(())
}

/// Links accounts in-process with the same code the link function runs.
pub struct Linker {
    app: App,
}

impl Linker {
    pub fn new(config: Config, sdk: &aws_config::SdkConfig) -> Result<Self, BoxError> {
        let accounts = DynamoAccountStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            config.table_name.clone(),
        );
        let secrets = SecretsManagerStore::new(aws_sdk_secretsmanager::Client::new(sdk), None);
        let webflow = WebflowClient::new(config.webflow.clone())?;
        Ok(Self {
            app: App::with_ports(config, accounts, secrets, webflow),
        })
    }

    /// Links the site that `token` is bound to in the fake for `tenant` and `owner_id`,
    /// and returns the account id.
    pub async fn link(
        &self,
        tenant: &str,
        token: &str,
        owner_id: &str,
    ) -> Result<String, BoxError> {
        let tenant = Tenant::new(tenant).map_err(|error| format!("invalid tenant: {error:?}"))?;
        let body = json!({
            "site_token": token,
            "origin_owner_id": owner_id,
            "origin_owner_name": format!("Owner {owner_id}"),
            "label": "benchmark"
        });
        let body = body.as_object().cloned().unwrap_or_default();
        let request = validate_link_request(&body)
            .map_err(|errors| format!("invalid link request: {errors:?}"))?;
        let linked = operations::link(&self.app, &tenant, request)
            .await
            .map_err(|error| format!("linking a seed account failed: {error}"))?;
        Ok(linked.account.id)
    }
}

/// Returns the stored item of the account `account_id`, found by a scan. The table holds
/// only a few seed items when this runs.
pub async fn find_account_item(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    account_id: &str,
) -> Result<Item, BoxError> {
    let mut start_key = None;
    loop {
        let output = client
            .scan()
            .table_name(table)
            .filter_expression("#id = :id")
            .expression_attribute_names("#id", "id")
            .expression_attribute_values(":id", AttributeValue::S(account_id.to_owned()))
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .map_err(|error| format!("scanning {table} failed: {error:?}"))?;
        if let Some(item) = output.items.unwrap_or_default().into_iter().next() {
            return Ok(item);
        }
        match output.last_evaluated_key {
            Some(key) => start_key = Some(key),
            None => return Err(format!("no item with id {account_id} in {table}").into()),
        }
    }
}

/// Writes `count` copies of the account item `template` under new account ids.
///
/// Every top-level string attribute that contains the template's account id (the `id`
/// itself and the sort key built from it) gets the new id, so the copies follow
/// whatever key layout the store uses.
pub async fn copy_account(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    template: &Item,
    template_id: &str,
    count: usize,
) -> Result<(), BoxError> {
    let items: Vec<Item> = (0..count)
        .map(|_| {
            let new_id = format!("{ACCOUNT_ID_PREFIX}{}", uuid::Uuid::now_v7().simple());
            template
                .iter()
                .map(|(name, value)| {
                    let value = match value {
                        AttributeValue::S(text) if text.contains(template_id) => {
                            AttributeValue::S(text.replace(template_id, &new_id))
                        }
                        other => other.clone(),
                    };
                    (name.clone(), value)
                })
                .collect()
        })
        .collect();

    let batches: Vec<Vec<Item>> = items.chunks(BATCH_SIZE).map(<[Item]>::to_vec).collect();
    let results: Vec<Result<(), BoxError>> = futures::stream::iter(batches)
        .map(|batch| write_batch(client, table, batch))
        .buffer_unordered(BATCHES_IN_FLIGHT)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Writes one batch, resending unprocessed items until none are left.
async fn write_batch(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    batch: Vec<Item>,
) -> Result<(), BoxError> {
    let mut requests: Vec<WriteRequest> = batch
        .into_iter()
        .map(|item| {
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map(|put| WriteRequest::builder().put_request(put).build())
        })
        .collect::<Result<_, _>>()?;
    for _attempt in 0..10 {
        let output = client
            .batch_write_item()
            .request_items(table, requests)
            .send()
            .await
            .map_err(|error| format!("BatchWriteItem on {table} failed: {error:?}"))?;
        requests = output
            .unprocessed_items
            .and_then(|mut unprocessed| unprocessed.remove(table))
            .unwrap_or_default();
        if requests.is_empty() {
            return Ok(());
        }
    }
    Err(format!(
        "BatchWriteItem left {} items unprocessed after 10 attempts",
        requests.len()
    )
    .into())
}
