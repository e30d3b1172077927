use sitelink_validation::{ACCOUNT_ID_PREFIX, LinkRequest};

use super::verify::{VerifiedToken, verify_token};
use crate::app::App;
use crate::error::ApiError;
use crate::model::{Account, AccountStatus, PROVIDER_WEBFLOW};
use crate::ports::{
    AccountStore, CreateOutcome, RelinkChanges, SecretStore, SecretTags, WebflowApi,
};
use crate::tenant::Tenant;
use crate::timestamp;

/// The account a link produced, and whether it is new (`201`) or a relink (`200`).
#[derive(Debug, Clone)]
pub struct Linked {
    pub account: Account,
    pub created: bool,
}

/// Links a Webflow site: verifies the token with Webflow, then stores it.
///
/// Nothing is stored unless Webflow accepts the token. A new account's secret is written
/// before its record, while the link item is read, and deleted again if the record is not
/// written or the link is a relink, so no record ever points at a missing secret. A second
/// link of the same site for the same tenant and origin owner is a relink: a new version of
/// the same secret, the same account id.
pub async fn link<A, S, W>(
    app: &App<A, S, W>,
    tenant: &Tenant,
    request: LinkRequest,
) -> Result<Linked, ApiError>
where
    A: AccountStore,
    S: SecretStore,
    W: WebflowApi,
{
    let verified = verify_token(&app.webflow, &request.site_token).await?;

    let now = timestamp::now();
    let account = Account {
        id: new_account_id(),
        provider: PROVIDER_WEBFLOW.to_owned(),
        origin_owner_id: request.origin_owner_id.clone(),
        origin_owner_name: request.origin_owner_name.clone(),
        label: request.label.clone(),
        status: AccountStatus::Active,
        status_reason: None,
        site: verified.site.clone(),
        authorized_user: verified.authorized_user.clone(),
        token_hint: request.site_token.hint(),
        created_at: now.clone(),
        updated_at: now,
        last_tested_at: None,
    };
    let secret_name = app.secret_name(tenant, &account.id);
    let tags = SecretTags {
        tenant_key: tenant.key().to_owned(),
        account_id: account.id.clone(),
    };
    let token_version = new_token_version();

    // The new account's secret is written while the link item is read, which saves a new
    // site's link one round trip. When the link item shows a relink, that secret is deleted.
    let (existing, created) = tokio::join!(
        app.accounts
            .find_linked(tenant, &verified.site.id, &request.origin_owner_id),
        app.secrets
            .create(&secret_name, &request.site_token, &tags, &token_version),
    );
    let existing = match existing {
        Ok(existing) => existing,
        Err(error) => {
            discard_unused_secret(app, tenant, &account.id, &secret_name).await;
            return Err(error.into());
        }
    };
    if let Some(account_id) = existing {
        let (relinked, _) = tokio::join!(
            relink(app, tenant, &account_id, &request, verified),
            discard_unused_secret(app, tenant, &account.id, &secret_name),
        );
        return relinked;
    }
    created?;

    match app.accounts.create(tenant, &account, &token_version).await {
        Ok(CreateOutcome::Created) => Ok(new_account_linked(tenant, account)),
        Ok(CreateOutcome::SiteAlreadyLinked) => {
            let winner = app
                .accounts
                .find_linked(tenant, &verified.site.id, &request.origin_owner_id)
                .await?
                .ok_or_else(|| {
                    ApiError::Internal(
                        "the link item vanished after a conflicting create".to_owned(),
                    )
                })?;
            // A retried transaction whose first attempt was written conflicts with itself:
            // the account is this call's own, and its secret must stay.
            if winner == account.id {
                return Ok(new_account_linked(tenant, account));
            }
            // A concurrent first link of the same site and owner won; this call becomes a
            // relink of its account.
            delete_unused_secret(app, tenant, &account.id, &secret_name).await?;
            relink(app, tenant, &winner, &request, verified).await
        }
        Err(error) => {
            delete_unused_secret(app, tenant, &account.id, &secret_name).await?;
            Err(error.into())
        }
    }
}

