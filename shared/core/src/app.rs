//! The per-process state every handler shares.

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use crate::adapters::{DynamoAccountStore, SecretsManagerStore};
use crate::config::{AwsTimeouts, Config};
use crate::cursor::CursorCodec;
use crate::tenant::Tenant;
use crate::webflow::{ClientBuildError, WebflowClient};

/// Clients and configuration, built once per process and shared by every request.
pub struct App<A = DynamoAccountStore, S = SecretsManagerStore, W = WebflowClient> {
    pub config: Config,
    pub accounts: A,
    pub secrets: S,
    pub webflow: W,
    pub cursors: CursorCodec,
}

/// A client that could not be built at start-up.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StartupError(#[from] ClientBuildError);

impl App {
    /// Builds the AWS and Webflow clients from `config` and the standard AWS environment
    /// (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL`). Nothing is sent over the network
    /// here: credentials and connections are set up on first use.
    pub async fn from_config(config: Config) -> Result<Self, StartupError> {
        let sdk_config = load_aws_config(&config.aws_timeouts).await;
        let accounts = DynamoAccountStore::new(
            aws_sdk_dynamodb::Client::new(&sdk_config),
            config.table_name.clone(),
        );
        let secrets = SecretsManagerStore::new(
            aws_sdk_secretsmanager::Client::new(&sdk_config),
            config.kms_key_id.clone(),
        );
        let webflow = WebflowClient::new(config.webflow.clone())?;
        Ok(Self::with_ports(config, accounts, secrets, webflow))
    }
}

/// Loads the AWS configuration from the standard environment (`AWS_REGION`, credentials,
/// `AWS_ENDPOINT_URL`) with Sitelink's timeouts.
pub async fn load_aws_config(timeouts: &AwsTimeouts) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(timeouts.attempt)
        .operation_timeout(timeouts.operation)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .load()
        .await
}

impl<A, S, W> App<A, S, W> {
    /// Assembles an app from any implementations of the ports.
    pub fn with_ports(config: Config, accounts: A, secrets: S, webflow: W) -> Self {
        let cursors = CursorCodec::new(config.cursor_keys.clone());
        Self {
            config,
            accounts,
            secrets,
            webflow,
            cursors,
        }
    }

    /// Names an account's secret after the tenant key and account id, never after
    /// anything a person typed.
    pub fn secret_name(&self, tenant: &Tenant, account_id: &str) -> String {
        format!("{}{}/{account_id}", self.config.secret_prefix, tenant.key())
    }
}
