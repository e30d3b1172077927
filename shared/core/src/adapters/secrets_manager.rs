use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::operation::put_secret_value::PutSecretValueError;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};
use serde::{Deserialize, Serialize};
use sitelink_validation::SiteToken;

use super::store_error;
use crate::model::PROVIDER_WEBFLOW;
use crate::ports::{SecretPage, SecretStore, SecretSummary, SecretTags, StoreError, StoredToken};

const SERVICE: &str = "Secrets Manager";

/// Tag keys on every Sitelink secret.
pub const TAG_TENANT: &str = "sitelink:tenant";
pub const TAG_ACCOUNT_ID: &str = "sitelink:account-id";
pub const TAG_PROVIDER: &str = "sitelink:provider";

/// The secret's value, as JSON.
#[derive(Serialize)]
struct SecretValue<'a> {
    site_token: &'a str,
}

#[derive(Deserialize)]
struct StoredSecretValue {
    site_token: String,
}

/// Site tokens in AWS Secrets Manager, one secret per account.
#[derive(Debug, Clone)]
pub struct SecretsManagerStore {
    client: Client,
    kms_key_id: Option<String>,
}

impl SecretsManagerStore {
    /// `kms_key_id` selects the key new secrets are encrypted with; `None` uses the
    /// account's AWS managed key for Secrets Manager.
    pub fn new(client: Client, kms_key_id: Option<String>) -> Self {
        Self { client, kms_key_id }
    }
}

fn secret_string(token: &SiteToken) -> String {
    let value = SecretValue {
        site_token: token.expose(),
    };
    // A struct of one string field always serializes, so the default is never used.
    serde_json::to_string(&value).unwrap_or_default()
}

/// Tells the InvalidRequestException of a secret scheduled for deletion from others: the
/// message reads "marked for deletion" on AWS and "marked deleted" on moto.
fn is_marked_for_deletion(message: Option<&str>) -> bool {
    message
        .is_some_and(|text| text.contains("marked for deletion") || text.contains("marked deleted"))
}

impl SecretsManagerStore {
    async fn put_value(
        &self,
        name: &str,
        token: &SiteToken,
        version: &str,
    ) -> Result<(), PutSecretValueError> {
        self.client
            .put_secret_value()
            .secret_id(name)
            .client_request_token(version)
            .secret_string(secret_string(token))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| error.into_service_error())
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

impl SecretStore for SecretsManagerStore {
    async fn create(
        &self,
        name: &str,
        token: &SiteToken,
        tags: &SecretTags,
        version: &str,
    ) -> Result<(), StoreError> {
        self.client
            .create_secret()
            .name(name)
            .client_request_token(version)
            .secret_string(secret_string(token))
            .set_kms_key_id(self.kms_key_id.clone())
            .tags(tag(TAG_TENANT, &tags.tenant_key))
            .tags(tag(TAG_ACCOUNT_ID, &tags.account_id))
            .tags(tag(TAG_PROVIDER, PROVIDER_WEBFLOW))
            .send()
            .await
            .map_err(|error| store_error(SERVICE, "CreateSecret", error.into_service_error()))?;
        Ok(())
    }

    async fn put(
        &self,
        name: &str,
        token: &SiteToken,
        tags: &SecretTags,
        version: &str,
    ) -> Result<(), StoreError> {
        let error = match self.put_value(name, token, version).await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        if error.is_resource_not_found_exception() {
            tracing::warn!(
                secret_name = name,
                "the secret was missing; creating it again"
            );
            return self.create(name, token, tags, version).await;
        }
        // NOTE: moto accepts PutSecretValue on a secret scheduled for deletion, so only
        // real AWS takes this branch; the tests cover the missing-secret branch above.
        if error.is_invalid_request_exception() && is_marked_for_deletion(error.message()) {
            tracing::warn!(
                secret_name = name,
                "the secret was scheduled for deletion; restoring it"
            );
            self.client
                .restore_secret()
                .secret_id(name)
                .send()
                .await
                .map_err(|error| {
                    store_error(SERVICE, "RestoreSecret", error.into_service_error())
                })?;
            return self
                .put_value(name, token, version)
                .await
                .map_err(|error| store_error(SERVICE, "PutSecretValue", error));
        }
        Err(store_error(SERVICE, "PutSecretValue", error))
    }

    async fn get(&self, name: &str) -> Result<Option<StoredToken>, StoreError> {
        let output = match self.client.get_secret_value().secret_id(name).send().await {
            Ok(output) => output,
            Err(error) => {
                let error = error.into_service_error();
                if error.is_resource_not_found_exception() {
                    return Ok(None);
                }
                if error.is_invalid_request_exception() && is_marked_for_deletion(error.message()) {
                    return Err(StoreError::SecretScheduledForDeletion);
                }
                return Err(store_error(SERVICE, "GetSecretValue", error));
            }
        };
        let text = output
            .secret_string()
            .ok_or_else(|| StoreError::Corrupt("the secret has no string value".to_owned()))?;
        let value: StoredSecretValue = serde_json::from_str(text).map_err(|_| {
            StoreError::Corrupt("the secret's value is not the expected JSON object".to_owned())
        })?;
        let version = output.version_id().ok_or_else(|| {
            StoreError::Corrupt("the secret's current version has no id".to_owned())
        })?;
        Ok(Some(StoredToken {
            token: SiteToken::from_stored(value.site_token),
            version: version.to_owned(),
        }))
    }

    async fn delete(&self, name: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_secret()
            .secret_id(name)
            .force_delete_without_recovery(true)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => {
                let error = error.into_service_error();
                if error.is_resource_not_found_exception() {
                    Ok(())
                } else {
                    Err(store_error(SERVICE, "DeleteSecret", error))
                }
            }
        }
    }

    async fn list(
        &self,
        prefix: &str,
        next_token: Option<String>,
    ) -> Result<SecretPage, StoreError> {
        let output = self
            .client
            .list_secrets()
            .filters(
                Filter::builder()
                    .key(FilterNameStringType::Name)
                    .values(prefix)
                    .build(),
            )
            .set_next_token(next_token)
            .max_results(100)
            .send()
            .await
            .map_err(|error| store_error(SERVICE, "ListSecrets", error.into_service_error()))?;
        let secrets = output
            .secret_list()
            .iter()
            .filter(|entry| entry.deleted_date().is_none())
            .map(|entry| {
                let tag_value = |key: &str| {
                    entry
                        .tags()
                        .iter()
                        .find(|tag| tag.key() == Some(key))
                        .and_then(|tag| tag.value())
                        .map(str::to_owned)
                };
                SecretSummary {
                    name: entry.name().unwrap_or_default().to_owned(),
                    tenant_key: tag_value(TAG_TENANT),
                    account_id: tag_value(TAG_ACCOUNT_ID),
                    created_at: entry
                        .created_date()
                        .and_then(|at| std::time::SystemTime::try_from(*at).ok()),
                }
            })
            .collect();
        Ok(SecretPage {
            secrets,
            next_token: output.next_token().map(str::to_owned),
        })
    }
}
