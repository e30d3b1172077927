//! Webflow's Data API v2: the two calls Sitelink makes and what their failures mean.

mod client;
mod retry_after;

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

pub use client::{ClientBuildError, WebflowClient};
pub use retry_after::parse_retry_after;

/// The scope `GET /sites` needs.
pub const SCOPE_SITES_READ: &str = "sites:read";
/// The scope `GET /token/authorized_by` needs; Webflow's UI calls it the
/// "Authorized user: read-only" permission.
pub const SCOPE_AUTHORIZED_USER_READ: &str = "authorized_user:read";

/// A site as `GET /sites` returns it. Only `id` is required by Webflow's spec; other
/// fields may be missing or null, and unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebflowSite {
    pub id: String,
    pub workspace_id: Option<String>,
    pub display_name: Option<String>,
    pub short_name: Option<String>,
}

/// The user who created the token, as `GET /token/authorized_by` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebflowUser {
    pub id: String,
    pub email: Option<String>,
}

/// A reason Webflow could not be used, as opposed to a rejection of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outage {
    ConnectionFailed,
    TimedOut,
    /// Webflow (or a proxy in front of it) responded with this status.
    Status(u16),
    /// A success status whose body is empty, not JSON, or not the documented shape.
    InvalidBody,
    Transport,
}

impl fmt::Display for Outage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectionFailed => {
                f.write_str("the connection to Webflow failed (refused or unreachable)")
            }
            Self::TimedOut => f.write_str("Webflow did not answer in time"),
            Self::Status(status) => write!(f, "Webflow answered with HTTP {status}"),
            Self::InvalidBody => f.write_str("Webflow's answer was not the JSON it documents"),
            Self::Transport => f.write_str("the HTTP exchange with Webflow failed"),
        }
    }
}

/// A failed Webflow call, classified by what it means for the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebflowError {
    /// HTTP 401: the token is revoked, expired or mistyped.
    #[error("Webflow refused the token (HTTP 401)")]
    TokenInvalid,
    /// HTTP 403: the token is valid but lacks `scope`.
    #[error("the token lacks the scope {scope} (HTTP 403)")]
    MissingScope { scope: String },
    /// HTTP 429 that did not clear within the deadline.
    #[error("Webflow rate-limited the token (HTTP 429)")]
    RateLimited { retry_after: Option<Duration> },
    #[error("Webflow is unavailable: {0}")]
    Unavailable(Outage),
}

impl WebflowError {
    /// Returns whether a later attempt of the same request could succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable(_))
    }
}

/// An error body as Webflow documents it. `code` is an open set of strings.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
}

/// Finds the scope a 403 names. Webflow's live message quotes it
/// (`... scopes - 'sites:read'`) while its spec example does not; `fallback` is the scope
/// the endpoint is documented to need.
fn missing_scope_from_body(body: &[u8], fallback: &str) -> String {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let named = parsed
        .message
        .as_deref()
        .and_then(|message| message.rsplit_once(" - ").map(|(_, tail)| tail))
        .map(|tail| {
            tail.trim()
                .trim_matches(|c| c == '\'' || c == '"' || c == '.')
                .trim()
        })
        .filter(|scope| is_scope_name(scope));
    match (parsed.code.as_deref(), named) {
        (_, Some(scope)) => scope.to_owned(),
        _ => fallback.to_owned(),
    }
}

fn is_scope_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == ':' || c == ',' || c == ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_from_live_message() {
        let body = br#"{"message":"Request not authorized due to missing scopes - 'authorized_user:read'","code":"missing_scopes","externalReference":null,"details":[]}"#;
        assert_eq!(missing_scope_from_body(body, "x"), "authorized_user:read");
    }

    #[test]
    fn scope_from_spec_message() {
        let body = br#"{"code":"missing_scopes","message":"OAuthForbidden: You are missing the following scopes - sites:read"}"#;
        assert_eq!(missing_scope_from_body(body, "x"), "sites:read");
    }

    #[test]
    fn scope_falls_back_for_other_bodies() {
        assert_eq!(
            missing_scope_from_body(b"<html>", "sites:read"),
            "sites:read"
        );
        assert_eq!(
            missing_scope_from_body(br#"{"message":"Forbidden"}"#, "sites:read"),
            "sites:read"
        );
    }
}
