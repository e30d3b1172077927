use serde_json::Value;

use crate::FieldError;

/// Checks a required or optional string field: its JSON type, that it is not blank, its
/// length in characters and that it has no control characters (which could forge log lines
/// or storage keys).
pub(crate) fn text_field(
    field: &str,
    value: Option<&Value>,
    required: bool,
    max_chars: usize,
) -> Result<Option<String>, FieldError> {
    let text = match value {
        None | Some(Value::Null) if !required => return Ok(None),
        None | Some(Value::Null) => {
            return Err(FieldError::new(
                field,
                "missing",
                format!("`{field}` is required."),
            ));
        }
        Some(Value::String(text)) => text,
        Some(other) => {
            return Err(FieldError::new(
                field,
                "invalid_type",
                format!("`{field}` must be a string, not {}.", json_type_name(other)),
            ));
        }
    };
    if !required && text.trim().is_empty() {
        return Err(FieldError::new(
            field,
            "missing",
            format!("`{field}` must not be empty: omit it or send null."),
        ));
    }
    check_text(field, text, max_chars)?;
    Ok(Some(text.clone()))
}

/// Checks a string that identifies something, such as an origin owner id: the rules of
/// [`check_text`], and no white space at either end, so `"c1 "` cannot pass for `"c1"`.
pub(crate) fn check_identifier(
    field: &str,
    text: &str,
    max_chars: usize,
) -> Result<(), FieldError> {
    check_text(field, text, max_chars)?;
    if text.trim() != text {
        return Err(FieldError::new(
            field,
            "invalid_whitespace",
            format!("`{field}` starts or ends with white space; remove it."),
        ));
    }
    Ok(())
}

/// Checks a string taken from a query or path parameter against the same rules.
pub(crate) fn check_text(field: &str, text: &str, max_chars: usize) -> Result<(), FieldError> {
    if text.trim().is_empty() {
        return Err(FieldError::new(
            field,
            "missing",
            format!("`{field}` must not be empty."),
        ));
    }
    let length = text.chars().count();
    if length > max_chars {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("`{field}` has {length} characters; the maximum is {max_chars}."),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() || is_invisible_format_character(c))
    {
        return Err(FieldError::new(
            field,
            "invalid_character",
            format!(
                "`{field}` contains a control character (such as a newline or tab); remove it."
            ),
        ));
    }
    Ok(())
}

pub(crate) fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Unicode format characters that render as nothing or reorder text (soft hyphen, zero-width
/// and bidirectional marks, word joiners, byte order mark), so two different values could
/// look identical.
fn is_invisible_format_character(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}
