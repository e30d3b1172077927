use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::error::ApiError;
use crate::ports::{AccountStore, SecretStore, SecretSummary};
use crate::tenant::Tenant;

/// Bounds of one sweep run.
#[derive(Debug, Clone)]
pub struct SweepLimits {
    /// Secrets younger than this are left alone: a link that is still running has written
    /// its secret but maybe not yet its record. It must exceed the link function's timeout.
    pub grace: Duration,
    /// The maximum number of secrets one run examines.
    pub max_examined: usize,
    /// The maximum number of secrets one run deletes.
    pub max_deleted: usize,
}

/// Counts of one sweep run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub examined: usize,
    pub deleted: usize,
    /// Secrets whose account record exists.
    pub kept: usize,
    /// Secrets inside the grace period.
    pub too_young: usize,
    /// Secrets under the prefix whose name or tags are not Sitelink's; never deleted.
    pub unrecognized: usize,
    /// False when a limit stopped the run before the listing ended.
    pub complete: bool,
}

/// Deletes secrets that no account record points at: the leftovers of a link that was
/// killed between writing its secret and writing its record, where no compensation ran.
///
/// A secret is deleted only if its name is `<prefix><tenant key>/<account id>`, its tags
/// name the same tenant key and account id, it is older than the grace period, and the
/// account record does not exist. Running it again deletes nothing more, so it is safe to
/// repeat and to run on a schedule.
pub async fn sweep_orphans<A, S>(
    accounts: &A,
    secrets: &S,
    prefix: &str,
    limits: &SweepLimits,
    now: SystemTime,
) -> Result<SweepReport, ApiError>
where
    A: AccountStore,
    S: SecretStore,
{
    let cutoff = now
        .checked_sub(limits.grace)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut report = SweepReport::default();
    let mut next_token = None;
    loop {
        let page = secrets.list(prefix, next_token.take()).await?;
        for secret in page.secrets {
            if report.examined >= limits.max_examined || report.deleted >= limits.max_deleted {
                tracing::warn!(
                    examined = report.examined,
                    deleted = report.deleted,
                    "sweep stopped at its limit; the next run continues"
                );
                return Ok(report);
            }
            report.examined += 1;
            let Some((tenant, account_id)) = parse_owner(prefix, &secret) else {
                report.unrecognized += 1;
                tracing::warn!(secret_name = %secret.name, "secret under the prefix has an unexpected name or tags; left alone");
                continue;
            };
            if secret.created_at.is_none_or(|created| created > cutoff) {
                report.too_young += 1;
                continue;
            }
            if accounts.get(&tenant, &account_id).await?.is_some() {
                report.kept += 1;
                continue;
            }
            secrets.delete(&secret.name).await?;
            report.deleted += 1;
            tracing::info!(secret_name = %secret.name, tenant = tenant.key(), account_id, "deleted an orphaned secret");
        }
        match page.next_token {
            Some(token) => next_token = Some(token),
            None => break,
        }
    }
    report.complete = true;
    tracing::info!(
        examined = report.examined,
        deleted = report.deleted,
        kept = report.kept,
        too_young = report.too_young,
        unrecognized = report.unrecognized,
        "sweep finished"
    );
    Ok(report)
}

fn parse_owner(prefix: &str, secret: &SecretSummary) -> Option<(Tenant, String)> {
    let rest = secret.name.strip_prefix(prefix)?;
    let (tenant_key, account_id) = rest.split_once('/')?;
    sitelink_validation::validate_account_id("account_id", account_id).ok()?;
    let tags_agree = secret.tenant_key.as_deref() == Some(tenant_key)
        && secret.account_id.as_deref() == Some(account_id);
    if !tags_agree {
        return None;
    }
    Some((Tenant::from_key(tenant_key)?, account_id.to_owned()))
}
