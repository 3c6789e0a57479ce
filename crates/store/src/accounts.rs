//! Heating accounts (热用户): the register the hotline looks callers up in.

use std::collections::{HashMap, HashSet};

use domain::{PaymentState, Timestamp};
use sqlx::Row;

use crate::org::{ImportSummary, RowError};
use crate::{Db, Result, Sql, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct AccountRecord {
    pub row: usize,
    pub account_no: String,
    pub holder: String,
    /// Canonical phones; the first is the main one.
    pub phones: Vec<String>,
    pub district: String,
    pub street: String,
    pub community: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub area_m2: f64,
    pub payment_state: PaymentState,
    pub station_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub account_no: String,
    pub holder: String,
    pub phone: Option<String>,
    pub district: String,
    pub street: String,
    pub community: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub area_m2: f64,
    pub payment_state: String,
    pub station_code: Option<String>,
    pub station_name: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

pub(crate) const SELECT: &str = "SELECT a.id, a.account_no, a.holder, a.phone, a.district, a.street, a.community, \
    a.building, a.unit, a.room, a.area_m2, a.payment_state, (SELECT code FROM stations WHERE id = a.station_id) AS station_code, \
    (SELECT name FROM stations WHERE id = a.station_id) AS station_name, a.lat, a.lon FROM accounts a";

/// Rows per multi-row INSERT: 16 values each stays far below both backends' bind limits.
const BATCH: usize = 100;

impl Db {
    /// Upserts accounts by account number, all or nothing. A row naming an
    /// unknown station is a row error and nothing is written.
    pub async fn import_accounts(
        &self,
        records: &[AccountRecord],
        now: Timestamp,
    ) -> Result<ImportSummary> {
        let stations = self.station_ids().await?;
        let errors: Vec<RowError> = records
            .iter()
            .filter(|r| !stations.contains_key(&r.station_code))
            .map(|r| RowError {
                row: r.row,
                column: "station_code".into(),
                reason: format!("unknown station {}", r.station_code),
            })
            .collect();
        if !errors.is_empty() {
            return Err(StoreError::Rows(errors));
        }
        let mut tx = self.writer.begin().await?;
        let existing: HashSet<String> = sqlx::query_scalar("SELECT account_no FROM accounts")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
        let mut summary = ImportSummary::default();
        for batch in records.chunks(BATCH) {
            let mut sql = Sql::new(
                "INSERT INTO accounts (account_no, holder, phone, district, street, community, building, unit, room, \
                 area_m2, payment_state, station_id, lat, lon, updated_at) VALUES ",
            );
            for (i, r) in batch.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind_text(r.account_no.clone()).push(", ");
                sql.bind_text(r.holder.clone()).push(", ");
                sql.bind_opt_text(r.phones.first().cloned()).push(", ");
                for part in [
                    &r.district,
                    &r.street,
                    &r.community,
                    &r.building,
                    &r.unit,
                    &r.room,
                ] {
                    sql.bind_text(part.clone()).push(", ");
                }
                sql.bind_float(Some(r.area_m2)).push(", ");
                sql.bind_text(r.payment_state.code()).push(", ");
                sql.bind_int(stations[&r.station_code]).push(", ");
                sql.bind_float(r.lat).push(", ");
                sql.bind_float(r.lon).push(", ");
                sql.bind_int(now.millis()).push(")");
                if existing.contains(&r.account_no) {
                    summary.updated += 1;
                } else {
                    summary.inserted += 1;
                }
            }
            sql.push(
                " ON CONFLICT (account_no) DO UPDATE SET holder = excluded.holder, phone = excluded.phone, \
                 district = excluded.district, street = excluded.street, community = excluded.community, \
                 building = excluded.building, unit = excluded.unit, room = excluded.room, area_m2 = excluded.area_m2, \
                 payment_state = excluded.payment_state, station_id = excluded.station_id, lat = excluded.lat, \
                 lon = excluded.lon, updated_at = excluded.updated_at",
            );
            sql.push(" RETURNING id, account_no");
            let ids: Vec<(i64, String)> = sql.query_as().fetch_all(&mut *tx).await?;
            let id_of: HashMap<&str, i64> = ids.iter().map(|(id, no)| (no.as_str(), *id)).collect();

            // Phones: the file's replace the stored ones. Only accounts that
            // existed can have stored phones; addressing rows by id keeps
            // PostgreSQL on its indexes while the tables grow inside this
            // one transaction.
            let replaced: Vec<i64> = batch
                .iter()
                .filter(|r| existing.contains(&r.account_no))
                .filter_map(|r| id_of.get(r.account_no.as_str()).copied())
                .collect();
            if !replaced.is_empty() {
                let mut del = Sql::new("DELETE FROM account_phones WHERE account_id IN (");
                for (i, id) in replaced.iter().enumerate() {
                    del.push(if i == 0 { "" } else { ", " }).bind_int(*id);
                }
                del.push(")");
                del.query().execute(&mut *tx).await?;
            }
            let pairs: Vec<(&String, i64)> = batch
                .iter()
                .filter_map(|r| id_of.get(r.account_no.as_str()).map(|id| (r, *id)))
                .flat_map(|(r, id)| {
                    r.phones
                        .iter()
                        .collect::<HashSet<_>>()
                        .into_iter()
                        .map(move |p| (p, id))
                })
                .collect();
            for chunk in pairs.chunks(BATCH) {
                let mut ins = Sql::new("INSERT INTO account_phones (phone, account_id) VALUES ");
                for (i, (phone, id)) in chunk.iter().enumerate() {
                    ins.push(if i == 0 { "(" } else { ", (" });
                    ins.bind_text((*phone).clone())
                        .push(", ")
                        .bind_int(*id)
                        .push(")");
                }
                ins.query().execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        self.feed.publish(crate::Change::Registers);
        Ok(summary)
    }

    /// Accounts reachable at `phone` (canonical form), by account number,
    /// at most 20.
    ///
    /// Two index-served steps: the ids from `account_phones` (its primary
    /// key leads with the phone), then the accounts by primary key. No ORDER
    /// BY in SQL: with one, SQLite may walk the `account_no` index over the
    /// whole register to avoid a sort of a handful of rows (lib.rs).
    pub async fn accounts_by_phone(&self, phone: &str) -> Result<Vec<AccountRow>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT account_id FROM account_phones WHERE phone = $1")
                .bind(phone.to_string())
                .fetch_all(&self.pool)
                .await?;
        let mut rows: Vec<AccountRow> = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let mut sql = Sql::new(SELECT);
            sql.push(" WHERE a.id IN (");
            for (i, id) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).bind_int(*id);
            }
            sql.push(")");
            rows.extend(sql.query_as::<AccountRow>().fetch_all(&self.pool).await?);
        }
        rows.sort_by(|a, b| a.account_no.cmp(&b.account_no));
        rows.truncate(20);
        Ok(rows)
    }

    /// The accounts with these numbers (unknown numbers are skipped), in
    /// account-number order.
    pub async fn accounts_by_numbers(&self, numbers: &[String]) -> Result<Vec<AccountRow>> {
        let mut rows: Vec<AccountRow> = Vec::new();
        for chunk in numbers.chunks(BATCH) {
            let mut sql = Sql::new(SELECT);
            sql.push(" WHERE a.account_no IN (");
            for (i, no) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " })
                    .bind_text(no.clone());
            }
            sql.push(")");
            rows.extend(sql.query_as::<AccountRow>().fetch_all(&self.pool).await?);
        }
        rows.sort_by(|a, b| a.account_no.cmp(&b.account_no));
        Ok(rows)
    }

    pub async fn account(&self, account_no: &str) -> Result<Option<AccountRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE a.account_no = $1"
        )))
        .bind(account_no.trim().to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Accounts whose holder starts with, or whose community contains, `q`.
    pub async fn search_accounts(&self, q: &str, limit: i64) -> Result<Vec<AccountRow>> {
        let q = q.trim();
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE a.holder LIKE $1 ESCAPE '\\' OR a.community LIKE $2 ESCAPE '\\' ORDER BY a.account_no LIMIT $3"
        )))
        .bind(format!("{escaped}%"))
        .bind(format!("%{escaped}%"))
        .bind(limit.clamp(1, 200))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every phone of the given accounts, by account id.
    pub async fn account_phones(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut sql =
            Sql::new("SELECT account_id, phone FROM account_phones WHERE account_id IN (");
        for (i, id) in ids.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " }).bind_int(*id);
        }
        sql.push(") ORDER BY phone");
        let mut map: HashMap<i64, Vec<String>> = HashMap::new();
        for row in sql.query().fetch_all(&self.pool).await? {
            map.entry(row.try_get("account_id")?)
                .or_default()
                .push(row.try_get("phone")?);
        }
        Ok(map)
    }

    pub async fn count_accounts(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&self.pool)
            .await?)
    }
}

impl Db {
    /// Every account as the address index reads it (170,000 rows in about a second).
    pub async fn register_entries(&self) -> Result<Vec<address::RegisterEntry>> {
        let rows = sqlx::query(
            "SELECT account_no, district, street, community, building, unit, room, \
             (SELECT code FROM stations WHERE id = a.station_id) AS station_code, lat, lon FROM accounts a",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(address::RegisterEntry {
                    account_no: r.try_get("account_no")?,
                    district: r.try_get("district")?,
                    street: r.try_get("street")?,
                    community: r.try_get("community")?,
                    building: r.try_get("building")?,
                    unit: r.try_get("unit")?,
                    room: r.try_get("room")?,
                    station_code: r
                        .try_get::<Option<String>, _>("station_code")?
                        .unwrap_or_default(),
                    lat: r.try_get("lat")?,
                    lon: r.try_get("lon")?,
                })
            })
            .collect()
    }
}
