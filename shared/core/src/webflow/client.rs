use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{ACCEPT, RETRY_AFTER};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sitelink_validation::SiteToken;

use super::{
    Outage, SCOPE_AUTHORIZED_USER_READ, SCOPE_SITES_READ, WebflowError, WebflowSite, WebflowUser,
    missing_scope_from_body, parse_retry_after,
};
use crate::config::WebflowConfig;

/// An HTTP client for Webflow's Data API v2, built once per process.
///
/// Both calls are idempotent GETs, so they are retried on rate limits, 5xx responses,
/// timeouts and connection failures, within one total deadline per call.
#[derive(Debug, Clone)]
pub struct WebflowClient {
    http: reqwest::Client,
    config: WebflowConfig,
}

#[derive(Deserialize)]
struct SitesBody {
    sites: Vec<WebflowSite>,
}

impl WebflowClient {
    pub fn new(config: WebflowConfig) -> Result<Self, ClientBuildError> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("sitelink/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, config })
    }

    /// Lists the sites the token can see (`GET /sites`). A site token has access to exactly one.
    pub async fn sites(&self, token: &SiteToken) -> Result<Vec<WebflowSite>, WebflowError> {
        let body: SitesBody = self.get_json("sites", token, SCOPE_SITES_READ).await?;
        // Site ids become part of storage keys, so anything but a plain id is refused.
        if body.sites.iter().any(|site| !is_plain_id(&site.id)) {
            return Err(WebflowError::Unavailable(Outage::InvalidBody));
        }
        Ok(body.sites)
    }

    /// Returns the user who created the token (`GET /token/authorized_by`).
    pub async fn authorized_by(&self, token: &SiteToken) -> Result<WebflowUser, WebflowError> {
        let user: WebflowUser = self
            .get_json("token/authorized_by", token, SCOPE_AUTHORIZED_USER_READ)
            .await?;
        if !is_plain_id(&user.id) {
            return Err(WebflowError::Unavailable(Outage::InvalidBody));
        }
        Ok(user)
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &'static str,
        token: &SiteToken,
        scope: &'static str,
    ) -> Result<T, WebflowError> {
        let deadline = Instant::now() + self.config.deadline;
        let url = format!(
            "{}/{path}",
            self.config.base_url.as_str().trim_end_matches('/')
        );
        let mut attempt = 1;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let error = match self.attempt(&url, token, scope, remaining).await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if attempt >= self.config.max_attempts || !is_retryable(&error) {
                return Err(error);
            }
            let wait = match &error {
                WebflowError::RateLimited {
                    retry_after: Some(delay),
                } => *delay,
                _ => self.backoff(attempt),
            };
            // A wait that would not leave time for one more attempt is not worth taking;
            // the caller gets the error, with Retry-After passed on.
            if wait + MIN_ATTEMPT_TIME >= deadline.saturating_duration_since(Instant::now()) {
                return Err(error);
            }
            tracing::warn!(path, attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying Webflow request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        url: &str,
        token: &SiteToken,
        scope: &'static str,
        timeout: Duration,
    ) -> Result<T, WebflowError> {
        if timeout.is_zero() {
            return Err(WebflowError::Unavailable(Outage::TimedOut));
        }
        // `bearer_auth` marks the header sensitive, so the HTTP stack leaves it out of logs.
        let response = self
            .http
            .get(url)
            .bearer_auth(token.expose())
            .header(ACCEPT, "application/json")
            .timeout(timeout)
            .send()
            .await
            .map_err(classify_transport_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let body = response.bytes().await.map_err(classify_transport_error)?;

        match status {
            200..=299 => serde_json::from_slice(&body)
                .map_err(|_| WebflowError::Unavailable(Outage::InvalidBody)),
            401 => Err(WebflowError::TokenInvalid),
            403 => Err(WebflowError::MissingScope {
                scope: missing_scope_from_body(&body, scope),
            }),
            429 => Err(WebflowError::RateLimited { retry_after }),
            other => Err(WebflowError::Unavailable(Outage::Status(other))),
        }
    }

    /// Full-jitter exponential backoff: a random wait up to `base * 2^(attempt - 1)`.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .config
            .backoff_base
            .saturating_mul(1 << (attempt - 1).min(10));
        let millis = ceiling.as_millis().min(u128::from(u64::MAX)) as u64;
        Duration::from_millis(fastrand::u64(0..=millis))
    }
}

/// The minimum time worth giving one more attempt.
const MIN_ATTEMPT_TIME: Duration = Duration::from_millis(200);

/// The Webflow client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    #[error("failed to configure TLS for the Webflow client: {0}")]
    Tls(#[from] rustls::Error),
    #[error("failed to build the Webflow HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// TLS for Webflow's API, trusting Mozilla's root certificates as compiled into
/// `webpki-roots`.
///
/// reqwest's own rustls set-up reads and parses the system's CA bundle when the client is
/// built. That took 2.2 ms of each cold start on the benchmark machine (BENCHMARKS.md),
/// and the compiled-in roots take microseconds. They change only with the crate, so
/// `cargo update -p webpki-roots` refreshes them.
fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn is_retryable(error: &WebflowError) -> bool {
    match error {
        WebflowError::RateLimited { .. } => true,
        WebflowError::Unavailable(Outage::Status(status)) => *status >= 500 || *status == 408,
        WebflowError::Unavailable(
            Outage::ConnectionFailed | Outage::TimedOut | Outage::Transport,
        ) => true,
        _ => false,
    }
}

fn classify_transport_error(error: reqwest::Error) -> WebflowError {
    let outage = if error.is_timeout() {
        Outage::TimedOut
    } else if error.is_connect() {
        Outage::ConnectionFailed
    } else {
        Outage::Transport
    };
    WebflowError::Unavailable(outage)
}

/// Webflow ids are 24 lowercase hexadecimal characters; this accepts any short run of
/// letters and digits, which is all that matters for building storage keys.
fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}