fn new_account_linked(tenant: &Tenant, account: Account) -> Linked {
    tracing::info!(tenant = tenant.key(), account_id = %account.id, site_id = %account.site.id, "account linked");
    Linked {
        account,
        created: true,
    }
}

/// Relinks an existing account. The record is updated first and the secret second, so a
/// failed secret write is undone with the previous values that the update returned. The
/// old token stays current either way.
async fn relink<A, S, W>(
    app: &App<A, S, W>,
    tenant: &Tenant,
    account_id: &str,
    request: &LinkRequest,
    verified: VerifiedToken,
) -> Result<Linked, ApiError>
where
    A: AccountStore,
    S: SecretStore,
{
    let changes = RelinkChanges {
        origin_owner_name: request.origin_owner_name.clone(),
        label: request.label.clone(),
        site: verified.site,
        authorized_user: verified.authorized_user,
        token_hint: request.site_token.hint(),
        status: AccountStatus::Active,
        status_reason: None,
        updated_at: timestamp::now(),
        token_version: new_token_version(),
    };
    let (previous, previous_version) = app
        .accounts
        .relink(tenant, account_id, &changes, None)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(format!("account {account_id} vanished during a relink"))
        })?;

    let secret_name = app.secret_name(tenant, account_id);
    let tags = SecretTags {
        tenant_key: tenant.key().to_owned(),
        account_id: account_id.to_owned(),
    };
    if let Err(error) = app
        .secrets
        .put(
            &secret_name,
            &request.site_token,
            &tags,
            &changes.token_version,
        )
        .await
    {
        let restore = RelinkChanges::from_account(&previous, &previous_version);
        match app
            .accounts
            .relink(tenant, account_id, &restore, Some(&changes.updated_at))
            .await
        {
            Ok(Some(_)) => {}
            // Another relink wrote the record meanwhile; its values stand.
            Ok(None) => {}
            Err(restore_error) => {
                tracing::error!(tenant = tenant.key(), account_id, error = %restore_error, "failed to restore the account after a failed relink; its record describes a token that was not stored");
            }
        }
        return Err(error.into());
    }

    let account = changes.apply(previous);
    tracing::info!(tenant = tenant.key(), account_id, site_id = %account.site.id, "account relinked");
    Ok(Linked {
        account,
        created: false,
    })
}

/// Deletes the secret written for a new account that will not be created, because the link
/// is a relink or the link item could not be read. A failed create may still have stored
/// it (a timeout after the write), so it is deleted either way. The link's outcome does not
/// depend on this, so a failure is only logged: the secret has no record, and the orphan
/// sweep removes it.
async fn discard_unused_secret<A, S, W>(
    app: &App<A, S, W>,
    tenant: &Tenant,
    account_id: &str,
    secret_name: &str,
) where
    S: SecretStore,
{
    if let Err(error) = app.secrets.delete(secret_name).await {
        tracing::warn!(tenant = tenant.key(), account_id, secret_name, error = %error, "failed to delete a secret that no account uses; the orphan sweep will remove it");
    }
}

/// Deletes the secret of an account whose record was not written. If that fails too, the
/// secret is an orphan: it is logged by name so it can be found and removed.
async fn delete_unused_secret<A, S, W>(
    app: &App<A, S, W>,
    tenant: &Tenant,
    account_id: &str,
    secret_name: &str,
) -> Result<(), ApiError>
where
    S: SecretStore,
{
    if let Err(error) = app.secrets.delete(secret_name).await {
        tracing::error!(tenant = tenant.key(), account_id, secret_name, error = %error, "failed to delete the secret of an unwritten account; it is orphaned");
        return Err(error.into());
    }
    Ok(())
}

/// Returns a new secret version id; Secrets Manager takes a UUID as the version's id.
fn new_token_version() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn new_account_id() -> String {
    // Version 7 UUIDs start with the time, so account ids sort roughly by creation.
    format!("{ACCOUNT_ID_PREFIX}{}", uuid::Uuid::now_v7().simple())
}
