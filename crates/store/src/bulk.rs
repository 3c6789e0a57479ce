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
