//! The server's one error type. Every error has a stable snake_case `code`,
//! an HTTP status and, where one input is at fault, the `field`; on `/api` it
//! is an RFC 9457 problem document.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::DomainError;
use serde::Serialize;
use store::StoreError;
use store::org::RowError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{what} {key} not found")]
    NotFound { what: &'static str, key: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{field} {value} already exists")]
    Duplicate { field: &'static str, value: String },
    #[error("sign in first")]
    Unauthorized,
    #[error("you may not do this")]
    Forbidden,
    #[error("too many failed sign-ins; try again in {retry_after_s} seconds")]
    TooManyAttempts { retry_after_s: i64 },
    /// The request itself is unreadable: malformed JSON, wrong content type …
    #[error("{message}")]
    BadRequest {
        status: StatusCode,
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    #[error("{} rows of the file have errors; nothing was imported", .0.len())]
    Rows(Vec<RowError>),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// An RFC 9457 problem document, with heatdesk's `code` and `field`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `/problems/{code}`
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `invalid_transition`.
    pub code: String,
    /// The input field at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Row-level errors of an import.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub rows: Option<Vec<RowError>>,
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => AppError::Domain(d),
            StoreError::NotFound { what, key } => AppError::NotFound { what, key },
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Duplicate { field, value } => AppError::Duplicate { field, value },
            StoreError::Rows(rows) => AppError::Rows(rows),
            StoreError::NotAssigned(number) => AppError::BadRequest {
                status: StatusCode::FORBIDDEN,
                code: "not_assigned",
                field: None,
                message: format!("ticket {number} is assigned to another repairer"),
            },
            other => AppError::Internal(other.into()),
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Domain(DomainError::InvalidTransition { .. }) => StatusCode::CONFLICT,
            AppError::Domain(_) | AppError::Rows(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict(_) | AppError::Duplicate { .. } => StatusCode::CONFLICT,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable code, never renamed: clients and the console's translations key on it.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Domain(d) => d.code(),
            AppError::NotFound { .. } => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Duplicate { .. } => "duplicate",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::BadRequest { code, .. } => code,
            AppError::Rows(_) => "import_rows",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<String> {
        match self {
            AppError::Domain(d) => d.field().map(str::to_string),
            AppError::Duplicate { field, .. } => Some(field.to_string()),
            AppError::BadRequest { field, .. } => field.clone(),
            _ => None,
        }
    }

    pub fn bad_request(
        code: &'static str,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        AppError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("/problems/{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code().to_string(),
            field: self.field(),
            rows: match self {
                AppError::Rows(rows) => Some(rows.clone()),
                _ => None,
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = %format!("{e:#}"), "internal error");
        }
        let mut response = (self.status(), axum::Json(self.problem())).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let AppError::TooManyAttempts { retry_after_s } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
