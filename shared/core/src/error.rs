//! Every failure a request can meet, and its problem+json (RFC 9457) response.

use std::time::Duration;

use lambda_http::http::StatusCode;
use serde::Serialize;
use sitelink_validation::{BodyError, FieldError};

use crate::cursor::CursorError;
use crate::ports::StoreError;
use crate::webflow::{Outage, SCOPE_AUTHORIZED_USER_READ, SCOPE_SITES_READ, WebflowError};

/// The Webflow page where a person creates a site token, named in messages that ask for a new one.
const TOKEN_PAGE: &str = "Site settings → Apps & Integrations → API access";
/// Retry-After sent when Webflow rate-limits without saying for how long; Webflow's
/// rate-limit documentation gives 60 seconds as the usual wait.
pub const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no tenant: {0}")]
    Unauthenticated(String),
    #[error("unsupported content type")]
    UnsupportedMediaType,
    #[error("request body too large")]
    PayloadTooLarge { limit_bytes: usize },
    #[error("malformed body: {0}")]
    MalformedBody(BodyError),
    #[error("invalid body fields")]
    InvalidBody(Vec<FieldError>),
    #[error("invalid parameters")]
    InvalidParameters(Vec<FieldError>),
    #[error("invalid cursor: {0}")]
    InvalidCursor(CursorError),
    #[error("account not found")]
    AccountNotFound,
    #[error("token invalid")]
    TokenInvalid,
    #[error("token lacks scope {scope}")]
    MissingScope { scope: String },
    #[error("token sees {site_count} sites")]
    NotASiteToken { site_count: usize },
    #[error("Webflow rate limit")]
    ProviderRateLimited { retry_after: Option<Duration> },
    #[error("Webflow unavailable: {0}")]
    ProviderUnavailable(Outage),
    #[error("the account's secret is missing")]
    SecretMissing,
    #[error("storage unavailable: {0}")]
    StorageUnavailable(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<WebflowError> for ApiError {
    fn from(error: WebflowError) -> Self {
        match error {
            WebflowError::TokenInvalid => Self::TokenInvalid,
            WebflowError::MissingScope { scope } => Self::MissingScope { scope },
            WebflowError::RateLimited { retry_after } => Self::ProviderRateLimited { retry_after },
            WebflowError::Unavailable(outage) => Self::ProviderUnavailable(outage),
        }
    }
}

/// A problem+json body. `code` is stable and meant for programs; `detail` is for people.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// Returns the Webflow permission, as its token page names it, that grants `scope`.
pub fn permission_for_scope(scope: &str) -> String {
    match scope {
        SCOPE_AUTHORIZED_USER_READ => "Authorized user: read-only".to_owned(),
        SCOPE_SITES_READ => "Sites: read-only".to_owned(),
        other => format!("the permission that grants `{other}`"),
    }
}

/// Returns the message shown for a token Webflow rejected.
pub fn token_invalid_message() -> String {
    format!(
        "Webflow refused the site token (HTTP 401): it is revoked, expired (unused for 365 days) or mistyped. Generate a new token in Webflow under {TOKEN_PAGE} and link it again."
    )
}

/// Returns the message shown for a token that lacks a scope.
pub fn missing_scope_message(scope: &str) -> String {
    format!(
        "The site token is valid but lacks the scope `{scope}` (HTTP 403 from Webflow). Generate a new token under {TOKEN_PAGE} with the \"{}\" permission and link it again.",
        permission_for_scope(scope)
    )
}

/// Returns the message shown when Webflow rate-limits the token.
pub fn rate_limited_message(wait: Duration) -> String {
    format!(
        "Webflow is rate-limiting this token (HTTP 429), so it could not be checked; this says nothing about the token. Try again in {} seconds.",
        wait.as_secs()
    )
}

/// Returns the message shown when Webflow cannot be used.
pub fn unavailable_message(outage: &Outage) -> String {
    format!(
        "The token could not be checked because {outage}; this says nothing about the token. Try again in a few minutes."
    )
}

impl ApiError {
    /// The response status and, where the client should wait, the Retry-After in seconds.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MalformedBody(_)
            | Self::InvalidParameters(_)
            | Self::InvalidCursor(CursorError::Invalid | CursorError::OtherQuery) => {
                StatusCode::BAD_REQUEST
            }
            Self::InvalidBody(_)
            | Self::TokenInvalid
            | Self::MissingScope { .. }
            | Self::NotASiteToken { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::AccountNotFound => StatusCode::NOT_FOUND,
            Self::SecretMissing => StatusCode::CONFLICT,
            Self::ProviderRateLimited { .. } | Self::StorageUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::ProviderUnavailable(_) => StatusCode::BAD_GATEWAY,
            Self::InvalidCursor(CursorError::NoKey) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::ProviderRateLimited { retry_after } => {
                Some(retry_after.unwrap_or(DEFAULT_RATE_LIMIT_WAIT))
            }
            Self::StorageUnavailable(_) => Some(Duration::from_secs(1)),
            _ => None,
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (code, title, detail): (&'static str, &'static str, String) = match self {
            Self::Unauthenticated(reason) => ("unauthenticated", "Unauthenticated", reason.clone()),
            Self::UnsupportedMediaType => (
                "unsupported_media_type",
                "Unsupported media type",
                "Send the body as UTF-8 JSON with the header `Content-Type: application/json` (a charset, if given, must be utf-8).".to_owned(),
            ),
            Self::PayloadTooLarge { limit_bytes } => (
                "payload_too_large",
                "Payload too large",
                format!("The request body is larger than {limit_bytes} bytes; send only the documented fields."),
            ),
            Self::MalformedBody(error) => ("malformed_body", "Malformed body", error.to_string()),
            Self::InvalidBody(errors) => (
                "validation_failed",
                "Validation failed",
                summarize("The request body has invalid fields", errors),
            ),
            Self::InvalidParameters(errors) => (
                "invalid_parameters",
                "Invalid parameters",
                summarize("The request has invalid parameters", errors),
            ),
            Self::InvalidCursor(CursorError::Invalid) => (
                "invalid_cursor",
                "Invalid cursor",
                "The cursor is malformed or was altered. Pass `next_cursor` from the previous page unchanged, or start again without a cursor.".to_owned(),
            ),
            Self::InvalidCursor(CursorError::OtherQuery) => (
                "invalid_cursor",
                "Invalid cursor",
                "The cursor belongs to a list with other filters. Repeat the filters of the request that returned it, or start again without a cursor.".to_owned(),
            ),
            Self::AccountNotFound => (
                "account_not_found",
                "Account not found",
                "No account with this id exists. List accounts with GET /accounts to find its id.".to_owned(),
            ),
            Self::TokenInvalid => ("token_invalid", "Token invalid", token_invalid_message()),
            Self::MissingScope { scope } => ("missing_scope", "Missing scope", missing_scope_message(scope)),
            Self::NotASiteToken { site_count } => (
                "not_a_site_token",
                "Not a site token",
                format!(
                    "The token can see {site_count} sites, but a Webflow Site API token is bound to exactly one. Generate the token in the site's own settings under {TOKEN_PAGE}."
                ),
            ),
            Self::ProviderRateLimited { .. } => (
                "provider_rate_limited",
                "Webflow rate limit",
                rate_limited_message(self.retry_after().unwrap_or(DEFAULT_RATE_LIMIT_WAIT)),
            ),
            Self::ProviderUnavailable(outage) => ("provider_unavailable", "Webflow unavailable", unavailable_message(outage)),
            Self::SecretMissing => (
                "secret_missing",
                "Stored token missing",
                "The account's stored token is missing or scheduled for deletion. Link the site again with POST /accounts and a new token.".to_owned(),
            ),
            Self::StorageUnavailable(StoreError::Throttled { .. }) => (
                "storage_unavailable",
                "Storage busy",
                "Sitelink's storage is throttling requests. Retry in a second.".to_owned(),
            ),
            Self::StorageUnavailable(_) => (
                "storage_unavailable",
                "Storage unavailable",
                "Sitelink's storage failed to complete the request; nothing half-written was kept. Retry in a moment.".to_owned(),
            ),
            Self::InvalidCursor(CursorError::NoKey) | Self::Internal(_) => (
                "internal_error",
                "Internal error",
                "Sitelink failed unexpectedly. Retry later; the error is logged with this request's id.".to_owned(),
            ),
        };
        let errors = match self {
            Self::InvalidBody(errors) | Self::InvalidParameters(errors) => Some(errors.clone()),
            _ => None,
        };
        let scope = match self {
            Self::MissingScope { scope } => Some(scope.clone()),
            _ => None,
        };
        Problem {
            problem_type: format!("urn:sitelink:problem:{code}"),
            title,
            status: self.status().as_u16(),
            detail,
            code,
            errors,
            scope,
            retry_after_seconds: self.retry_after().map(|wait| wait.as_secs()),
        }
    }
}

fn summarize(lead: &str, errors: &[FieldError]) -> String {
    let fields: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
    format!("{lead}: {}. See `errors` for each one.", fields.join(", "))
}
