use serde_json::{Map, Value};

use crate::text::{check_identifier, text_field};
use crate::{FieldError, SiteToken};

const MAX_ORIGIN_OWNER_ID_CHARS: usize = 128;
const MAX_ORIGIN_OWNER_NAME_CHARS: usize = 200;
const MAX_LABEL_CHARS: usize = 100;
/// Unknown keys longer than this are not quoted back, since a pasted token could be a key.
const MAX_QUOTED_KEY_CHARS: usize = 40;

const FIELDS: [&str; 4] = [
    "site_token",
    "origin_owner_id",
    "origin_owner_name",
    "label",
];

/// A validated body of `POST /accounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    pub site_token: SiteToken,
    /// The tenant's own id for its customer; several accounts may share it.
    pub origin_owner_id: String,
    pub origin_owner_name: String,
    pub label: Option<String>,
}

/// Validates the body of `POST /accounts`, collecting every field's error at once.
pub fn validate_link_request(body: &Map<String, Value>) -> Result<LinkRequest, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = body
        .keys()
        .filter(|key| !FIELDS.contains(&key.as_str()))
        .map(|key| unknown_field(key))
        .collect();

    let site_token = match body.get("site_token") {
        Some(Value::String(raw)) => SiteToken::parse("site_token", raw).map(Some),
        other => text_field("site_token", other, true, 0).map(|_| None),
    };
    let origin_owner_id = text_field(
        "origin_owner_id",
        body.get("origin_owner_id"),
        true,
        MAX_ORIGIN_OWNER_ID_CHARS,
    )
    .and_then(|owner| {
        if let Some(owner) = &owner {
            check_identifier("origin_owner_id", owner, MAX_ORIGIN_OWNER_ID_CHARS)?;
        }
        Ok(owner)
    });
    let origin_owner_name = text_field(
        "origin_owner_name",
        body.get("origin_owner_name"),
        true,
        MAX_ORIGIN_OWNER_NAME_CHARS,
    );
    let label = text_field("label", body.get("label"), false, MAX_LABEL_CHARS);

    let site_token = site_token.map_err(|e| errors.push(e)).ok().flatten();
    let origin_owner_id = origin_owner_id.map_err(|e| errors.push(e)).ok().flatten();
    let origin_owner_name = origin_owner_name.map_err(|e| errors.push(e)).ok().flatten();
    let label = label.map_err(|e| errors.push(e)).ok();

    match (site_token, origin_owner_id, origin_owner_name, label) {
        (Some(site_token), Some(origin_owner_id), Some(origin_owner_name), Some(label))
            if errors.is_empty() =>
        {
            Ok(LinkRequest {
                site_token,
                origin_owner_id,
                origin_owner_name,
                label,
            })
        }
        _ => Err(errors),
    }
}

fn unknown_field(key: &str) -> FieldError {
    let length = key.chars().count();
    let shown = if length <= MAX_QUOTED_KEY_CHARS && !key.chars().any(char::is_control) {
        key.to_owned()
    } else {
        format!("(a key of {length} characters)")
    };
    FieldError::new(
        shown.clone(),
        "unknown_field",
        format!(
            "`{shown}` is not a field of this request; the accepted fields are {}.",
            FIELDS.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TOKEN: &str = "89abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567";

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn codes(errors: &[FieldError]) -> Vec<(String, &'static str)> {
        errors.iter().map(|e| (e.field.clone(), e.code)).collect()
    }

    #[test]
    fn valid_body_without_label() {
        let body = object(json!({
            "site_token": TOKEN,
            "origin_owner_id": "customer-1",
            "origin_owner_name": "Acme",
        }));
        let request = validate_link_request(&body).unwrap();
        assert_eq!(request.site_token.expose(), TOKEN);
        assert_eq!(request.origin_owner_id, "customer-1");
        assert_eq!(request.label, None);
    }

    #[test]
    fn null_label_is_absent() {
        let body = object(json!({
            "site_token": TOKEN, "origin_owner_id": "c", "origin_owner_name": "n", "label": null,
        }));
        assert_eq!(validate_link_request(&body).unwrap().label, None);
    }

    #[test]
    fn every_error_is_reported() {
        let body = object(json!({
            "site_token": 42,
            "origin_owner_name": "x".repeat(201),
            "label": "a\nb",
            "tenant": "other",
        }));
        let errors = validate_link_request(&body).unwrap_err();
        assert_eq!(
            codes(&errors),
            vec![
                ("tenant".to_owned(), "unknown_field"),
                ("site_token".to_owned(), "invalid_type"),
                ("origin_owner_id".to_owned(), "missing"),
                ("origin_owner_name".to_owned(), "too_long"),
                ("label".to_owned(), "invalid_character"),
            ]
        );
    }

    #[test]
    fn token_used_as_key_is_not_quoted() {
        let body = object(json!({ TOKEN: "x" }));
        let errors = validate_link_request(&body).unwrap_err();
        let text = format!("{errors:?}");
        assert!(!text.contains(TOKEN), "{text}");
        assert_eq!(errors[0].field, "(a key of 64 characters)");
    }

    #[test]
    fn wrong_token_is_not_quoted() {
        let wrong = format!("{TOKEN}00");
        let body = object(json!({
            "site_token": wrong, "origin_owner_id": "c", "origin_owner_name": "n",
        }));
        let errors = validate_link_request(&body).unwrap_err();
        assert_eq!(
            codes(&errors),
            vec![("site_token".to_owned(), "invalid_format")]
        );
        assert!(!format!("{errors:?}").contains(&wrong));
    }

    #[test]
    fn owner_id_with_separators_is_kept_verbatim() {
        let body = object(json!({
            "site_token": TOKEN, "origin_owner_id": "a#b/c", "origin_owner_name": "n",
        }));
        assert_eq!(
            validate_link_request(&body).unwrap().origin_owner_id,
            "a#b/c"
        );
    }

    #[test]
    fn owner_id_with_surrounding_space_or_invisible_character() {
        for owner in [" c1", "c1 ", "c\u{200B}1", "c1\u{202E}"] {
            let body = object(json!({
                "site_token": TOKEN, "origin_owner_id": owner, "origin_owner_name": "n",
            }));
            let errors = validate_link_request(&body).unwrap_err();
            assert_eq!(errors[0].field, "origin_owner_id", "{owner:?}");
        }
    }

    #[test]
    fn empty_label_is_rejected_with_the_fix() {
        let body = object(json!({
            "site_token": TOKEN, "origin_owner_id": "c", "origin_owner_name": "n", "label": "",
        }));
        let errors = validate_link_request(&body).unwrap_err();
        assert_eq!(codes(&errors), vec![("label".to_owned(), "missing")]);
        assert!(errors[0].message.contains("omit it or send null"));
    }
}
