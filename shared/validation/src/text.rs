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
    check_text(field, text, max_chars)?;
    Ok(Some(text.clone()))
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
    if text.chars().any(char::is_control) {
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
