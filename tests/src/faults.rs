//! Fault injection behind the storage ports: wrappers that pass every call to the real
//! adapter unless a fault is set for that operation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sitelink_core::adapters::{DynamoAccountStore, SecretsManagerStore};
use sitelink_core::model::Account;
use sitelink_core::ports::{
    AccountStore, CreateOutcome, ListFilter, ListedPage, RelinkChanges, SecretPage, SecretStore,
    SecretTags, StoreError, StoredToken, TestOutcome,
};
use sitelink_core::tenant::Tenant;
use sitelink_validation::SiteToken;

/// A storage operation that a fault can be set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    FindLinked,
    GetAccount,
    CreateAccount,
    Relink,
    RecordTest,
    List,
    CreateSecret,
    PutSecret,
    GetSecret,
    DeleteSecret,
    ListSecrets,
}

/// What an operation with a fault returns instead of calling AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttled,
    Failed,
    /// The write lands, but the call returns what a retry of it finds afterwards, as when
    /// the SDK retries a request whose response was lost. Only account creation has it: it
    /// returns a conflict with the account it has just written.
    RetriedAfterWrite,
}

/// The faults in force, shared by the wrappers of one harness.
#[derive(Debug, Default)]
pub struct Faults {
    set: Mutex<HashMap<Operation, Fault>>,
}

impl Faults {
    pub fn set(&self, operation: Operation, fault: Fault) {
        self.set.lock().expect("faults").insert(operation, fault);
    }

    pub fn clear(&self) {
        self.set.lock().expect("faults").clear();
    }

    fn is_set(&self, operation: Operation, fault: Fault) -> bool {
        self.set.lock().expect("faults").get(&operation) == Some(&fault)
    }

    fn check(&self, operation: Operation) -> Result<(), StoreError> {
        let fault = self.set.lock().expect("faults").get(&operation).copied();
        let source = Box::new(std::io::Error::other(format!(
            "injected fault on {operation:?}"
        )));
        match fault {
            None | Some(Fault::RetriedAfterWrite) => Ok(()),
            Some(Fault::Throttled) => Err(StoreError::Throttled {
                service: "injected",
                operation: "injected",
                source,
            }),
            Some(Fault::Failed) => Err(StoreError::Failed {
                service: "injected",
                operation: "injected",
                source,
            }),
        }
    }
}

pub struct FaultyAccounts {
    pub inner: DynamoAccountStore,
    pub faults: Arc<Faults>,
}

pub struct FaultySecrets {
    pub inner: SecretsManagerStore,
    pub faults: Arc<Faults>,
}

impl AccountStore for FaultyAccounts {
    async fn find_linked(
        &self,
        tenant: &Tenant,
        site_id: &str,
        origin_owner_id: &str,
    ) -> Result<Option<String>, StoreError> {
        self.faults.check(Operation::FindLinked)?;
        self.inner
            .find_linked(tenant, site_id, origin_owner_id)
            .await
    }

    async fn get(&self, tenant: &Tenant, account_id: &str) -> Result<Option<Account>, StoreError> {
        self.faults.check(Operation::GetAccount)?;
        self.inner.get(tenant, account_id).await
    }

    async fn create(
        &self,
        tenant: &Tenant,
        account: &Account,
        token_version: &str,
    ) -> Result<CreateOutcome, StoreError> {
        self.faults.check(Operation::CreateAccount)?;
        let outcome = self.inner.create(tenant, account, token_version).await?;
        if self
            .faults
            .is_set(Operation::CreateAccount, Fault::RetriedAfterWrite)
        {
            return Ok(CreateOutcome::SiteAlreadyLinked);
        }
        Ok(outcome)
    }

    async fn relink(
        &self,
        tenant: &Tenant,
        account_id: &str,
        changes: &RelinkChanges,
        expected_updated_at: Option<&str>,
    ) -> Result<Option<(Account, String)>, StoreError> {
        self.faults.check(Operation::Relink)?;
        self.inner
            .relink(tenant, account_id, changes, expected_updated_at)
            .await
    }

    async fn record_test(
        &self,
        tenant: &Tenant,
        account_id: &str,
        outcome: &TestOutcome,
    ) -> Result<Option<Account>, StoreError> {
        self.faults.check(Operation::RecordTest)?;
        self.inner.record_test(tenant, account_id, outcome).await
    }

    async fn list(
        &self,
        tenant: &Tenant,
        filter: &ListFilter,
        limit: u16,
        after: Option<&str>,
    ) -> Result<ListedPage, StoreError> {
        self.faults.check(Operation::List)?;
        self.inner.list(tenant, filter, limit, after).await
    }
}

impl SecretStore for FaultySecrets {
    async fn create(
        &self,
        name: &str,
        token: &SiteToken,
        tags: &SecretTags,
        version: &str,
    ) -> Result<(), StoreError> {
        self.faults.check(Operation::CreateSecret)?;
        self.inner.create(name, token, tags, version).await
    }

    async fn put(
        &self,
        name: &str,
        token: &SiteToken,
        tags: &SecretTags,
        version: &str,
    ) -> Result<(), StoreError> {
        self.faults.check(Operation::PutSecret)?;
        self.inner.put(name, token, tags, version).await
    }

    async fn get(&self, name: &str) -> Result<Option<StoredToken>, StoreError> {
        self.faults.check(Operation::GetSecret)?;
        self.inner.get(name).await
    }

    async fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.faults.check(Operation::DeleteSecret)?;
        self.inner.delete(name).await
    }

    async fn list(
        &self,
        prefix: &str,
        next_token: Option<String>,
    ) -> Result<SecretPage, StoreError> {
        self.faults.check(Operation::ListSecrets)?;
        self.inner.list(prefix, next_token).await
    }
}
