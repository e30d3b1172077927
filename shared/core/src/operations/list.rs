use sitelink_validation::{ListQuery, StatusFilter};

use crate::app::App;
use crate::error::ApiError;
use crate::model::{AccountPage, AccountStatus};
use crate::ports::{AccountStore, ListFilter};
use crate::tenant::Tenant;

/// Lists a tenant's accounts, filtered, one page at a time.
pub async fn list<A: AccountStore, S, W>(
    app: &App<A, S, W>,
    tenant: &Tenant,
    query: ListQuery,
) -> Result<AccountPage, ApiError> {
    let filter = ListFilter {
        origin_owner_id: query.origin_owner_id,
        status: query.status.map(|status| match status {
            StatusFilter::Active => AccountStatus::Active,
            StatusFilter::Error => AccountStatus::Error,
        }),
    };
    let after = query
        .cursor
        .map(|cursor| app.cursors.decode(&cursor, tenant, &filter))
        .transpose()
        .map_err(ApiError::InvalidCursor)?;

    let page = app
        .accounts
        .list(tenant, &filter, query.limit, after.as_deref())
        .await?;

    let next_cursor = page
        .continue_after
        .map(|id| app.cursors.encode(tenant, &filter, &id))
        .transpose()
        .map_err(ApiError::InvalidCursor)?;
    Ok(AccountPage {
        data: page.accounts,
        next_cursor,
    })
}
