//! The interfaces the operations need from storage and from Webflow. The adapters in
//! [`crate::adapters`] and [`crate::webflow`] implement them for AWS and the real API;
//! tests can put failing or in-memory versions behind them.

use std::future::Future;

use sitelink_validation::SiteToken;

use crate::model::{Account, AccountStatus, AuthorizedUser, Site, StatusReason, TestResult};
use crate::tenant::Tenant;
use crate::webflow::{WebflowClient, WebflowError, WebflowSite, WebflowUser};

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A storage call that failed. None of these texts contains a token.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{service} throttled {operation}")]
    Throttled {
        service: &'static str,
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("{service} {operation} failed")]
    Failed {
        service: &'static str,
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("the account's secret is scheduled for deletion")]
    SecretScheduledForDeletion,
    #[error("a stored item is malformed: {0}")]
    Corrupt(String),
}

/// Whether a new account's records were written, or another link of the same site and
/// origin owner got there first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    Created,
    SiteAlreadyLinked,
}

/// The fields a relink overwrites. Restoring an account after a failed relink writes its
/// previous values back through the same type.
#[derive(Debug, Clone)]
pub struct RelinkChanges {
    pub origin_owner_name: String,
    pub label: Option<String>,
    pub site: Site,
    pub authorized_user: AuthorizedUser,
    pub token_hint: String,
    pub status: AccountStatus,
    pub status_reason: Option<StatusReason>,
    pub updated_at: String,
    /// The version id of the secret version that contains the token this record describes.
    pub token_version: String,
}

impl RelinkChanges {
    /// Copies the current values of `account`, to write back if a relink fails half-way.
    pub fn from_account(account: &Account, token_version: &str) -> Self {
        Self {
            origin_owner_name: account.origin_owner_name.clone(),
            label: account.label.clone(),
            site: account.site.clone(),
            authorized_user: account.authorized_user.clone(),
            token_hint: account.token_hint.clone(),
            status: account.status,
            status_reason: account.status_reason.clone(),
            updated_at: account.updated_at.clone(),
            token_version: token_version.to_owned(),
        }
    }

    /// Returns `account` with these changes applied.
    pub fn apply(&self, mut account: Account) -> Account {
        account.origin_owner_name = self.origin_owner_name.clone();
        account.label = self.label.clone();
        account.site = self.site.clone();
        account.authorized_user = self.authorized_user.clone();
        account.token_hint = self.token_hint.clone();
        account.status = self.status;
        account.status_reason = self.status_reason.clone();
        account.updated_at = self.updated_at.clone();
        account
    }
}

/// A finished connection test, to be recorded on the account.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub result: TestResult,
    pub tested_at: String,
    /// The version id of the secret version whose token was tested. The outcome is
    /// recorded only while the account still points at that version, so a test that read
    /// the token just before a relink cannot mark the new token as failed.
    pub token_version: String,
    /// `Some` when the result moves the account to `error`, `None` when it leaves the
    /// status alone (a transient failure) or restores `active` (`ok`).
    pub error_reason: Option<StatusReason>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub origin_owner_id: Option<String>,
    pub status: Option<AccountStatus>,
}

/// One page of accounts, in account id order, and the id to continue after, if any.
#[derive(Debug, Clone)]
pub struct ListedPage {
    pub accounts: Vec<Account>,
    pub continue_after: Option<String>,
}

