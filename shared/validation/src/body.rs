use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// A reason a request body is not a JSON object that can be validated field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    Empty,
    ByteOrderMark,
    NotUtf8,
    /// The JSON is malformed, is not an object, or repeats a key. The text never quotes a
    /// string value from the body.
    Invalid(String),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("The request body is empty: send a JSON object."),
            Self::ByteOrderMark => {
                f.write_str("The request body starts with a byte order mark: send plain UTF-8 JSON without one.")
            }
            Self::NotUtf8 => f.write_str("The request body is not valid UTF-8: send UTF-8 encoded JSON."),
            Self::Invalid(reason) => write!(f, "The request body is not a valid JSON object: {reason}."),
        }
    }
}

/// Parses a request body that must be one JSON object whose keys are all distinct.
///
/// `serde_json` keeps the last of two equal keys silently, so a body such as
/// `{"origin_owner_id": "a", "origin_owner_id": "b"}` could mean different things to
/// different readers. Such a body is rejected here instead.
pub fn parse_json_object(body: &[u8]) -> Result<Map<String, Value>, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Empty);
    }
    if body.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(BodyError::ByteOrderMark);
    }
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let object: UniqueKeyObject =
        serde_json::from_str(text).map_err(|error| BodyError::Invalid(error.to_string()))?;
    Ok(object.0)
}

struct UniqueKeyObject(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for UniqueKeyObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeyObjectVisitor)
    }
}

struct UniqueKeyObjectVisitor;

impl<'de> Visitor<'de> for UniqueKeyObjectVisitor {
    type Value = UniqueKeyObject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    // A bare string could be the token itself, so the default message, which quotes the
    // string, is replaced by one that does not.
    fn visit_str<E: de::Error>(self, _value: &str) -> Result<Self::Value, E> {
        Err(E::custom("expected a JSON object, found a string"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut seen = BTreeSet::new();
        let mut object = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!(
                    "the key `{}` appears more than once",
                    key.escape_debug()
                )));
            }
            let value: Value = access.next_value()?;
            object.insert(key, value);
        }
        Ok(UniqueKeyObject(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_object() {
        let object = parse_json_object(br#"{"a": "1", "b": null}"#).unwrap();
        assert_eq!(object.len(), 2);
    }

    #[test]
    fn rejects_duplicate_keys() {
        let error = parse_json_object(br#"{"a": "1", "a": "2"}"#).unwrap_err();
        assert!(
            error.to_string().contains("`a` appears more than once"),
            "{error}"
        );
    }

    #[test]
    fn rejects_non_objects() {
        for body in [&b"[]"[..], b"null", b"42", b"true"] {
            let error = parse_json_object(body).unwrap_err();
            assert!(
                matches!(error, BodyError::Invalid(_)),
                "{body:?}: {error:?}"
            );
        }
    }

    #[test]
    fn bare_string_is_not_quoted_back() {
        let error = parse_json_object(br#""secret-value""#).unwrap_err();
        assert!(!error.to_string().contains("secret-value"), "{error}");
    }

    #[test]
    fn rejects_bom_empty_and_non_utf8() {
        assert_eq!(
            parse_json_object(b"\xEF\xBB\xBF{}"),
            Err(BodyError::ByteOrderMark)
        );
        assert_eq!(parse_json_object(b"  \n"), Err(BodyError::Empty));
        assert_eq!(
            parse_json_object(b"{\"a\": \"\xff\"}"),
            Err(BodyError::NotUtf8)
        );
    }

    #[test]
    fn rejects_trailing_garbage() {
        assert!(parse_json_object(br#"{} {}"#).is_err());
    }
}
