use super::verify::{TokenCheckError, verify_token};
use crate::app::App;
use crate::error::{
    ApiError, DEFAULT_RATE_LIMIT_WAIT, missing_scope_message, rate_limited_message,
    token_invalid_message, unavailable_message,
};
use crate::model::{StatusReason, TestError, TestReport, TestResult};
use crate::ports::{AccountStore, SecretStore, StoreError, TestOutcome, WebflowApi};
use crate::tenant::Tenant;
use crate::timestamp;
use crate::webflow::WebflowError;

/// Re-checks a linked account's token with Webflow and records the outcome.
///
/// Only a token fault (`token_invalid`, `missing_scope`) moves the account to `error`. A
/// rate limit or an outage is reported but leaves the status alone, and `ok` restores
/// `active`.
pub async fn test_connection<A, S, W>(
    app: &App<A, S, W>,
    tenant: &Tenant,
    account_id: &str,
) -> Result<TestReport, ApiError>
where
    A: AccountStore,
    S: SecretStore,
    W: WebflowApi,
{
    // The secret's name derives from the account id, so both reads run at once.
    let secret_name = app.secret_name(tenant, account_id);
    let (account, token) = tokio::join!(
        app.accounts.get(tenant, account_id),
        app.secrets.get(&secret_name)
    );
    if account?.is_none() {
        return Err(ApiError::AccountNotFound);
    }
    let stored = match token {
        Ok(Some(stored)) => stored,
        Ok(None) | Err(StoreError::SecretScheduledForDeletion) => {
            tracing::error!(
                tenant = tenant.key(),
                account_id,
                "the account's secret is missing"
            );
            return Err(ApiError::SecretMissing);
        }
        Err(error) => return Err(error.into()),
    };

    let check = verify_token(&app.webflow, &stored.token).await;
    let retry_after_seconds = match &check {
        Err(TokenCheckError::Webflow(WebflowError::RateLimited { retry_after })) => {
            Some(retry_after.unwrap_or(DEFAULT_RATE_LIMIT_WAIT).as_secs())
        }
        _ => None,
    };
    let (result, message) = classify(&check);
    let tested_at = timestamp::now();
    let outcome = TestOutcome {
        result,
        tested_at: tested_at.clone(),
        token_version: stored.version,
        error_reason: message
            .clone()
            .filter(|_| result.is_token_fault())
            .map(|message| StatusReason {
                code: result.as_str().to_owned(),
                message,
                at: tested_at.clone(),
            }),
    };
    let account = app
        .accounts
        .record_test(tenant, account_id, &outcome)
        .await?
        .ok_or(ApiError::AccountNotFound)?;
    tracing::info!(
        tenant = tenant.key(),
        account_id,
        result = result.as_str(),
        status = account.status.as_str(),
        "connection tested"
    );

    Ok(TestReport {
        account_id: account_id.to_owned(),
        result,
        status: account.status,
        tested_at,
        error: message.map(|message| TestError {
            code: result.as_str().to_owned(),
            message,
            retry_after_seconds,
        }),
    })
}

fn classify<T>(check: &Result<T, TokenCheckError>) -> (TestResult, Option<String>) {
    match check {
        Ok(_) => (TestResult::Ok, None),
        Err(TokenCheckError::NotASiteToken { site_count }) => (
            TestResult::TokenInvalid,
            Some(format!(
                "The token now sees {site_count} sites instead of one; generate a new site token and link it again."
            )),
        ),
        Err(TokenCheckError::Webflow(error)) => match error {
            WebflowError::TokenInvalid => (TestResult::TokenInvalid, Some(token_invalid_message())),
            WebflowError::MissingScope { scope } => {
                (TestResult::MissingScope, Some(missing_scope_message(scope)))
            }
            WebflowError::RateLimited { retry_after } => (
                TestResult::RateLimited,
                Some(rate_limited_message(
                    retry_after.unwrap_or(DEFAULT_RATE_LIMIT_WAIT),
                )),
            ),
            WebflowError::Unavailable(outage) => (
                TestResult::ProviderUnavailable,
                Some(unavailable_message(outage)),
            ),
        },
    }
}
