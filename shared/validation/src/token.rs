use std::fmt;

use crate::FieldError;

/// Length of a Webflow Site API token: 64 hexadecimal characters, with no prefix.
pub const SITE_TOKEN_LENGTH: usize = 64;

/// A Webflow Site API token.
///
/// `Debug` and `Display` print a redacted form, so the token cannot reach a log line, an
/// error or a panic message by formatting. Only [`SiteToken::expose`] gives the value, for
/// the `Authorization` header and the secret store.
#[derive(Clone, PartialEq, Eq)]
pub struct SiteToken(String);

impl SiteToken {
    /// Parses a pasted token: surrounding white space is dropped (people paste with a
    /// trailing newline), and what remains must be 64 hexadecimal characters.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(
                field,
                "missing",
                format!(
                    "`{field}` is empty: paste the Site API token generated in Webflow under Site settings → Apps & Integrations → API access."
                ),
            ));
        }
        let is_hex = trimmed.chars().all(|c| c.is_ascii_hexdigit());
        if trimmed.len() != SITE_TOKEN_LENGTH || !is_hex {
            return Err(FieldError::new(
                field,
                "invalid_format",
                format!(
                    "`{field}` is not a Webflow Site API token: expected {SITE_TOKEN_LENGTH} hexadecimal characters, got {} characters{}. Copy the whole token from Webflow again.",
                    trimmed.chars().count(),
                    if is_hex {
                        ""
                    } else {
                        " including non-hexadecimal ones"
                    }
                ),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Wraps a token read back from the secret store, where it was stored already validated.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// Returns the token itself. Call this only to send it to Webflow or to store it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Returns the last four characters, which the API shows as `token_hint`.
    pub fn hint(&self) -> String {
        let start = self.0.len().saturating_sub(4);
        self.0.get(start..).unwrap_or_default().to_owned()
    }
}

impl fmt::Debug for SiteToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SiteToken(****{})", self.hint())
    }
}

impl fmt::Display for SiteToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "****{}", self.hint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn parse_trims_pasted_newline() {
        let token = SiteToken::parse("site_token", &format!("  {TOKEN}\n")).unwrap();
        assert_eq!(token.expose(), TOKEN);
    }

    #[test]
    fn parse_rejects_short_token_without_echo() {
        let error = SiteToken::parse("site_token", "deadbeef").unwrap_err();
        assert_eq!(error.code, "invalid_format");
        assert!(
            error.message.contains("got 8 characters"),
            "{}",
            error.message
        );
        assert!(!error.message.contains("deadbeef"));
    }

    #[test]
    fn parse_rejects_non_hex_token_without_echo() {
        let almost = format!("{}zz", &TOKEN[..62]);
        let error = SiteToken::parse("site_token", &almost).unwrap_err();
        assert_eq!(error.code, "invalid_format");
        assert!(error.message.contains("non-hexadecimal"));
        assert!(!error.message.contains(&almost));
    }

    #[test]
    fn parse_rejects_blank_token() {
        let error = SiteToken::parse("site_token", " \n").unwrap_err();
        assert_eq!(error.code, "missing");
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let token = SiteToken::parse("site_token", TOKEN).unwrap();
        assert_eq!(format!("{token:?}"), "SiteToken(****cdef)");
        assert_eq!(token.to_string(), "****cdef");
        assert_eq!(token.hint(), "cdef");
    }
}
