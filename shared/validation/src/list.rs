use std::collections::BTreeSet;

use crate::FieldError;
use crate::text::{check_identifier, check_text};

pub const DEFAULT_PAGE_LIMIT: u16 = 25;
pub const MAX_PAGE_LIMIT: u16 = 100;
const MAX_ORIGIN_OWNER_ID_CHARS: usize = 128;
const MAX_CURSOR_CHARS: usize = 2048;
const PARAMETERS: [&str; 4] = ["origin_owner_id", "status", "limit", "cursor"];

/// The account status a list can be filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Active,
    Error,
}

impl StatusFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Error => "error",
        }
    }
}

/// Validated query parameters of `GET /accounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub origin_owner_id: Option<String>,
    pub status: Option<StatusFilter>,
    pub limit: u16,
    /// The opaque cursor as sent; its signature is checked by the caller, which has the key.
    pub cursor: Option<String>,
}

/// Validates the query parameters of `GET /accounts`, given as decoded name/value pairs in
/// the order they arrived. A repeated or unknown parameter is an error.
pub fn validate_list_query(pairs: &[(String, String)]) -> Result<ListQuery, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    let mut query = ListQuery {
        origin_owner_id: None,
        status: None,
        limit: DEFAULT_PAGE_LIMIT,
        cursor: None,
    };

    for (name, value) in pairs {
        if !PARAMETERS.contains(&name.as_str()) {
            errors.push(unknown_parameter(name));
            continue;
        }
        if !seen.insert(name.as_str()) {
            errors.push(FieldError::new(
                name.as_str(),
                "repeated",
                format!("`{name}` appears more than once; send it once."),
            ));
            continue;
        }
        let result = match name.as_str() {
            "origin_owner_id" => check_identifier(name, value, MAX_ORIGIN_OWNER_ID_CHARS)
                .map(|()| query.origin_owner_id = Some(value.clone())),
            "status" => parse_status(value).map(|status| query.status = Some(status)),
            "limit" => parse_limit(value).map(|limit| query.limit = limit),
            _ => check_text(name, value, MAX_CURSOR_CHARS)
                .map(|()| query.cursor = Some(value.clone())),
        };
        if let Err(error) = result {
            errors.push(error);
        }
    }

    if errors.is_empty() {
        Ok(query)
    } else {
        Err(errors)
    }
}

fn parse_status(value: &str) -> Result<StatusFilter, FieldError> {
    match value {
        "active" => Ok(StatusFilter::Active),
        "error" => Ok(StatusFilter::Error),
        _ => Err(FieldError::new(
            "status",
            "invalid_value",
            "`status` must be `active` or `error`.",
        )),
    }
}

fn parse_limit(value: &str) -> Result<u16, FieldError> {
    let out_of_range = || {
        FieldError::new(
            "limit",
            "out_of_range",
            format!("`limit` must be a whole number from 1 to {MAX_PAGE_LIMIT}."),
        )
    };
    let is_digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    if !is_digits {
        return Err(FieldError::new(
            "limit",
            "invalid_value",
            format!("`limit` must be a whole number from 1 to {MAX_PAGE_LIMIT}."),
        ));
    }
    if value.len() > 5 {
        return Err(out_of_range());
    }
    match value.parse::<u16>() {
        Ok(limit) if (1..=MAX_PAGE_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(out_of_range()),
    }
}

fn unknown_parameter(name: &str) -> FieldError {
    let shown: String = name.chars().filter(|c| !c.is_control()).take(40).collect();
    FieldError::new(
        shown.clone(),
        "unknown_parameter",
        format!(
            "`{shown}` is not a query parameter of this endpoint; the accepted ones are {}.",
            PARAMETERS.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_without_parameters() {
        let query = validate_list_query(&[]).unwrap();
        assert_eq!(query.limit, DEFAULT_PAGE_LIMIT);
        assert_eq!(query.status, None);
        assert_eq!(query.cursor, None);
    }

    #[test]
    fn reads_every_parameter() {
        let query = validate_list_query(&pairs(&[
            ("origin_owner_id", "c-1"),
            ("status", "error"),
            ("limit", "100"),
            ("cursor", "abc"),
        ]))
        .unwrap();
        assert_eq!(query.origin_owner_id.as_deref(), Some("c-1"));
        assert_eq!(query.status, Some(StatusFilter::Error));
        assert_eq!(query.limit, 100);
        assert_eq!(query.cursor.as_deref(), Some("abc"));
    }

    #[test]
    fn limit_out_of_range_or_not_a_number() {
        for limit in ["0", "101", "99999999999"] {
            let errors = validate_list_query(&pairs(&[("limit", limit)])).unwrap_err();
            assert_eq!(errors[0].code, "out_of_range", "{limit}");
        }
        for limit in ["-1", "1.5", "", "ten", "+5"] {
            let errors = validate_list_query(&pairs(&[("limit", limit)])).unwrap_err();
            assert_eq!(errors[0].code, "invalid_value", "{limit}");
        }
    }

    #[test]
    fn unknown_repeated_and_invalid_parameters() {
        let errors = validate_list_query(&pairs(&[
            ("tenant", "x"),
            ("status", "paused"),
            ("status", "active"),
            ("origin_owner_id", "a\tb"),
        ]))
        .unwrap_err();
        let codes: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("tenant", "unknown_parameter"),
                ("status", "invalid_value"),
                ("status", "repeated"),
                ("origin_owner_id", "invalid_character"),
            ]
        );
    }
}
