//! Support for Sitelink's end-to-end tests: a harness that runs the real handlers against
//! the local AWS emulator (reached through `AWS_ENDPOINT_URL`) and an in-process Webflow
//! fake, with API Gateway v2 events built as API Gateway sends them.
//!
//! Every response body passes through [`Harness::send`], which fails the test if any token
//! the harness handed out appears in it; [`Harness::assert_no_token_in_logs`] does the same
//! for the captured log output.

mod events;
mod faults;
mod logs;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{Body, Request};
use serde_json::Value;
use sitelink_core::App;
use sitelink_core::adapters::{DynamoAccountStore, SecretsManagerStore};
use sitelink_core::config::Config;
use sitelink_core::webflow::WebflowClient;
use webflow_fake::FakeWebflow;

pub use events::EventBuilder;
pub use faults::{Fault, Faults, FaultyAccounts, FaultySecrets, Operation};
pub use logs::captured_logs;

/// A response, split into what tests check.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

/// The app under test: the real adapters, behind wrappers that can inject faults.
pub type TestApp = App<FaultyAccounts, FaultySecrets, WebflowClient>;

/// One isolated Sitelink: its own table, secret name prefix and Webflow fake.
pub struct Harness {
    pub app: TestApp,
    pub faults: Arc<Faults>,
    pub webflow: FakeWebflow,
    pub table: String,
    pub secret_prefix: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    tokens: Mutex<Vec<String>>,
}

/// Which function a request goes to.
#[derive(Debug, Clone, Copy)]
pub enum Function {
    Link,
    Test,
    List,
}

/// Loads the AWS configuration for the emulator, failing with the fix when it is not set.
pub async fn emulator_config() -> aws_config::SdkConfig {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "AWS_ENDPOINT_URL must point at the local AWS emulator on 127.0.0.1 (got {endpoint:?}); run the tests with infra/test.sh, which starts it"
    );
    sitelink_core::app::load_aws_config(&sitelink_core::config::AwsTimeouts::default()).await
}

/// Creates a table with Sitelink's key schema and returns its name.
pub async fn create_table(client: &aws_sdk_dynamodb::Client) -> String {
    let name = format!("sitelink-test-{}", uuid::Uuid::now_v7().simple());
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute definition")
    };
    let key = |name: &str, key_type| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .expect("key")
    };
    client
        .create_table()
        .table_name(&name)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create the test table in the emulator");
    name
}

/// Returns a random site token: 64 lowercase hexadecimal characters.
pub fn random_token() -> String {
    (0..64)
        .map(|_| char::from(b"0123456789abcdef"[fastrand::usize(..16)]))
        .collect()
}

/// Returns a random token bound, in the fake, to the same site as `other`.
pub fn token_for_same_site(other: &str) -> String {
    let fresh = random_token();
    format!("{}{}", &fresh[..40], &other[40..])
}

impl Harness {
    /// Starts a harness with the default Webflow deadline shortened so that tests of
    /// outages stay fast.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a harness, letting `adjust` change the configuration first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        logs::install();
        let sdk = emulator_config().await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
        let table = create_table(&dynamodb).await;
        let webflow = FakeWebflow::start(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("start the Webflow fake");
        let secret_prefix = format!("sitelink-test/{}/", uuid::Uuid::now_v7().simple());
        let cursor_key = "test-cursor-key-0123456789abcdef0123456789".to_owned();

        let mut config = Config::from_lookup(|name| match name {
            "SITELINK_TABLE_NAME" => Some(table.clone()),
            "SITELINK_SECRET_PREFIX" => Some(secret_prefix.clone()),
            "WEBFLOW_API_BASE_URL" => Some(webflow.base_url()),
            "SITELINK_CURSOR_KEYS" => Some(cursor_key.clone()),
            "SITELINK_WEBFLOW_DEADLINE_MS" => Some("1500".to_owned()),
            _ => None,
        })
        .expect("test configuration");
        config.webflow.backoff_base = std::time::Duration::from_millis(5);
        adjust(&mut config);

        let faults = Arc::new(Faults::default());
        let accounts = FaultyAccounts {
            inner: DynamoAccountStore::new(dynamodb.clone(), config.table_name.clone()),
            faults: faults.clone(),
        };
        let secret_store = FaultySecrets {
            inner: SecretsManagerStore::new(secrets.clone(), None),
            faults: faults.clone(),
        };
        let webflow_client =
            WebflowClient::new(config.webflow.clone()).expect("build the Webflow client");
        let app = App::with_ports(config, accounts, secret_store, webflow_client);

        Self {
            app,
            faults,
            webflow,
            table,
            secret_prefix,
            dynamodb,
            secrets,
            tokens: Mutex::new(Vec::new()),
        }
    }

