use serde::Serialize;

/// A problem with one input field, as listed in a problem+json `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the client sent it: a body key, query parameter or path parameter.
    pub field: String,
    /// A stable, machine-readable code such as `missing` or `too_long`.
    pub code: &'static str,
    /// A sentence that states what is wrong and how to fix it.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}
