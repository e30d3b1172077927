//! Configuration, read once from the environment at start-up.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

pub const DEFAULT_WEBFLOW_BASE_URL: &str = "https://api.webflow.com/v2";
pub const DEFAULT_SECRET_PREFIX: &str = "sitelink/";
pub const DEFAULT_TENANT_CLAIM: &str = "sub";
/// Total time one Webflow call may take, retries included. It stays below the function
/// timeout in `template.yaml` (15 s), which also has to cover the AWS calls.
pub const DEFAULT_WEBFLOW_DEADLINE: Duration = Duration::from_secs(8);
const MIN_CURSOR_KEY_BYTES: usize = 32;

/// A configuration value that is missing or unusable; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name} {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(name: &'static str, problem: impl Into<String>) -> Self {
        Self {
            name,
            problem: problem.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct WebflowConfig {
    /// Base URL with the API version path, without a trailing slash.
    pub base_url: Url,
    pub deadline: Duration,
    pub connect_timeout: Duration,
    pub max_attempts: u32,
    /// First backoff step between retries; each later step doubles, with full jitter.
    pub backoff_base: Duration,
}

impl WebflowConfig {
    pub fn new(base_url: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            base_url: parse_webflow_base_url(base_url)?,
            deadline: DEFAULT_WEBFLOW_DEADLINE,
            connect_timeout: Duration::from_secs(2),
            max_attempts: 3,
            backoff_base: Duration::from_millis(100),
        })
    }
}

/// Limits on every DynamoDB and Secrets Manager call. The SDK sets only a connect timeout
/// by default, so a call on a connection that never responds would wait until Lambda ends
/// the invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsTimeouts {
    /// How long one attempt may take before the SDK retries it. DynamoDB and Secrets
    /// Manager calls normally take milliseconds, so the default leaves a wide margin.
    pub attempt: Duration,
    /// How long one call may take, retries included, before it fails as a `503`.
    /// NOTE: several hung calls in one request, after a slow Webflow response, can still
    /// add up to the 15 s function timeout in `template.yaml`.
    pub operation: Duration,
}

impl Default for AwsTimeouts {
    fn default() -> Self {
        Self {
            attempt: Duration::from_secs(2),
            operation: Duration::from_secs(3),
        }
    }
}

/// Settings that decide a request's tenant.
#[derive(Debug, Clone)]
pub struct TenancyConfig {
    /// The JWT claim, from the API Gateway authorizer, that names the tenant.
    pub claim: String,
    /// A tenant for requests that carry no authorizer context at all, as under
    /// `cargo lambda watch`. Only for local runs: `template.yaml` never sets it, and it is
    /// ignored whenever a request does carry an authorizer context.
    pub local_tenant: Option<String>,
}

#[derive(Clone)]
pub struct Config {
    pub table_name: String,
    pub secret_prefix: String,
    pub webflow: WebflowConfig,
    pub tenancy: TenancyConfig,
    /// The KMS key new secrets are encrypted with; `None` uses the AWS managed key.
    pub kms_key_id: Option<String>,
    /// HMAC keys for list cursors: the first signs, every one verifies, so a key can be
    /// rotated without breaking cursors already handed out. Empty for functions that do
    /// not list.
    pub cursor_keys: Vec<Vec<u8>>,
    pub aws_timeouts: AwsTimeouts,
}