    /// Returns a new random token, remembered so that no response or log may contain it.
    pub fn token(&self) -> String {
        self.remember(random_token())
    }

    /// Remembers a token made elsewhere, so that no response or log may contain it.
    pub fn remember(&self, token: String) -> String {
        self.tokens.lock().expect("token list").push(token.clone());
        token
    }

    /// Sends `request` to `function` and checks that no known token is in the response.
    pub async fn send(&self, function: Function, request: Request) -> Reply {
        let response = match function {
            Function::Link => sitelink_core::http::handle_link(&self.app, request).await,
            Function::Test => sitelink_core::http::handle_test(&self.app, request).await,
            Function::List => sitelink_core::http::handle_list(&self.app, request).await,
        };
        let (parts, body) = response.into_parts();
        let text = match body {
            Body::Text(text) => text,
            Body::Binary(bytes) => String::from_utf8(bytes).expect("UTF-8 response"),
            Body::Empty => String::new(),
            _ => panic!("unexpected body kind"),
        };
        for token in self.tokens.lock().expect("token list").iter() {
            assert!(
                !text.contains(token.as_str()),
                "a token appeared in a response body"
            );
            assert!(
                !format!("{:?}", parts.headers).contains(token.as_str()),
                "a token appeared in a response header"
            );
        }
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON response body")
        };
        Reply {
            status: parts.status,
            headers: parts.headers,
            text,
            json,
        }
    }

    /// Links with the usual body for `tenant`.
    pub async fn link(&self, tenant: &str, token: &str, owner: &str) -> Reply {
        let body = serde_json::json!({
            "site_token": token,
            "origin_owner_id": owner,
            "origin_owner_name": format!("Owner {owner}"),
        });
        self.send(
            Function::Link,
            EventBuilder::link(&body.to_string()).tenant(tenant).build(),
        )
        .await
    }

    /// Links a new account and returns its id, failing the test unless the link returns 201.
    pub async fn linked_id(&self, tenant: &str, token: &str, owner: &str) -> String {
        let reply = self.link(tenant, token, owner).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json["id"]
            .as_str()
            .expect("the account id")
            .to_owned()
    }

    pub async fn test(&self, tenant: &str, account_id: &str) -> Reply {
        self.send(
            Function::Test,
            EventBuilder::test(account_id).tenant(tenant).build(),
        )
        .await
    }

    pub async fn list(&self, tenant: &str, query: &str) -> Reply {
        self.send(
            Function::List,
            EventBuilder::list(query).tenant(tenant).build(),
        )
        .await
    }

    /// Names of the secrets under this harness's prefix, deleted ones excluded.
    pub async fn secret_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut pages = self
            .secrets
            .list_secrets()
            .filters(
                aws_sdk_secretsmanager::types::Filter::builder()
                    .key(aws_sdk_secretsmanager::types::FilterNameStringType::Name)
                    .values(&self.secret_prefix)
                    .build(),
            )
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.expect("list secrets");
            for secret in page.secret_list() {
                let name = secret.name().unwrap_or_default();
                if secret.deleted_date().is_none() && name.starts_with(&self.secret_prefix) {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        names
    }

    /// Reads an account's stored token, as the test-connection function would.
    pub async fn stored_token(&self, secret_name: &str) -> Option<String> {
        let output = self
            .secrets
            .get_secret_value()
            .secret_id(secret_name)
            .send()
            .await
            .ok()?;
        let value: Value = serde_json::from_str(output.secret_string()?).ok()?;
        value["site_token"].as_str().map(str::to_owned)
    }

    /// Counts the items in this harness's table.
    pub async fn item_count(&self) -> usize {
        let output = self
            .dynamodb
            .scan()
            .table_name(&self.table)
            .send()
            .await
            .expect("scan");
        output.items().len()
    }

    /// Fails if any token this harness handed out appears in the captured logs. Dropping
    /// the harness checks this too.
    pub fn assert_no_token_in_logs(&self) {
        let logs = captured_logs();
        assert!(!logs.is_empty(), "no log output was captured");
        for token in self.tokens.lock().expect("token list").iter() {
            assert!(
                !logs.contains(token.as_str()),
                "a token appeared in the log output"
            );
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // A second panic while a failed test unwinds would abort the whole test binary.
        if !std::thread::panicking() {
            self.assert_no_token_in_logs();
        }
    }
}
