use crate::FieldError;
use crate::text::check_text;

/// Every account id is this prefix followed by 32 lowercase hexadecimal characters.
pub const ACCOUNT_ID_PREFIX: &str = "acc_";
const ACCOUNT_ID_HEX_LENGTH: usize = 32;
const MAX_TENANT_CHARS: usize = 256;

/// Checks an account id from a path before it is used in any lookup.
pub fn validate_account_id(field: &str, id: &str) -> Result<(), FieldError> {
    let valid = id.strip_prefix(ACCOUNT_ID_PREFIX).is_some_and(|hex| {
        hex.len() == ACCOUNT_ID_HEX_LENGTH
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "invalid_format",
            format!(
                "`{field}` is not an account id: expected `{ACCOUNT_ID_PREFIX}` followed by {ACCOUNT_ID_HEX_LENGTH} lowercase hexadecimal characters, as returned by POST /accounts."
            ),
        ))
    }
}

/// Checks a tenant id taken from the authorizer's claims or the local setting.
pub fn validate_tenant(tenant: &str) -> Result<(), FieldError> {
    check_text("tenant", tenant, MAX_TENANT_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_accepts_generated_form() {
        assert!(validate_account_id("account_id", "acc_0123456789abcdef0123456789abcdef").is_ok());
    }

    #[test]
    fn account_id_rejects_hostile_forms() {
        let cases = [
            "",
            "../x",
            "acc_",
            "acc_0123456789ABCDEF0123456789ABCDEF",
            "acc_0123456789abcdef0123456789abcdef0",
            "acc_0123456789abcdef0123456789abcdeé",
            "ACC_0123456789abcdef0123456789abcdef",
        ];
        for id in cases {
            let error = validate_account_id("account_id", id).unwrap_err();
            assert_eq!(error.code, "invalid_format", "{id}");
        }
    }

    #[test]
    fn tenant_rejects_blank_and_control_characters() {
        assert!(validate_tenant("user-1").is_ok());
        assert_eq!(validate_tenant(" ").unwrap_err().code, "missing");
        assert_eq!(
            validate_tenant("a\u{0}b").unwrap_err().code,
            "invalid_character"
        );
    }
}
