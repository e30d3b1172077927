//! Times each step of a Sitelink function's start-up (the work `main` does before
//! `lambda_http::run`), once, and prints the steps as a JSON array of
//! `[name, microseconds]` pairs in order. Costs such as loading root certificates are paid
//! once per process, so the harness starts this binary many times and takes medians.
//!
//! Two `GetItem` calls follow the start-up steps. What the first costs beyond the second
//! is the one-time work (a connection, lazy SDK state) that a warm-up call during init
//! would move out of the first invocation.

use std::time::Instant;

use sitelink_core::Config;
use sitelink_core::adapters::DynamoAccountStore;
use sitelink_core::ports::AccountStore;
use sitelink_core::tenant::Tenant;
use sitelink_core::webflow::WebflowClient;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut steps: Vec<(&str, u128)> = Vec::new();
    let mut last = Instant::now();
    let mut lap = |name: &'static str, steps: &mut Vec<(&str, u128)>| {
        let now = Instant::now();
        steps.push((name, now.duration_since(last).as_micros()));
        last = now;
    };

    // What `#[tokio::main(flavor = "current_thread")]` builds.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    lap("tokio runtime", &mut steps);

    runtime.block_on(async {
        sitelink_core::logging::init();
        lap("tracing subscriber", &mut steps);

        let config = Config::from_env()?;
        lap("Config::from_env", &mut steps);

        let sdk_config = sitelink_core::app::load_aws_config(&config.aws_timeouts).await;
        lap("AWS SDK configuration", &mut steps);

        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config);
        lap("DynamoDB client", &mut steps);

        let secrets = aws_sdk_secretsmanager::Client::new(&sdk_config);
        lap("Secrets Manager client", &mut steps);

        let webflow = WebflowClient::new(config.webflow.clone())?;
        lap("Webflow reqwest client", &mut steps);

        drop((secrets, webflow));

        // Any tenant key and account id will do: a missing item costs the same round trip.
        let accounts = DynamoAccountStore::new(dynamodb, config.table_name.clone());
        let tenant = Tenant::from_key(&"0".repeat(32)).ok_or("invalid probe tenant key")?;
        let account_id = format!("acc_{}", "0".repeat(32));
        accounts.get(&tenant, &account_id).await?;
        lap("first DynamoDB GetItem", &mut steps);
        accounts.get(&tenant, &account_id).await?;
        lap("second DynamoDB GetItem", &mut steps);
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;

    println!("{}", serde_json::to_string(&steps)?);
    Ok(())
}
