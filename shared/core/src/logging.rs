//! The functions' log subscriber: lambda_http's default set-up, with the raw event log
//! switched off.

use std::str::FromStr;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{Directive, LevelFilter};

/// lambda_runtime 1.5 logs every invocation's raw payload at TRACE under this target. For
/// link that payload contains the site token (and any request's `Authorization` header), so
/// the target is capped at DEBUG whatever the configured level.
const RAW_EVENT_TARGET: &str = "lambda_runtime::layers::api_response";

/// Builds the filter from the values of `AWS_LAMBDA_LOG_LEVEL` and `RUST_LOG`: the first
/// that is a plain level sets the default, `RUST_LOG` may add per-target directives, and
/// the raw event log stays off.
pub fn env_filter(lambda_log_level: Option<&str>, rust_log: Option<&str>) -> EnvFilter {
    let level = lambda_log_level
        .or(rust_log)
        .and_then(|value| LevelFilter::from_str(value.trim()).ok())
        .unwrap_or(LevelFilter::INFO);
    let cap = Directive::from_str(&format!("{RAW_EVENT_TARGET}=debug"))
        .unwrap_or_else(|_| unreachable!("the directive is a valid literal"));
    EnvFilter::builder()
        .with_default_directive(level.into())
        .parse_lossy(rust_log.unwrap_or_default())
        .add_directive(cap)
}

/// Installs the subscriber, as lambda_http's `init_default_subscriber` does: JSON lines
/// when Lambda's log format is JSON (`AWS_LAMBDA_LOG_FORMAT`), plain text otherwise, no
/// timestamps because Lambda adds them.
pub fn init() {
    let lambda_log_level = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok();
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = env_filter(lambda_log_level.as_deref(), rust_log.as_deref());
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT")
        .is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged_at(lambda_log_level: Option<&str>, rust_log: Option<&str>) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(env_filter(lambda_log_level, rust_log))
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "lambda_runtime::layers::api_response", body = "raw-event-payload", "raw JSON event received from Lambda");
            tracing::trace!(target: "sitelink_core::operations", "trace-from-sitelink");
            tracing::info!(target: "sitelink_core::operations", "info-from-sitelink");
        });
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn raw_event_is_never_logged() {
        for (level, rust_log) in [
            (Some("TRACE"), None),
            (None, Some("trace")),
            (None, Some("lambda_runtime=trace,trace")),
        ] {
            let output = logged_at(level, rust_log);
            assert!(
                !output.contains("raw-event-payload"),
                "{level:?} {rust_log:?}: {output}"
            );
            assert!(
                output.contains("trace-from-sitelink"),
                "{level:?} {rust_log:?}: {output}"
            );
        }
    }

    #[test]
    fn default_level_is_info() {
        let output = logged_at(None, None);
        assert!(output.contains("info-from-sitelink"));
        assert!(!output.contains("trace-from-sitelink"));
    }
}
