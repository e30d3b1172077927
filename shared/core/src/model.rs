//! The account model, as the API returns it and the table stores it.

use serde::{Deserialize, Serialize};

pub const PROVIDER_WEBFLOW: &str = "webflow";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Error,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Error => "error",
        }
    }
}

/// Why an account is in `error`: the failed test's code and message, and when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReason {
    pub code: String,
    pub message: String,
    pub at: String,
}

/// The Webflow site a token is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub id: String,
    pub display_name: Option<String>,
    pub short_name: Option<String>,
    pub workspace_id: Option<String>,
}

/// The Webflow user who created the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizedUser {
    pub id: String,
    pub email: Option<String>,
}

/// A linked account. It contains neither the token nor the secret's ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub provider: String,
    pub origin_owner_id: String,
    pub origin_owner_name: String,
    pub label: Option<String>,
    pub status: AccountStatus,
    pub status_reason: Option<StatusReason>,
    pub site: Site,
    pub authorized_user: AuthorizedUser,
    /// The token's last four characters.
    pub token_hint: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_tested_at: Option<String>,
}

/// The result of a connection test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestResult {
    Ok,
    TokenInvalid,
    MissingScope,
    RateLimited,
    ProviderUnavailable,
}

impl TestResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::TokenInvalid => "token_invalid",
            Self::MissingScope => "missing_scope",
            Self::RateLimited => "rate_limited",
            Self::ProviderUnavailable => "provider_unavailable",
        }
    }

    /// Returns whether the result shows the token itself is unusable, which moves the account
    /// to `error`. Rate limits and outages tell nothing about the token.
    pub fn is_token_fault(self) -> bool {
        matches!(self, Self::TokenInvalid | Self::MissingScope)
    }
}

/// The body of a `POST /accounts/{account_id}/test` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestReport {
    pub account_id: String,
    pub result: TestResult,
    pub status: AccountStatus,
    pub tested_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TestError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestError {
    pub code: String,
    pub message: String,
    /// For `rate_limited`: seconds to wait before testing again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// The body of a `GET /accounts` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountPage {
    pub data: Vec<Account>,
    pub next_cursor: Option<String>,
}
