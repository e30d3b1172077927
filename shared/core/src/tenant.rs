//! The tenant a request belongs to.

use sha2::{Digest, Sha256};
use sitelink_validation::{FieldError, validate_tenant};

/// Length in hex characters of a tenant key: 128 bits of SHA-256, enough that two tenants
/// never share one.
const TENANT_KEY_HEX_LENGTH: usize = 32;

/// A tenant, as named by the authorizer's claims.
///
/// Storage never uses the tenant id itself: keys, secret names and tags use
/// [`Tenant::key`], a hash of it, so no id can inject a key separator or put personal data
/// into a secret's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    key: String,
}

impl Tenant {
    pub fn new(id: &str) -> Result<Self, FieldError> {
        validate_tenant(id)?;
        let digest = Sha256::digest(id.as_bytes());
        let mut key = hex::encode(digest);
        key.truncate(TENANT_KEY_HEX_LENGTH);
        Ok(Self { key })
    }

    /// Rebuilds a tenant from its storage key, as found in a secret's tags; `None` unless
    /// the key has the form [`Tenant::key`] returns.
    pub fn from_key(key: &str) -> Option<Self> {
        let valid = key.len() == TENANT_KEY_HEX_LENGTH
            && key
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| Self {
            key: key.to_owned(),
        })
    }

    /// Returns the tenant's storage key: 32 lowercase hexadecimal characters.
    pub fn key(&self) -> &str {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_stable_hex_and_distinct() {
        let a = Tenant::new("tenant-a").unwrap();
        assert_eq!(a.key().len(), 32);
        assert!(a.key().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, Tenant::new("tenant-a").unwrap());
        assert_ne!(a, Tenant::new("tenant-b").unwrap());
        assert_ne!(Tenant::new("a#b").unwrap(), Tenant::new("a").unwrap());
        assert_eq!(Tenant::from_key(a.key()), Some(a));
        assert_eq!(Tenant::from_key("../x"), None);
    }
}