/// Account records. Every call is scoped to one tenant.
pub trait AccountStore: Send + Sync {
    /// Finds the account that links `site_id` for `origin_owner_id`, if there is one.
    fn find_linked(
        &self,
        tenant: &Tenant,
        site_id: &str,
        origin_owner_id: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    fn get(
        &self,
        tenant: &Tenant,
        account_id: &str,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// Writes a new account, pointing at secret version `token_version`, and the
    /// uniqueness record of its site and origin owner in one transaction, so two concurrent
    /// first links produce one account.
    fn create(
        &self,
        tenant: &Tenant,
        account: &Account,
        token_version: &str,
    ) -> impl Future<Output = Result<CreateOutcome, StoreError>> + Send;

    /// Overwrites the relink fields and returns the account as it was before, with the
    /// token version it pointed at. Returns `None` when the account does not exist, or when
    /// `expected_updated_at` is given and differs from the stored `updated_at`.
    fn relink(
        &self,
        tenant: &Tenant,
        account_id: &str,
        changes: &RelinkChanges,
        expected_updated_at: Option<&str>,
    ) -> impl Future<Output = Result<Option<(Account, String)>, StoreError>> + Send;

    /// Records a test outcome and returns the account as stored afterwards, or `None` when
    /// the account does not exist. The outcome is dropped when a later one is recorded
    /// already or when the account points at another token version.
    fn record_test(
        &self,
        tenant: &Tenant,
        account_id: &str,
        outcome: &TestOutcome,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// Lists up to `limit` accounts matching `filter`, in id order, after `after`.
    fn list(
        &self,
        tenant: &Tenant,
        filter: &ListFilter,
        limit: u16,
        after: Option<&str>,
    ) -> impl Future<Output = Result<ListedPage, StoreError>> + Send;
}

/// The tags a new secret gets, so it can be traced to its account without reading it.
#[derive(Debug, Clone)]
pub struct SecretTags {
    pub tenant_key: String,
    pub account_id: String,
}

/// A stored secret as listed: its name, tags and creation time, never its value.
#[derive(Debug, Clone)]
pub struct SecretSummary {
    pub name: String,
    pub tenant_key: Option<String>,
    pub account_id: Option<String>,
    pub created_at: Option<std::time::SystemTime>,
}

/// One page of a secret listing, and the token for the next page.
#[derive(Debug, Clone)]
pub struct SecretPage {
    pub secrets: Vec<SecretSummary>,
    pub next_token: Option<String>,
}

/// A token read from the secret store, with the id of the version that contains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub token: SiteToken,
    pub version: String,
}

/// One secret per account, holding its site token. Callers choose each version's id (a
/// UUID), so the account record can name it before the secret is written.
pub trait SecretStore: Send + Sync {
    fn create(
        &self,
        name: &str,
        token: &SiteToken,
        tags: &SecretTags,
        version: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Writes a new current version of a secret. A missing secret is created with `tags`,
    /// and a scheduled deletion is cancelled first, so a relink repairs an account whose
    /// secret was lost.
    fn put(
        &self,
        name: &str,
        token: &SiteToken,
        tags: &SecretTags,
        version: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Reads the current version; `None` when the secret does not exist.
    fn get(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<StoredToken>, StoreError>> + Send;

    /// Deletes a secret at once, with no recovery window. Deleting a missing secret succeeds.
    fn delete(&self, name: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Lists the secrets whose names start with `prefix`, one page at a time, leaving out
    /// secrets already scheduled for deletion.
    fn list(
        &self,
        prefix: &str,
        next_token: Option<String>,
    ) -> impl Future<Output = Result<SecretPage, StoreError>> + Send;
}

/// The Webflow calls that prove a token works.
pub trait WebflowApi: Send + Sync {
    fn sites(
        &self,
        token: &SiteToken,
    ) -> impl Future<Output = Result<Vec<WebflowSite>, WebflowError>> + Send;
    fn authorized_by(
        &self,
        token: &SiteToken,
    ) -> impl Future<Output = Result<WebflowUser, WebflowError>> + Send;
}

impl WebflowApi for WebflowClient {
    fn sites(
        &self,
        token: &SiteToken,
    ) -> impl Future<Output = Result<Vec<WebflowSite>, WebflowError>> + Send {
        WebflowClient::sites(self, token)
    }

    fn authorized_by(
        &self,
        token: &SiteToken,
    ) -> impl Future<Output = Result<WebflowUser, WebflowError>> + Send {
        WebflowClient::authorized_by(self, token)
    }
}
