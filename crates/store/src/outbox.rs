//! The outbox: messages written in the transaction of the event that causes
//! them, delivered afterwards by the notifier (server/src/workers).
//!
//! Claiming is a lease: a claim pushes `next_attempt_at` forward by the
//! lease, so a message whose sender died becomes due again by itself. On
//! PostgreSQL several instances claim with `FOR UPDATE SKIP LOCKED`; on
//! SQLite the single writer serialises claims. Every message carries an
//! idempotency key (ticket, event, recipient, channel) that the gateway
//! sees, so a retry after a crash cannot become a second SMS.

use domain::notify::{self, About, Facts};
use domain::sla::Channel;
use domain::{EventKind, Position, Timestamp};

use crate::tickets::TicketRow;
use crate::{Backend, Db, Result, Rules, Sql};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub idempotency_key: String,
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<String>,
    pub event: String,
    pub channel: String,
    pub recipient: String,
    pub recipient_name: String,
    pub position: String,
    pub staff_id: Option<i64>,
    pub text: String,
    /// `pending`, `sent` or `failed` (permanently; see `last_error`).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, idempotency_key, ticket_id, ticket_number, event, channel, recipient, recipient_name, \
    position, staff_id, text, state, attempts, next_attempt_at, last_error, created_at, sent_at";

/// Which messages to list, newest first, keyset-paged by id.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub ticket_id: Option<i64>,
    pub state: Option<String>,
    pub staff_id: Option<i64>,
    pub event: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Messages not yet delivered (sent ones are not counted: they only grow).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MessageCounts {
    pub pending: i64,
    pub failed: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct Person {
    id: i64,
    name: String,
    phone: String,
    email: Option<String>,
    position: String,
    branch_id: Option<i64>,
    station_id: Option<i64>,
}

/// Writes one message per person holding one of `recipients`' positions
/// for this ticket (its station's, its branch's or the company's; a
/// repairer already on the ticket rather than the whole crew).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_messages(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rules: &Rules,
    ticket: &TicketRow,
    event: EventKind,
    seq: i64,
    about: &About,
    recipients: &[(Position, Channel)],
    at: Timestamp,
) -> Result<()> {
    // Nobody to tell (and `IN ()` is not SQL PostgreSQL takes).
    if recipients.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "SELECT id, name, phone, email, position, branch_id, station_id FROM staff WHERE position IN (",
    );
    for (i, (position, _)) in recipients.iter().enumerate() {
        sql.push(if i == 0 { "" } else { ", " })
            .bind_text(position.code());
    }
    sql.push(")");
    let people: Vec<Person> = sql.query_as().fetch_all(&mut **tx).await?;
    let branch_id: Option<i64> = match ticket.station_id {
        Some(station) => sqlx::query_scalar("SELECT branch_id FROM stations WHERE id = $1")
            .bind(station)
            .fetch_optional(&mut **tx)
            .await?
            .flatten(),
        None => None,
    };
    let crew: Vec<i64> =
        sqlx::query_scalar("SELECT staff_id FROM ticket_assignments WHERE ticket_id = $1")
            .bind(ticket.id)
            .fetch_all(&mut **tx)
            .await?;
    // The repairers on the ticket, if any of this station's are (after a
    // redirect the old station's crew no longer counts).
    let assigned_repairers: Vec<i64> = crew
        .into_iter()
        .filter(|id| {
            people.iter().any(|p| {
                p.id == *id
                    && p.position == Position::Repairer.code()
                    && p.station_id == ticket.station_id
            })
        })
        .collect();
    // An assignment tells only the crew it names; other events the crew if
    // there is one, else every repairer of the station.
    let only_crew = event == EventKind::Assigned || !assigned_repairers.is_empty();

    let text = notify::text(
        &Facts {
            number: &ticket.number,
            kind: &ticket.kind,
            priority: &ticket.priority,
            address: &ticket.address,
            caller_phone: &ticket.caller_phone,
            station: ticket.station_name.as_deref(),
        },
        about,
        at,
        rules.tz,
    );
    let mut insert = Sql::new(
        "INSERT INTO outbox (idempotency_key, ticket_id, ticket_number, event, channel, recipient, recipient_name, \
         position, staff_id, text, state, attempts, next_attempt_at, created_at) VALUES ",
    );
    let mut rows = 0;
    for (position, channel) in recipients {
        for person in people.iter().filter(|p| p.position == position.code()) {
            let in_scope = match position.scope() {
                domain::org::Scope::Company => true,
                domain::org::Scope::Branch => branch_id.is_some() && person.branch_id == branch_id,
                domain::org::Scope::Station => {
                    ticket.station_id.is_some()
                        && person.station_id == ticket.station_id
                        && (*position != Position::Repairer
                            || !only_crew
                            || assigned_repairers.contains(&person.id))
                }
            };
            let address = match channel {
                Channel::Sms => Some(person.phone.clone()),
                Channel::Email => person.email.clone(),
            };
            let Some(address) = address.filter(|_| in_scope) else {
                continue;
            };
            insert
                .push(if rows == 0 { "(" } else { ", (" })
                .bind_text(format!(
                    "{}/{seq}/{}/{}",
                    ticket.number,
                    person.id,
                    channel.code()
                ))
                .push(", ")
                .bind_int(ticket.id)
                .push(", ")
                .bind_text(ticket.number.clone())
                .push(", ")
                .bind_text(event.code())
                .push(", ")
                .bind_text(channel.code())
                .push(", ")
                .bind_text(address)
                .push(", ")
                .bind_text(person.name.clone())
                .push(", ")
                .bind_text(position.code())
                .push(", ")
                .bind_int(person.id)
                .push(", ")
                .bind_text(text.clone())
                .push(", 'pending', 0, ")
                .bind_int(at.millis())
                .push(", ")
                .bind_int(at.millis())
                .push(")");
            rows += 1;
        }
    }
    if rows > 0 {
        insert.push(" ON CONFLICT (idempotency_key) DO NOTHING");
        insert.query().execute(&mut **tx).await?;
    }
    Ok(())
}

