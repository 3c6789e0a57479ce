//! Bulk loading of a prebuilt ticket history, bypassing the command path: for
//! benchmark databases with a million tickets. Production writes go through
//! [`Db::register_ticket`] and [`Db::act_on_ticket`].

use domain::Timestamp;

use crate::{Db, Result, Sql};

#[derive(Debug, Clone)]
pub struct BulkTicket {
    pub number: String,
    pub kind: &'static str,
    pub category: &'static str,
    pub priority: &'static str,
    pub status: &'static str,
    pub caller_name: String,
    pub caller_phone: String,
    pub address: String,
    pub description: String,
    pub account_no: Option<String>,
    pub station_id: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub events: Vec<BulkEvent>,
}

#[derive(Debug, Clone)]
pub struct BulkEvent {
    pub kind: &'static str,
    pub at: Timestamp,
    pub actor: String,
    pub status_after: &'static str,
}

/// Tickets per INSERT: 14 binds each, within both backends' limits.
const BATCH: usize = 200;

impl Db {
    /// Inserts `tickets` and their events in batches, in one transaction per batch.
    pub async fn bulk_insert_tickets(&self, tickets: &[BulkTicket]) -> Result<()> {
        for batch in tickets.chunks(BATCH) {
            let mut tx = self.writer.begin().await?;
            let mut sql = Sql::new(
                "INSERT INTO tickets (number, kind, category, priority, difficulty, channel, status, caller_name, \
                 caller_phone, address, description, account_no, station_id, created_by, created_at, updated_at, version) VALUES ",
            );
            for (i, t) in batch.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind_text(t.number.clone()).push(", ");
                sql.bind_text(t.kind).push(", ");
                sql.bind_text(t.category).push(", ");
                sql.bind_text(t.priority).push(", 'normal', 'phone', ");
                sql.bind_text(t.status).push(", ");
                sql.bind_text(t.caller_name.clone()).push(", ");
                sql.bind_text(t.caller_phone.clone()).push(", ");
                sql.bind_text(t.address.clone()).push(", ");
                sql.bind_text(t.description.clone()).push(", ");
                sql.bind_opt_text(t.account_no.clone()).push(", ");
                match t.station_id {
                    Some(id) => sql.bind_int(id),
                    None => sql.push("NULL"),
                };
                sql.push(", 'bulk', ");
                sql.bind_int(t.created_at.millis()).push(", ");
                sql.bind_int(t.updated_at.millis()).push(", ");
                // One event per version, as the command path keeps it.
                sql.bind_int(t.events.len() as i64).push(")");
            }
            sql.push(" RETURNING id, number");
            let ids: Vec<(i64, String)> = sql.query_as().fetch_all(&mut *tx).await?;
            let by_number: std::collections::HashMap<&str, i64> =
                ids.iter().map(|(id, n)| (n.as_str(), *id)).collect();
            let events: Vec<(i64, i64, &BulkEvent)> = batch
                .iter()
                .flat_map(|t| {
                    let id = by_number
                        .get(t.number.as_str())
                        .copied()
                        .unwrap_or_default();
                    t.events
                        .iter()
                        .enumerate()
                        .map(move |(i, e)| (id, i as i64 + 1, e))
                })
                .collect();
            for chunk in events.chunks(BATCH * 2) {
                let mut sql = Sql::new(
                    "INSERT INTO ticket_events (ticket_id, seq, kind, at, actor, status_after, data) VALUES ",
                );
                for (i, (id, seq, e)) in chunk.iter().enumerate() {
                    sql.push(if i == 0 { "(" } else { ", (" });
                    sql.bind_int(*id).push(", ");
                    sql.bind_int(*seq).push(", ");
                    sql.bind_text(e.kind).push(", ");
                    sql.bind_int(e.at.millis()).push(", ");
                    sql.bind_text(e.actor.clone()).push(", ");
                    sql.bind_text(e.status_after).push(", '{}')");
                }
                sql.query().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Gives every open ticket without a running clock an `accept` clock
    /// whose warning falls between `from` and `from + spread_ms` (spread by
    /// id), due two minutes later: pending clocks for the benchmarks.
    pub async fn bulk_start_clocks(&self, from: Timestamp, spread_ms: i64) -> Result<u64> {
        let done = sqlx::query(
            "INSERT INTO ticket_clocks (ticket_id, step, state, started_at, warn_at, due_at, fired, next_fire_at) \
             SELECT t.id, 'accept', 'running', $1, $1 + (t.id * 7919) % $2, $1 + (t.id * 7919) % $2 + 120000, 0, \
             $1 + (t.id * 7919) % $2 FROM tickets t \
             WHERE t.status IN ('dispatched', 'accepted', 'contacted', 'on_site', 'scheduled', 'resolved') \
             AND NOT EXISTS (SELECT 1 FROM ticket_clocks c WHERE c.ticket_id = t.id AND c.state = 'running')",
        )
        .bind(from.millis())
        .bind(spread_ms.max(1))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    /// Moves the warning of `count` pending clocks (the lowest ids) to `at`.
    pub async fn bulk_make_clocks_due(&self, count: i64, at: Timestamp) -> Result<Vec<i64>> {
        let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM ticket_clocks WHERE state = 'running' AND fired = 0 ORDER BY id LIMIT {}",
            count.clamp(1, 100_000)
        )))
        .fetch_all(&self.pool)
        .await?;
        for chunk in ids.chunks(BATCH) {
            let mut sql = Sql::new("UPDATE ticket_clocks SET warn_at = ");
            sql.bind_int(at.millis()).push(", next_fire_at = ");
            sql.bind_int(at.millis()).push(", due_at = ");
            sql.bind_int(at.millis() + 120_000).push(" WHERE id IN (");
            for (i, id) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).bind_int(*id);
            }
            sql.push(")");
            sql.query().execute(&self.writer).await?;
        }
        Ok(ids)
    }

    /// For each of these clocks, whether it has fired.
    pub async fn count_fired(&self, clock_ids: &[i64]) -> Result<i64> {
        let mut n = 0;
        for chunk in clock_ids.chunks(BATCH) {
            let mut sql =
                Sql::new("SELECT COUNT(*) FROM ticket_clocks WHERE fired > 0 AND id IN (");
            for (i, id) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).bind_int(*id);
            }
            sql.push(")");
            let c: i64 = sqlx::Row::try_get(&sql.query().fetch_one(&self.pool).await?, 0)?;
            n += c;
        }
        Ok(n)
    }

    pub async fn count_pending_clocks(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM ticket_clocks WHERE next_fire_at IS NOT NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Refreshes the planner's statistics after a bulk load. On PostgreSQL
    /// also vacuums, which sets the visibility map as autovacuum does on a
    /// running database: without it counts on an index (the console's queue
    /// counts) visit the table for every row. (Simple protocol: VACUUM may
    /// not run in a transaction block.)
    pub async fn analyze(&self) -> Result<()> {
        let statement = match self.backend {
            crate::Backend::Sqlite => "ANALYZE",
            crate::Backend::Postgres => "VACUUM ANALYZE",
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn count_tickets(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
            .fetch_one(&self.pool)
            .await?)
    }
}
