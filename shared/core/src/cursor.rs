//! Opaque, signed list cursors.
//!
//! A cursor is `base64url(payload).base64url(HMAC-SHA256(payload))`. The payload names the
//! tenant key, a hash of the filters and the last account id returned, so a cursor edited,
//! cut short, used by another tenant or with other filters is rejected.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ports::ListFilter;
use crate::tenant::Tenant;

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;

/// A reason a cursor was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("the cursor is malformed or was altered")]
    Invalid,
    #[error("the cursor belongs to a list with other filters or another caller")]
    OtherQuery,
    #[error("no cursor key is configured")]
    NoKey,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    v: u8,
    /// Tenant key.
    t: String,
    /// Hash of the filters.
    f: String,
    /// The last account id returned.
    a: String,
}

/// Signs and verifies cursors with the configured keys; the first key signs.
#[derive(Clone)]
pub struct CursorCodec {
    keys: Vec<Vec<u8>>,
}

impl CursorCodec {
    pub fn new(keys: Vec<Vec<u8>>) -> Self {
        Self { keys }
    }

    pub fn encode(
        &self,
        tenant: &Tenant,
        filter: &ListFilter,
        after: &str,
    ) -> Result<String, CursorError> {
        let key = self.keys.first().ok_or(CursorError::NoKey)?;
        let payload = Payload {
            v: VERSION,
            t: tenant.key().to_owned(),
            f: filter_hash(filter),
            a: after.to_owned(),
        };
        let json = serde_json::to_vec(&payload).map_err(|_| CursorError::Invalid)?;
        let signature = sign(key, &json);
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&json),
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// Returns the account id to continue after.
    pub fn decode(
        &self,
        cursor: &str,
        tenant: &Tenant,
        filter: &ListFilter,
    ) -> Result<String, CursorError> {
        if self.keys.is_empty() {
            return Err(CursorError::NoKey);
        }
        let (payload_part, signature_part) = cursor.split_once('.').ok_or(CursorError::Invalid)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload_part)
            .map_err(|_| CursorError::Invalid)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature_part)
            .map_err(|_| CursorError::Invalid)?;
        let verified = self.keys.iter().any(|key| {
            let mut mac = new_mac(key);
            mac.update(&json);
            mac.verify_slice(&signature).is_ok()
        });
        if !verified {
            return Err(CursorError::Invalid);
        }
        let payload: Payload = serde_json::from_slice(&json).map_err(|_| CursorError::Invalid)?;
        if payload.v != VERSION {
            return Err(CursorError::Invalid);
        }
        if payload.t != tenant.key() || payload.f != filter_hash(filter) {
            return Err(CursorError::OtherQuery);
        }
        Ok(payload.a)
    }
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

fn sign(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn filter_hash(filter: &ListFilter) -> String {
    let mut hasher = Sha256::new();
    // Length prefixes keep ("a", "b") and ("ab", "") apart.
    match &filter.origin_owner_id {
        Some(owner) => hasher.update(format!("owner:{}:{owner};", owner.len())),
        None => hasher.update("owner:none;"),
    }
    hasher.update(
        filter
            .status
            .map_or("status:none", |status| status.as_str()),
    );
    let digest = hasher.finalize();
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccountStatus;

    const ID: &str = "acc_0123456789abcdef0123456789abcdef";

    fn codec() -> CursorCodec {
        CursorCodec::new(vec![b"k".repeat(32)])
    }

    fn tenant(name: &str) -> Tenant {
        Tenant::new(name).unwrap()
    }

    #[test]
    fn round_trip() {
        let filter = ListFilter::default();
        let cursor = codec().encode(&tenant("a"), &filter, ID).unwrap();
        assert_eq!(codec().decode(&cursor, &tenant("a"), &filter).unwrap(), ID);
    }

    #[test]
    fn other_tenant_or_filter_is_rejected() {
        let filter = ListFilter::default();
        let cursor = codec().encode(&tenant("a"), &filter, ID).unwrap();
        assert_eq!(
            codec().decode(&cursor, &tenant("b"), &filter),
            Err(CursorError::OtherQuery)
        );
        let active = ListFilter {
            status: Some(AccountStatus::Active),
            ..ListFilter::default()
        };
        assert_eq!(
            codec().decode(&cursor, &tenant("a"), &active),
            Err(CursorError::OtherQuery)
        );
    }

    #[test]
    fn every_edit_and_truncation_is_rejected() {
        let filter = ListFilter::default();
        let cursor = codec().encode(&tenant("a"), &filter, ID).unwrap();
        for index in 0..cursor.len() {
            let mut bytes = cursor.clone().into_bytes();
            bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
            let edited = String::from_utf8(bytes).unwrap();
            if edited != cursor {
                assert!(
                    codec().decode(&edited, &tenant("a"), &filter).is_err(),
                    "edit at {index}"
                );
            }
            assert!(
                codec()
                    .decode(&cursor[..index], &tenant("a"), &filter)
                    .is_err(),
                "cut at {index}"
            );
        }
    }

    #[test]
    fn rotated_key_still_verifies() {
        let filter = ListFilter::default();
        let old = CursorCodec::new(vec![b"o".repeat(32)]);
        let cursor = old.encode(&tenant("a"), &filter, ID).unwrap();
        let rotated = CursorCodec::new(vec![b"n".repeat(32), b"o".repeat(32)]);
        assert_eq!(rotated.decode(&cursor, &tenant("a"), &filter).unwrap(), ID);
        let dropped = CursorCodec::new(vec![b"n".repeat(32)]);
        assert_eq!(
            dropped.decode(&cursor, &tenant("a"), &filter),
            Err(CursorError::Invalid)
        );
    }
}
