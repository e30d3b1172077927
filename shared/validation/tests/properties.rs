//! Property tests: the validators never panic, accept exactly what their rules allow, and never
//! quote a token back.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use sitelink_validation::{
    SiteToken, parse_json_object, validate_account_id, validate_link_request, validate_list_query,
};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,80}".prop_map(Value::String),
        "[0-9a-f]{64}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("site_token".to_owned()),
        Just("origin_owner_id".to_owned()),
        Just("origin_owner_name".to_owned()),
        Just("label".to_owned()),
        ".{0,70}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_json_object_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_json_object(&bytes);
    }

    #[test]
    fn bare_string_bodies_are_never_quoted(text in "[g-z0-9]{12,80}") {
        let body = serde_json::to_vec(&Value::String(text.clone())).unwrap();
        let error = parse_json_object(&body).unwrap_err();
        prop_assert!(!error.to_string().contains(&text));
    }

    #[test]
    fn link_validation_never_quotes_a_token(
        fields in prop::collection::btree_map(field_name(), json_value(), 0..6),
        token in "[0-9a-f]{64}",
        token_key in prop::bool::ANY,
    ) {
        let mut body: Map<String, Value> = fields.into_iter().collect();
        if token_key {
            body.insert(token.clone(), Value::Null);
        } else {
            body.insert("site_token".to_owned(), Value::String(format!("{token}x")));
        }
        let result = validate_link_request(&body);
        let errors = result.expect_err("the body has a bad token or an unknown key");
        let text = format!("{errors:?}");
        prop_assert!(!text.contains(&token));
    }

    #[test]
    fn site_token_accepts_exactly_64_hex(text in "[ \t\n]{0,2}[0-9a-fA-Fg-z]{60,68}[ \t\n]{0,2}") {
        let trimmed = text.trim();
        let expected = trimmed.len() == 64 && trimmed.chars().all(|c| c.is_ascii_hexdigit());
        prop_assert_eq!(SiteToken::parse("site_token", &text).is_ok(), expected);
    }

    #[test]
    fn list_query_limit_rules(value in "[-+0-9a ]{0,7}") {
        let result = validate_list_query(&[("limit".to_owned(), value.clone())]);
        let expected = value.bytes().all(|b| b.is_ascii_digit())
            && value.len() <= 5
            && value.parse::<u16>().is_ok_and(|limit| (1..=100).contains(&limit));
        prop_assert_eq!(result.is_ok(), expected);
    }

    #[test]
    fn list_query_never_panics(pairs in prop::collection::vec((".{0,20}", ".{0,40}"), 0..6)) {
        let _ = validate_list_query(&pairs);
    }

    #[test]
    fn account_id_rule(id in "(acc_)?[0-9a-fA-F./é]{0,34}") {
        let expected = id.len() == 36
            && id.starts_with("acc_")
            && id[4..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        prop_assert_eq!(validate_account_id("account_id", &id).is_ok(), expected);
    }
}
