use thiserror::Error;

/// A rule of the domain was broken. Each variant has a stable snake_case code
/// (used by the API's problem documents and the console's translations) and,
/// where one field is at fault, the name of that field.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DomainError {
    #[error("{field}: {reason}")]
    InvalidField { field: String, reason: String },
    #[error("{field} is required")]
    Required { field: String },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: String, max: usize },
    #[error("unknown {field}: {value}")]
    Unknown { field: String, value: String },
    #[error("action {action} is not allowed while the ticket is {status}")]
    InvalidTransition { action: String, status: String },
    /// A room temperature outside what a thermometer in a flat can read.
    #[error("{field} must be between -30 and 60 °C")]
    TemperatureOutOfRange { field: String },
}

impl DomainError {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        DomainError::InvalidField {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
    pub fn required(field: &str) -> Self {
        DomainError::Required {
            field: field.to_string(),
        }
    }
    pub fn unknown(field: &str, value: impl Into<String>) -> Self {
        DomainError::Unknown {
            field: field.to_string(),
            value: value.into(),
        }
    }

    /// Stable code, never renamed.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::InvalidField { .. } => "invalid_field",
            DomainError::Required { .. } => "required",
            DomainError::TooLong { .. } => "too_long",
            DomainError::Unknown { .. } => "unknown_value",
            DomainError::InvalidTransition { .. } => "invalid_transition",
            DomainError::TemperatureOutOfRange { .. } => "temperature_out_of_range",
        }
    }

    /// The same error about another field (a list item renumbered, say).
    pub fn renamed(self, rename: impl FnOnce(&str) -> String) -> Self {
        match self {
            DomainError::InvalidField { field, reason } => DomainError::InvalidField {
                field: rename(&field),
                reason,
            },
            DomainError::Required { field } => DomainError::Required {
                field: rename(&field),
            },
            DomainError::TooLong { field, max } => DomainError::TooLong {
                field: rename(&field),
                max,
            },
            DomainError::Unknown { field, value } => DomainError::Unknown {
                field: rename(&field),
                value,
            },
            DomainError::TemperatureOutOfRange { field } => DomainError::TemperatureOutOfRange {
                field: rename(&field),
            },
            e @ DomainError::InvalidTransition { .. } => e,
        }
    }

    /// The input field at fault, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            DomainError::InvalidField { field, .. }
            | DomainError::Required { field }
            | DomainError::TooLong { field, .. }
            | DomainError::Unknown { field, .. }
            | DomainError::TemperatureOutOfRange { field } => Some(field),
            DomainError::InvalidTransition { .. } => None,
        }
    }
}

/// Trims `value` and checks it is present and at most `max` characters long.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::required(field));
    }
    optional_text(field, value, max)
}

/// Trims `value` and checks it is at most `max` characters long and holds no
/// control characters other than line breaks and tabs.
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(DomainError::TooLong {
            field: field.to_string(),
            max,
        });
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(DomainError::invalid(field, "contains control characters"));
    }
    Ok(value.to_string())
}
