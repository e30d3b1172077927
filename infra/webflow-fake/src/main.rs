//! Runs the Webflow fake as a local server. See `webflow-fake --help`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use tracing::{info, warn};
use tracing_subscriber::EnvFilter;
use webflow_fake::FakeWebflow;

const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// How long a shutdown waits for open connections before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

const USAGE: &str = r#"webflow-fake: a local fake of the Webflow Data API v2 endpoints GET /v2/sites and
GET /v2/token/authorized_by, for running Sitelink without Webflow.

Usage: webflow-fake [--listen IP:PORT]

Options:
  --listen IP:PORT  Address to listen on [default: 127.0.0.1:8787]. Port 0 picks a free
                    port. The control API has no authentication, so keep a loopback IP.
  -h, --help        Print this help.

At start the fake prints one line to stdout:
  webflow-fake listening on http://127.0.0.1:PORT/v2
Point Sitelink's Webflow base URL at that URL. Each request is logged to stderr with
the token's last four characters only. RUST_LOG sets the log filter [default: info].
SIGTERM or Ctrl-C stops the fake.

Tokens: send `Authorization: Bearer <token>` with 64 hexadecimal characters. The site id
is the token's last 24 characters, lowercased. The token's first 8 characters choose a
behaviour:
  00000401  401 not_authorized on both endpoints (revoked token)
  00000403  403 missing_scopes for authorized_user:read on /token/authorized_by,
            200 on /sites
  00000429  429 too_many_requests with Retry-After: 60
  00000500  500 internal_error
  00000502  502 with an HTML page, as from a proxy
Any other 64-hex token is valid. Another credential, or none, gets 401.

Control API (a behaviour set here overrides the prefix):
  PUT    /__fake/tokens/TOKEN  body {"endpoint": "sites"|"authorized_by"|"any",
                                     "behaviours": [...]}
         "endpoint" defaults to "any". Behaviours, consumed one per request, the last
         one repeating: valid, revoked, missing_scope, missing_scope_spec_form,
         not_found, {"rate_limited": {"retry_after": "60"}}, server_error,
         unavailable, html_502, empty_body, not_json, hang, no_sites, two_sites,
         sparse_site.
  GET    /__fake/tokens/TOKEN  returns {"site_id", "request_count"}
  DELETE /__fake/tokens/TOKEN  removes the token's behaviours and request count

Example:
  curl -X PUT http://127.0.0.1:8787/__fake/tokens/$TOKEN \
    -d '{"behaviours": [{"rate_limited": {"retry_after": "5"}}, "valid"]}'
"#;

#[derive(Debug, PartialEq, Eq)]
enum Command {
    Run { listen: SocketAddr },
    Help,
}

/// Parses the arguments after the program name. The error message names the bad argument.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut listen = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--listen" => args
                .next()
                .ok_or_else(|| "missing value for --listen: expected IP:PORT".to_owned())?,
            other => match other.strip_prefix("--listen=") {
                Some(value) => value.to_owned(),
                None => return Err(format!("unknown argument `{other}`")),
            },
        };
        let address = value.parse::<SocketAddr>().map_err(|_| {
            format!(
                "invalid --listen address `{value}`: expected IP:PORT, such as {DEFAULT_LISTEN}"
            )
        })?;
        listen = Some(address);
    }
    let listen = match listen {
        Some(address) => address,
        None => DEFAULT_LISTEN
            .parse()
            .expect("DEFAULT_LISTEN is a socket address"),
    };
    Ok(Command::Run { listen })
}

/// Waits for SIGTERM or Ctrl-C and returns the signal's name.
async fn wait_for_stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};

        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
            },
            Err(err) => {
                warn!(error = %err, "failed to install the SIGTERM handler, so only Ctrl-C stops the fake");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let listen = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run { listen }) => listen,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("webflow-fake: {message}\nRun `webflow-fake --help` for usage.");
            return ExitCode::from(2);
        }
    };

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .init();

    if !listen.ip().is_loopback() {
        warn!(address = %listen, "listening on a non-loopback address: anyone who can reach it can change behaviours through the control API");
    }
    let fake = match FakeWebflow::start(listen).await {
        Ok(fake) => fake,
        Err(err) => {
            eprintln!(
                "webflow-fake: failed to listen on {listen}: {err}. Pass --listen with a free port, such as --listen 127.0.0.1:0."
            );
            return ExitCode::FAILURE;
        }
    };

    // Scripts wait for this line, so it goes to stdout and is flushed at once.
    println!("webflow-fake listening on {}", fake.base_url());
    if let Err(err) = std::io::stdout().flush() {
        warn!(error = %err, "failed to flush stdout");
    }
    info!(base_url = %fake.base_url(), "started");

    let signal = wait_for_stop_signal().await;
    info!(signal, "stopping");
    if tokio::time::timeout(SHUTDOWN_GRACE, fake.shutdown())
        .await
        .is_err()
    {
        warn!(
            grace = ?SHUTDOWN_GRACE,
            "open connections did not close within the grace period; exiting anyway"
        );
    }
    info!("stopped");
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn parse_args_defaults_to_loopback() {
        assert_eq!(
            parse(&[]),
            Ok(Command::Run {
                listen: "127.0.0.1:8787".parse().unwrap()
            })
        );
    }

    #[test]
    fn parse_args_accepts_both_listen_forms() {
        let expected = Ok(Command::Run {
            listen: "127.0.0.1:0".parse().unwrap(),
        });
        assert_eq!(parse(&["--listen", "127.0.0.1:0"]), expected);
        assert_eq!(parse(&["--listen=127.0.0.1:0"]), expected);
    }

    #[test]
    fn parse_args_help() {
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(parse(&["--listen", "127.0.0.1:0", "-h"]), Ok(Command::Help));
    }

    #[test]
    fn parse_args_rejects_bad_input() {
        assert!(parse(&["--listen"]).unwrap_err().contains("missing value"));
        assert!(
            parse(&["--listen", "localhost:80"])
                .unwrap_err()
                .contains("localhost:80")
        );
        assert!(parse(&["--port", "80"]).unwrap_err().contains("--port"));
    }
}
