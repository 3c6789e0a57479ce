use domain::DomainError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{what} {key} not found")]
    NotFound { what: &'static str, key: String },
    /// Another command changed the same row first; the caller may retry.
    #[error("{0} was changed by someone else at the same time; try again")]
    Conflict(String),
    /// A repairer acted on a ticket assigned to someone else.
    #[error("ticket {0} is assigned to another repairer")]
    NotAssigned(String),
    #[error("{field} {value} already exists")]
    Duplicate { field: &'static str, value: String },
    /// An import was refused: these rows are wrong, nothing was written.
    #[error("{} rows have errors; nothing was imported", .0.len())]
    Rows(Vec<crate::org::RowError>),
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub fn not_found(what: &'static str, key: impl Into<String>) -> Self {
        StoreError::NotFound {
            what,
            key: key.into(),
        }
    }
}
