//! Branches, stations and staff.

use domain::{Position, Timestamp};
use sqlx::Row;

use crate::{Db, Result, StoreError};

/// A row of an import that could not be taken, with the column at fault.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowError {
    /// 1-based row in the file (the header is row 1), or feature index + 1.
    pub row: usize,
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct ImportSummary {
    pub inserted: usize,
    pub updated: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StationRecord {
    pub code: String,
    pub name: String,
    /// Branch code or name; created when missing.
    pub branch: String,
    pub phone: Option<String>,
    /// Service area as a GeoJSON geometry (already validated).
    pub area_geojson: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StaffRecord {
    pub row: usize,
    pub name: String,
    /// Canonical phone (the key: one person, one phone).
    pub phone: String,
    pub position: Position,
    pub branch: Option<String>,
    pub station_code: Option<String>,
    /// For the e-mail channel of notifications.
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StationRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub branch_code: Option<String>,
    pub branch_name: Option<String>,
    pub phone: Option<String>,
    pub area_geojson: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StaffRow {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub position: String,
    pub branch_name: Option<String>,
    pub station_code: Option<String>,
}

const STATION_SELECT: &str = "SELECT s.id, s.code, s.name, (SELECT code FROM branches WHERE id = s.branch_id) AS branch_code, \
    (SELECT name FROM branches WHERE id = s.branch_id) AS branch_name, s.phone, s.area_geojson FROM stations s";

impl Db {
    pub async fn stations(&self) -> Result<Vec<StationRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{STATION_SELECT} ORDER BY s.code"
        )))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn station_by_code(&self, code: &str) -> Result<Option<StationRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{STATION_SELECT} WHERE s.code = $1"
        )))
        .bind(code.trim().to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn staff(&self) -> Result<Vec<StaffRow>> {
        Ok(sqlx::query_as(
            "SELECT p.id, p.name, p.phone, p.position, b.name AS branch_name, s.code AS station_code \
             FROM staff p LEFT JOIN branches b ON b.id = p.branch_id LEFT JOIN stations s ON s.id = p.station_id \
             ORDER BY b.name, s.code, p.position, p.name",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Upserts stations by code (and their branches by code or name), all or nothing.
    pub async fn import_stations(
        &self,
        records: &[StationRecord],
        now: Timestamp,
    ) -> Result<ImportSummary> {
        let mut tx = self.writer.begin().await?;
        let mut summary = ImportSummary::default();
        for r in records {
            let branch_id = upsert_branch(&mut tx, &r.branch, now).await?;
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM stations WHERE code = $1")
                    .bind(r.code.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
            match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE stations SET name = $1, branch_id = $2, phone = $3, area_geojson = $4, updated_at = $5 WHERE id = $6",
                    )
                    .bind(r.name.clone())
                    .bind(branch_id)
                    .bind(r.phone.clone())
                    .bind(r.area_geojson.clone())
                    .bind(now.millis())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    summary.updated += 1;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO stations (code, name, branch_id, phone, area_geojson, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(r.code.clone())
                    .bind(r.name.clone())
                    .bind(branch_id)
                    .bind(r.phone.clone())
                    .bind(r.area_geojson.clone())
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?;
                    summary.inserted += 1;
                }
            }
        }
        tx.commit().await?;
        self.feed.publish(crate::Change::Registers);
        Ok(summary)
    }

    /// Upserts staff by phone, all or nothing: an unknown station code is a row
    /// error and nothing is written.
    pub async fn import_staff(
        &self,
        records: &[StaffRecord],
        now: Timestamp,
    ) -> Result<ImportSummary> {
        let mut tx = self.writer.begin().await?;
        let mut summary = ImportSummary::default();
        let mut errors = Vec::new();
        for r in records {
            let station: Option<(i64, Option<i64>)> = match &r.station_code {
                Some(code) => {
                    let found =
                        sqlx::query_as("SELECT id, branch_id FROM stations WHERE code = $1")
                            .bind(code.clone())
                            .fetch_optional(&mut *tx)
                            .await?;
                    if found.is_none() {
                        errors.push(RowError {
                            row: r.row,
                            column: "station_code".into(),
                            reason: format!("unknown station {code}"),
                        });
                        continue;
                    }
                    found
                }
                None => None,
            };
            let branch_id = match &r.branch {
                Some(branch) => Some(upsert_branch(&mut tx, branch, now).await?),
                None => station.and_then(|(_, b)| b),
            };
            let existed: Option<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE phone = $1")
                .bind(r.phone.clone())
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO staff (name, phone, position, branch_id, station_id, updated_at, email) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (phone) DO UPDATE SET name = $1, position = $3, branch_id = $4, station_id = $5, updated_at = $6, email = $7",
            )
            .bind(r.name.clone())
            .bind(r.phone.clone())
            .bind(r.position.code())
            .bind(branch_id)
            .bind(station.map(|(id, _)| id))
            .bind(now.millis())
            .bind(r.email.clone())
            .execute(&mut *tx)
            .await?;
            if existed.is_some() {
                summary.updated += 1;
            } else {
                summary.inserted += 1;
            }
        }
        if !errors.is_empty() {
            tx.rollback().await?;
            return Err(StoreError::Rows(errors));
        }
        tx.commit().await?;
        self.feed.publish(crate::Change::Registers);
        Ok(summary)
    }

    /// Station ids by code, for imports and the demo.
    pub async fn station_ids(&self) -> Result<std::collections::HashMap<String, i64>> {
        let rows = sqlx::query("SELECT code, id FROM stations")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<String, _>("code")?, r.try_get::<i64, _>("id")?)))
            .collect()
    }
}

/// Finds a branch by code or name, creating it (code = name) when missing.
async fn upsert_branch(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    branch: &str,
    now: Timestamp,
) -> Result<i64> {
    let branch = branch.trim();
    if let Some(id) = sqlx::query_scalar(
        "SELECT id FROM branches WHERE code = $1 OR name = $1 ORDER BY id LIMIT 1",
    )
    .bind(branch.to_string())
    .fetch_optional(&mut **tx)
    .await?
    {
        return Ok(id);
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO branches (code, name, updated_at) VALUES ($1, $1, $2) RETURNING id",
    )
    .bind(branch.to_string())
    .bind(now.millis())
    .fetch_one(&mut **tx)
    .await?)
}
