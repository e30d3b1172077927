//! Lambda function for `POST /accounts`: links a Webflow site with a Site API token.

use std::convert::Infallible;

use lambda_http::{Error, run, service_fn};
use sitelink_core::http::handle_link;
use sitelink_core::{App, Config};

// Lambda hands a process one event at a time, so one thread does all the work: a
// multi-threaded runtime only adds worker threads to start and cross-thread wake-ups to
// every downstream call (measured in BENCHMARKS.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    sitelink_core::logging::init();

    let config =
        Config::from_env().inspect_err(|error| tracing::error!(%error, "invalid configuration"))?;
    let app = App::from_config(config).await?;

    let app = &app;
    run(service_fn(move |request| async move {
        Ok::<_, Infallible>(handle_link(app, request).await)
    }))
    .await
}