// The cursor keys are secrets, so they are left out of Debug.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("table_name", &self.table_name)
            .field("secret_prefix", &self.secret_prefix)
            .field("webflow", &self.webflow)
            .field("tenancy", &self.tenancy)
            .field("kms_key_id", &self.kms_key_id)
            .field("aws_timeouts", &self.aws_timeouts)
            .field(
                "cursor_keys",
                &format_args!("[{} redacted]", self.cursor_keys.len()),
            )
            .finish()
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, which returns a variable's value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let table_name = read("SITELINK_TABLE_NAME").ok_or_else(|| {
            ConfigError::new(
                "SITELINK_TABLE_NAME",
                "is not set: set it to the DynamoDB table's name",
            )
        })?;
        let secret_prefix =
            read("SITELINK_SECRET_PREFIX").unwrap_or_else(|| DEFAULT_SECRET_PREFIX.to_owned());
        check_secret_prefix(&secret_prefix)?;

        let base_url =
            read("WEBFLOW_API_BASE_URL").unwrap_or_else(|| DEFAULT_WEBFLOW_BASE_URL.to_owned());
        let mut webflow = WebflowConfig::new(&base_url)?;
        if let Some(value) = read("SITELINK_WEBFLOW_DEADLINE_MS") {
            webflow.deadline = parse_millis("SITELINK_WEBFLOW_DEADLINE_MS", &value)?;
        }

        let mut aws_timeouts = AwsTimeouts::default();
        if let Some(value) = read("SITELINK_AWS_ATTEMPT_TIMEOUT_MS") {
            aws_timeouts.attempt = parse_millis("SITELINK_AWS_ATTEMPT_TIMEOUT_MS", &value)?;
        }
        if let Some(value) = read("SITELINK_AWS_TIMEOUT_MS") {
            aws_timeouts.operation = parse_millis("SITELINK_AWS_TIMEOUT_MS", &value)?;
        }
        if aws_timeouts.attempt > aws_timeouts.operation {
            let defaults = AwsTimeouts::default();
            return Err(ConfigError::new(
                "SITELINK_AWS_ATTEMPT_TIMEOUT_MS",
                format!(
                    "({} ms, default {}) must not exceed SITELINK_AWS_TIMEOUT_MS ({} ms, default {}), which includes every attempt",
                    aws_timeouts.attempt.as_millis(),
                    defaults.attempt.as_millis(),
                    aws_timeouts.operation.as_millis(),
                    defaults.operation.as_millis()
                ),
            ));
        }

        let tenancy = TenancyConfig {
            claim: read("SITELINK_TENANT_CLAIM").unwrap_or_else(|| DEFAULT_TENANT_CLAIM.to_owned()),
            local_tenant: read("SITELINK_LOCAL_TENANT"),
        };
        let cursor_keys = match read("SITELINK_CURSOR_KEYS") {
            Some(value) => parse_cursor_keys(&value)?,
            None => Vec::new(),
        };

        Ok(Self {
            table_name,
            secret_prefix,
            webflow,
            tenancy,
            kms_key_id: read("SITELINK_KMS_KEY_ID"),
            cursor_keys,
            aws_timeouts,
        })
    }

    /// Fails unless at least one cursor key is configured. list-accounts calls this at
    /// start-up, so a missing key stops the function before it serves a request.
    pub fn require_cursor_keys(&self) -> Result<(), ConfigError> {
        if self.cursor_keys.is_empty() {
            return Err(ConfigError::new(
                "SITELINK_CURSOR_KEYS",
                format!(
                    "is not set: set it to one or more comma-separated random keys of at least {MIN_CURSOR_KEY_BYTES} characters"
                ),
            ));
        }
        Ok(())
    }
}

/// Parses the Webflow base URL. Plain `http` is accepted only for loopback hosts (a local
/// fake), so a misconfiguration cannot send tokens over the network in clear text.
pub fn parse_webflow_base_url(value: &str) -> Result<Url, ConfigError> {
    const NAME: &str = "WEBFLOW_API_BASE_URL";
    let trimmed = value.trim().trim_end_matches('/');
    let url = Url::parse(trimmed).map_err(|error| {
        ConfigError::new(
            NAME,
            format!("is not a valid URL ({error}): use e.g. {DEFAULT_WEBFLOW_BASE_URL}"),
        )
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(ConfigError::new(
                NAME,
                "uses plain http for a host that is not loopback: use https so tokens are not sent in clear text",
            ));
        }
        other => {
            return Err(ConfigError::new(
                NAME,
                format!("has the unsupported scheme `{other}`: use https"),
            ));
        }
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(ConfigError::new(
            NAME,
            "must not contain credentials, a query or a fragment",
        ));
    }
    Ok(url)
}

fn check_secret_prefix(prefix: &str) -> Result<(), ConfigError> {
    // Secrets Manager allows these characters in names.
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c);
    if prefix.len() > 256 || !prefix.chars().all(allowed) {
        return Err(ConfigError::new(
            "SITELINK_SECRET_PREFIX",
            "may contain only letters, digits and /_+=.@- and at most 256 characters",
        ));
    }
    Ok(())
}

fn parse_millis(name: &'static str, value: &str) -> Result<Duration, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(millis) if (1..=60_000).contains(&millis) => Ok(Duration::from_millis(millis)),
        _ => Err(ConfigError::new(
            name,
            "must be a whole number of milliseconds from 1 to 60000",
        )),
    }
}

fn parse_cursor_keys(value: &str) -> Result<Vec<Vec<u8>>, ConfigError> {
    let keys: Vec<Vec<u8>> = value
        .split(',')
        .map(|key| key.trim().as_bytes().to_vec())
        .collect();
    if keys.iter().any(|key| key.len() < MIN_CURSOR_KEY_BYTES) {
        return Err(ConfigError::new(
            "SITELINK_CURSOR_KEYS",
            format!(
                "holds a key shorter than {MIN_CURSOR_KEY_BYTES} characters: use long random keys, comma-separated"
            ),
        ));
    }
    Ok(keys)
}

