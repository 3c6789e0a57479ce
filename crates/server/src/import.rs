//! Imports of the utility's register files: read with `registers`, written
//! with the store in one transaction. Used by the CLI and the admin upload.

use domain::Timestamp;
use store::Db;
use store::org::ImportSummary;

use crate::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterKind {
    Stations,
    Accounts,
    Staff,
}

impl RegisterKind {
    pub fn parse(text: &str) -> Option<RegisterKind> {
        match text {
            "stations" => Some(RegisterKind::Stations),
            "accounts" => Some(RegisterKind::Accounts),
            "staff" => Some(RegisterKind::Staff),
            _ => None,
        }
    }
}

/// Reads `bytes` (named `file_name`, whose extension picks the format) and
/// upserts them; any row error refuses the whole file.
pub async fn import(
    db: &Db,
    kind: RegisterKind,
    file_name: &str,
    bytes: &[u8],
    default_area_code: &str,
    now: Timestamp,
) -> Result<ImportSummary, AppError> {
    let summary = match kind {
        RegisterKind::Stations => {
            let records = registers::read_stations(bytes).map_err(AppError::Rows)?;
            db.import_stations(&records, now).await?
        }
        RegisterKind::Accounts => {
            let records = registers::read_accounts(file_name, bytes, default_area_code)
                .map_err(AppError::Rows)?;
            db.import_accounts(&records, now).await?
        }
        RegisterKind::Staff => {
            let records = registers::read_staff(file_name, bytes, default_area_code)
                .map_err(AppError::Rows)?;
            db.import_staff(&records, now).await?
        }
    };
    Ok(summary)
}
