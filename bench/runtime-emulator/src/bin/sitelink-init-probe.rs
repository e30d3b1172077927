//! Times each step of a Sitelink function's start-up (the work `main` does before
//! `lambda_http::run`), once, and prints the steps as a JSON array of
//! `[name, microseconds]` pairs in order. Costs such as loading root certificates are paid once per process, so the
//! harness starts this binary many times and takes medians.

use std::time::Instant;

use sitelink_core::Config;
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

        let sdk_config = aws_config::load_from_env().await;
        lap("aws_config::load_from_env", &mut steps);

        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config);
        lap("DynamoDB client", &mut steps);

        let secrets = aws_sdk_secretsmanager::Client::new(&sdk_config);
        lap("Secrets Manager client", &mut steps);

        let webflow = WebflowClient::new(config.webflow.clone())?;
        lap("Webflow reqwest client", &mut steps);

        drop((dynamodb, secrets, webflow));
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;

    println!("{}", serde_json::to_string(&steps)?);
    Ok(())
}