/// Settings of the sweep-orphans function.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    pub limits: crate::operations::SweepLimits,
}

impl SweepConfig {
    /// Reads `SITELINK_SWEEP_GRACE_MINUTES` (default 60), `SITELINK_SWEEP_MAX_SECRETS`
    /// (default 5000) and `SITELINK_SWEEP_MAX_DELETIONS` (default 200).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let number = |name: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match lookup(name).filter(|value| !value.trim().is_empty()) {
                None => Ok(default),
                Some(value) => match value.trim().parse::<u64>() {
                    Ok(number) if (1..=max).contains(&number) => Ok(number),
                    _ => Err(ConfigError::new(
                        name,
                        format!("must be a whole number from 1 to {max}"),
                    )),
                },
            }
        };
        let grace_minutes = number("SITELINK_SWEEP_GRACE_MINUTES", 60, 7 * 24 * 60)?;
        Ok(Self {
            limits: crate::operations::SweepLimits {
                grace: Duration::from_secs(grace_minutes * 60),
                max_examined: number("SITELINK_SWEEP_MAX_SECRETS", 5000, 1_000_000)? as usize,
                max_deleted: number("SITELINK_SWEEP_MAX_DELETIONS", 200, 100_000)? as usize,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_apply() {
        let config = config(&[("SITELINK_TABLE_NAME", "accounts")]).unwrap();
        assert_eq!(config.secret_prefix, "sitelink/");
        assert_eq!(
            config.webflow.base_url.as_str(),
            "https://api.webflow.com/v2"
        );
        assert_eq!(config.tenancy.claim, "sub");
        assert!(config.tenancy.local_tenant.is_none());
        assert!(config.require_cursor_keys().is_err());
    }

    #[test]
    fn aws_timeouts_read_and_checked() {
        let defaults = config(&[("SITELINK_TABLE_NAME", "t")]).unwrap();
        assert_eq!(defaults.aws_timeouts.attempt, Duration::from_secs(2));
        assert_eq!(defaults.aws_timeouts.operation, Duration::from_secs(3));

        let set = config(&[
            ("SITELINK_TABLE_NAME", "t"),
            ("SITELINK_AWS_ATTEMPT_TIMEOUT_MS", "500"),
            ("SITELINK_AWS_TIMEOUT_MS", "1500"),
        ])
        .unwrap();
        assert_eq!(set.aws_timeouts.attempt, Duration::from_millis(500));
        assert_eq!(set.aws_timeouts.operation, Duration::from_millis(1500));

        let longer_attempt = config(&[
            ("SITELINK_TABLE_NAME", "t"),
            ("SITELINK_AWS_ATTEMPT_TIMEOUT_MS", "4000"),
        ])
        .unwrap_err();
        assert_eq!(longer_attempt.name, "SITELINK_AWS_ATTEMPT_TIMEOUT_MS");
        assert!(longer_attempt.problem.contains("3000 ms"));

        let zero = config(&[
            ("SITELINK_TABLE_NAME", "t"),
            ("SITELINK_AWS_TIMEOUT_MS", "0"),
        ])
        .unwrap_err();
        assert_eq!(zero.name, "SITELINK_AWS_TIMEOUT_MS");
    }

    #[test]
    fn missing_table_names_the_variable() {
        let error = config(&[]).unwrap_err();
        assert_eq!(error.name, "SITELINK_TABLE_NAME");
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for url in [
            "http://127.0.0.1:8787/v2",
            "http://localhost:1/v2",
            "http://[::1]:2/v2",
        ] {
            assert!(parse_webflow_base_url(url).is_ok(), "{url}");
        }
        for url in [
            "http://api.webflow.com/v2",
            "http://10.0.0.1/v2",
            "ftp://x/v2",
            "not a url",
        ] {
            assert_eq!(
                parse_webflow_base_url(url).unwrap_err().name,
                "WEBFLOW_API_BASE_URL",
                "{url}"
            );
        }
    }

    #[test]
    fn cursor_keys_checked_and_redacted() {
        let error = config(&[
            ("SITELINK_TABLE_NAME", "t"),
            ("SITELINK_CURSOR_KEYS", "short"),
        ])
        .unwrap_err();
        assert_eq!(error.name, "SITELINK_CURSOR_KEYS");
        let key = "k".repeat(40);
        let config =
            config(&[("SITELINK_TABLE_NAME", "t"), ("SITELINK_CURSOR_KEYS", &key)]).unwrap();
        assert!(!format!("{config:?}").contains(&key));
    }
}
