//! Stand-ins for the ports, for fast tests and fuzzing of the request handling, where no
//! storage or Webflow is wanted. Storage is empty and accepts writes; Webflow refuses
//! every token. Only with the `test-support` feature.

use sitelink_validation::SiteToken;

use crate::model::Account;
use crate::ports::{
    AccountStore, CreateOutcome, ListFilter, ListedPage, RelinkChanges, SecretPage, SecretStore,
    SecretTags, StoreError, StoredToken, TestOutcome, WebflowApi,
};
use crate::tenant::Tenant;
use crate::webflow::{WebflowError, WebflowSite, WebflowUser};

/// Storage that is always empty: reads find nothing and writes succeed without effect.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyStorage;

/// A Webflow stand-in that rejects every token with HTTP 401.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefusingWebflow;

impl AccountStore for EmptyStorage {
    async fn find_linked(
        &self,
        _: &Tenant,
        _: &str,
        _: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    async fn get(&self, _: &Tenant, _: &str) -> Result<Option<Account>, StoreError> {
        Ok(None)
    }

    async fn create(&self, _: &Tenant, _: &Account, _: &str) -> Result<CreateOutcome, StoreError> {
        Ok(CreateOutcome::Created)
    }

    async fn relink(
        &self,
        _: &Tenant,
        _: &str,
        _: &RelinkChanges,
        _: Option<&str>,
    ) -> Result<Option<(Account, String)>, StoreError> {
        Ok(None)
    }

    async fn record_test(
        &self,
        _: &Tenant,
        _: &str,
        _: &TestOutcome,
    ) -> Result<Option<Account>, StoreError> {
        Ok(None)
    }

    async fn list(
        &self,
        _: &Tenant,
        _: &ListFilter,
        _: u16,
        _: Option<&str>,
    ) -> Result<ListedPage, StoreError> {
        Ok(ListedPage {
            accounts: Vec::new(),
            continue_after: None,
        })
    }
}

impl SecretStore for EmptyStorage {
    async fn create(
        &self,
        _: &str,
        _: &SiteToken,
        _: &SecretTags,
        _: &str,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    async fn put(&self, _: &str, _: &SiteToken, _: &SecretTags, _: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn get(&self, _: &str) -> Result<Option<StoredToken>, StoreError> {
        Ok(None)
    }

    async fn delete(&self, _: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn list(&self, _: &str, _: Option<String>) -> Result<SecretPage, StoreError> {
        Ok(SecretPage {
            secrets: Vec::new(),
            next_token: None,
        })
    }
}

impl WebflowApi for RefusingWebflow {
    async fn sites(&self, _: &SiteToken) -> Result<Vec<WebflowSite>, WebflowError> {
        Err(WebflowError::TokenInvalid)
    }

    async fn authorized_by(&self, _: &SiteToken) -> Result<WebflowUser, WebflowError> {
        Err(WebflowError::TokenInvalid)
    }
}