impl Db {
    /// Claims up to `limit` due messages for `owner` for `lease_ms`.
    pub async fn claim_messages(
        &self,
        owner: &str,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<MessageRow>> {
        let limit = limit.clamp(1, 1000);
        // The two backends differ only in how rows are locked (DESIGN.md §3).
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET next_attempt_at = $1, claimed_by = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE next_attempt_at <= $3 ORDER BY next_attempt_at LIMIT {limit}{lock}) \
             RETURNING {COLUMNS}"
        );
        let mut rows: Vec<MessageRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now.millis() + lease_ms)
            .bind(owner.to_string())
            .bind(now.millis())
            .fetch_all(&self.writer)
            .await?;
        rows.sort_by_key(|m| m.id);
        Ok(rows)
    }

    /// Marks messages delivered, in one statement (one commit for a batch).
    pub async fn messages_sent(&self, ids: &[i64], at: Timestamp) -> Result<()> {
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(
                "UPDATE outbox SET state = 'sent', next_attempt_at = NULL, last_error = NULL, sent_at = ",
            );
            sql.bind_int(at.millis()).push(" WHERE id IN (");
            for (i, id) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).bind_int(*id);
            }
            sql.push(")");
            sql.query().execute(&self.writer).await?;
        }
        Ok(())
    }

    /// Marks every message still pending from before `before` as sent when
    /// it was written: for a replayed history (the demo), whose messages
    /// belong to the past and must not all go out at start-up.
    pub async fn mark_history_sent(&self, before: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'sent', next_attempt_at = NULL, sent_at = created_at \
             WHERE state = 'pending' AND created_at < $1",
        )
        .bind(before.millis())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    /// A failed attempt: tried again at `retry_at`, or given up for good
    /// (`None`), which admins see in the message log.
    pub async fn message_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let error: String = error.chars().take(500).collect();
        sqlx::query(
            "UPDATE outbox SET state = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4 AND state <> 'sent'",
        )
        .bind(if retry_at.is_some() { "pending" } else { "failed" })
        .bind(retry_at.map(Timestamp::millis))
        .bind(error)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Puts a permanently failed message back in the queue (an admin's
    /// "send again", after fixing the gateway or the phone number).
    pub async fn retry_message(&self, id: i64, now: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2 AND state = 'failed'",
        )
        .bind(now.millis())
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Messages, newest first.
    pub async fn messages(&self, f: &MessageFilter) -> Result<Vec<MessageRow>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM outbox WHERE 1 = 1"));
        if let Some(ticket) = f.ticket_id {
            sql.push(" AND ticket_id = ").bind_int(ticket);
        }
        if let Some(state) = &f.state {
            sql.push(" AND state = ").bind_text(state.clone());
        }
        if let Some(staff) = f.staff_id {
            sql.push(" AND staff_id = ").bind_int(staff);
        }
        if let Some(event) = &f.event {
            sql.push(" AND event = ").bind_text(event.clone());
        }
        if let Some(before) = f.before_id {
            sql.push(" AND id < ").bind_int(before);
        }
        sql.push(&format!(
            " ORDER BY id DESC LIMIT {}",
            f.limit.clamp(1, 1000)
        ));
        Ok(sql.query_as().fetch_all(&self.pool).await?)
    }

    pub async fn message_counts(&self) -> Result<MessageCounts> {
        let count = |state: &'static str| async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE state = $1")
                .bind(state)
                .fetch_one(&self.pool)
                .await
        };
        Ok(MessageCounts {
            pending: count("pending").await?,
            failed: count("failed").await?,
        })
    }
}
