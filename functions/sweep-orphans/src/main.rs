//! Lambda function, run on a schedule, that deletes Sitelink secrets no account points at.

use std::time::SystemTime;

use lambda_http::Error;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde_json::Value;
use sitelink_core::config::SweepConfig;
use sitelink_core::operations::{SweepReport, sweep_orphans};
use sitelink_core::{App, Config};

// Lambda hands a process one event at a time, so one thread does all the work, as in the
// HTTP functions.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    sitelink_core::logging::init();

    let config =
        Config::from_env().inspect_err(|error| tracing::error!(%error, "invalid configuration"))?;
    let sweep = SweepConfig::from_lookup(|name| std::env::var(name).ok())
        .inspect_err(|error| tracing::error!(%error, "invalid configuration"))?;
    let app = App::from_config(config).await?;

    let app = &app;
    let sweep = &sweep;
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<Value>| async move {
        let report: SweepReport = sweep_orphans(
            &app.accounts,
            &app.secrets,
            &app.config.secret_prefix,
            &sweep.limits,
            SystemTime::now(),
        )
        .await?;
        Ok::<_, Error>(report)
    }))
    .await
}
