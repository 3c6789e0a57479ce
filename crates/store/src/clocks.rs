//! Clocks of tickets' steps (issue 5): written and stopped inside the
//! transaction of the command whose event starts or stops them, fired by the
//! scheduler exactly once per stage (warning, then each rung of the
//! escalation ladder), each firing an event on the ticket plus outbox rows.
//!
//! Exactly once, across instances: a firing bumps the ticket's version (the
//! ticket row is locked first, as every command does, so there is no lock
//! cycle with commands) and then moves the clock on only if it is still at
//! the stage it was read at. Whoever loses that race rolls back.

use domain::notify::About;
use domain::sla::{self, ClockChange, ClockTimes, Fire, Step};
use domain::{EventKind, Kind, Position, Priority, Status, Timestamp};
use serde_json::json;

use crate::tickets::{NewEvent, SELECT as TICKETS, TicketRow, insert_event};
use crate::{Db, Result, Sql, outbox};

/// Who the scheduler writes events as.
pub const SYSTEM_ACTOR: &str = "system";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClockRow {
    pub id: i64,
    pub ticket_id: i64,
    pub step: String,
    pub state: String,
    pub started_at: i64,
    pub warn_at: i64,
    pub due_at: i64,
    pub paused_until: Option<i64>,
    pub fired: i64,
    pub next_fire_at: Option<i64>,
    pub stopped_at: Option<i64>,
    pub late_ms: Option<i64>,
}

impl ClockRow {
    pub fn times(&self) -> ClockTimes {
        ClockTimes {
            started_at: Timestamp(self.started_at),
            warn_at: Timestamp(self.warn_at),
            due_at: Timestamp(self.due_at),
        }
    }

    /// The escalation level reached (0 = none).
    pub fn level(&self) -> i64 {
        (self.fired - 1).max(0)
    }
}

const COLUMNS: &str = "id, ticket_id, step, state, started_at, warn_at, due_at, paused_until, fired, \
    next_fire_at, stopped_at, late_ms";

/// What the scheduler did with one due clock.
#[derive(Debug, Clone, PartialEq)]
pub enum Fired {
    Warned {
        ticket: String,
        step: String,
    },
    Escalated {
        ticket: String,
        step: String,
        level: usize,
    },
    /// A warning due after its deadline was dropped (the escalation follows).
    SkippedWarning,
    /// Someone else fired it first, or the step was done meanwhile.
    Lost,
}

impl Db {
    /// Clocks of a ticket, oldest first: running ones and the record of the others.
    pub async fn ticket_clocks(&self, ticket_id: i64) -> Result<Vec<ClockRow>> {
        let mut rows: Vec<ClockRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM ticket_clocks WHERE ticket_id = $1"
        )))
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        rows.sort_by_key(|c| c.id);
        Ok(rows)
    }

    /// Running clocks of the given tickets, by ticket id, soonest due first.
    pub async fn running_clocks(
        &self,
        ticket_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<ClockRow>>> {
        let mut map: std::collections::HashMap<i64, Vec<ClockRow>> = Default::default();
        if ticket_ids.is_empty() {
            return Ok(map);
        }
        // In chunks: an export asks for tens of thousands of tickets, more
        // than SQLite takes bound variables in one statement.
        for chunk in ticket_ids.chunks(500) {
            let mut sql = Sql::new(&format!(
                "SELECT {COLUMNS} FROM ticket_clocks WHERE state = 'running' AND ticket_id IN ("
            ));
            for (i, id) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).bind_int(*id);
            }
            sql.push(")");
            let rows: Vec<ClockRow> = sql.query_as().fetch_all(&self.pool).await?;
            for row in rows {
                map.entry(row.ticket_id).or_default().push(row);
            }
        }
        for clocks in map.values_mut() {
            clocks.sort_by_key(|c| c.due_at);
        }
        Ok(map)
    }

    /// Clocks with something to fire at or before `now`, most overdue first.
    /// Served by the partial index on `next_fire_at`: the cost does not
    /// depend on how many clocks are pending.
    pub async fn due_clocks(&self, now: Timestamp, limit: i64) -> Result<Vec<ClockRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM ticket_clocks WHERE next_fire_at <= $1 ORDER BY next_fire_at LIMIT {}",
            limit.clamp(1, 10_000)
        )))
        .bind(now.millis())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Fires the clock's next stage, once: an event on the ticket
    /// (`warned` / `escalated`) and the messages of the policy, in one
    /// transaction.
    pub async fn fire_clock(&self, clock: &ClockRow, now: Timestamp) -> Result<Fired> {
        let ladder = &self.rules.policy.escalation;
        let times = clock.times();
        let fired = clock.fired.max(0) as usize;
        let Some((fire, _)) = sla::next_stage(fired, times, ladder) else {
            // Nothing left (the ladder got shorter since): stop looking at it.
            sqlx::query(
                "UPDATE ticket_clocks SET next_fire_at = NULL WHERE id = $1 AND fired = $2",
            )
            .bind(clock.id)
            .bind(clock.fired)
            .execute(&self.writer)
            .await?;
            return Ok(Fired::Lost);
        };
        let next = sla::next_stage(fired + 1, times, ladder).map(|(_, at)| at.millis());
        // Only if the clock is still as it was read: not fired by someone
        // else, not stopped, not moved by a pause (which changes next_fire_at).
        let advance = "UPDATE ticket_clocks SET fired = $1, next_fire_at = $2 \
                       WHERE id = $3 AND fired = $4 AND state = 'running' AND next_fire_at = $5";

        // A warning after the deadline is noise: go straight to the ladder.
        if fire == Fire::Warn && now >= times.due_at {
            let moved = sqlx::query(advance)
                .bind(clock.fired + 1)
                .bind(next)
                .bind(clock.id)
                .bind(clock.fired)
                .bind(clock.next_fire_at)
                .execute(&self.writer)
                .await?;
            return Ok(if moved.rows_affected() == 1 {
                Fired::SkippedWarning
            } else {
                Fired::Lost
            });
        }

        let mut tx = self.writer.begin().await?;
        // The ticket row first, as commands lock it: no lock cycle. Then the
        // ticket as it is now (a redirect may have moved it meanwhile).
        let bumped = sqlx::query("UPDATE tickets SET version = version + 1 WHERE id = $1")
            .bind(clock.ticket_id)
            .execute(&mut *tx)
            .await?;
        if bumped.rows_affected() != 1 {
            return Ok(Fired::Lost);
        }
        let ticket: TicketRow =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{TICKETS} WHERE t.id = $1")))
                .bind(clock.ticket_id)
                .fetch_one(&mut *tx)
                .await?;
        let moved = sqlx::query(advance)
            .bind(clock.fired + 1)
            .bind(next)
            .bind(clock.id)
            .bind(clock.fired)
            .bind(clock.next_fire_at)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(Fired::Lost);
        }
        let step = Step::parse(&clock.step)?;
        let late_ms = now.millis() - clock.due_at;
        let (kind, data, about, recipients, result) = match fire {
            Fire::Warn => (
                EventKind::Warned,
                json!({ "step": clock.step, "due_at": clock.due_at }),
                About::Warned {
                    step,
                    due_at: times.due_at,
                },
                self.rules.policy.recipients(EventKind::Warned),
                Fired::Warned {
                    ticket: ticket.number.clone(),
                    step: clock.step.clone(),
                },
            ),
            Fire::Escalate(level) => {
                let mut recipients: Vec<(Position, sla::Channel)> = ladder[level - 1]
                    .notify
                    .iter()
                    .map(|p| (*p, sla::Channel::Sms))
                    .collect();
                for r in self.rules.policy.recipients(EventKind::Escalated) {
                    if !recipients.contains(&r) {
                        recipients.push(r);
                    }
                }
                (
                    EventKind::Escalated,
                    json!({
                        "level": level,
                        "step": clock.step,
                        "due_at": clock.due_at,
                        "late_ms": late_ms,
                        "notify": ladder[level - 1].notify.iter().map(|p| p.code()).collect::<Vec<_>>(),
                    }),
                    About::Escalated {
                        level,
                        step,
                        late_ms,
                    },
                    recipients,
                    Fired::Escalated {
                        ticket: ticket.number.clone(),
                        step: clock.step.clone(),
                        level,
                    },
                )
            }
        };
        let event = NewEvent {
            seq: ticket.version,
            kind,
            status_after: Status::parse(&ticket.status)?,
            data,
        };
        insert_event(&mut tx, ticket.id, now, SYSTEM_ACTOR, &event).await?;
        outbox::write_messages(
            &mut tx,
            &self.rules,
            &ticket,
            kind,
            event.seq,
            &about,
            &recipients,
            now,
        )
        .await?;
        tx.commit().await?;
        self.publish_ticket(&ticket);
        Ok(result)
    }
}

/// Tickets whose running clocks are past their warning point (`late:
/// false`) or past their deadline (`late: true`), as ticket ids.
pub(crate) fn push_clock_filter(sql: &mut Sql, now: Timestamp, late: bool) {
    sql.push(" AND t.id IN (SELECT c.ticket_id FROM ticket_clocks c WHERE c.state = 'running' AND c.warn_at <= ")
        .bind_int(now.millis());
    if late {
        sql.push(" AND c.due_at <= ").bind_int(now.millis());
    } else {
        sql.push(" AND c.due_at > ").bind_int(now.millis());
    }
    sql.push(")");
}

/// Applies what `event` does to the ticket's clocks and writes the messages
/// the policy asks for — inside the command's transaction.
pub(crate) async fn after_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rules: &crate::Rules,
    ticket: &TicketRow,
    event: EventKind,
    seq: i64,
    at: Timestamp,
) -> Result<()> {
    let rule = rules.policy.rule_for(
        Kind::parse(&ticket.kind)?,
        Priority::parse(&ticket.priority)?,
    );
    let changes = sla::clock_changes(event, rule, at, ticket.appointment_at.map(Timestamp));
    if !changes.is_empty() {
        apply_changes(tx, rules, ticket.id, &changes, at).await?;
    }
    let recipients = rules.policy.recipients(event);
    if !recipients.is_empty() {
        outbox::write_messages(
            tx,
            rules,
            ticket,
            event,
            seq,
            &About::Event(event),
            &recipients,
            at,
        )
        .await?;
    }
    Ok(())
}

async fn apply_changes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rules: &crate::Rules,
    ticket_id: i64,
    changes: &[ClockChange],
    at: Timestamp,
) -> Result<()> {
    let ladder = &rules.policy.escalation;
    let mut running: Vec<ClockRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ticket_clocks WHERE ticket_id = $1 AND state = 'running'"
    )))
    .bind(ticket_id)
    .fetch_all(&mut **tx)
    .await?;
    let cancel = "UPDATE ticket_clocks SET state = 'cancelled', next_fire_at = NULL, stopped_at = $1 WHERE id = $2";
    for change in changes {
        match change {
            ClockChange::CancelAll => {
                for clock in running.drain(..) {
                    sqlx::query(cancel)
                        .bind(at.millis())
                        .bind(clock.id)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            ClockChange::Start { step, times } => {
                if let Some(i) = running.iter().position(|c| c.step == step.code()) {
                    let old = running.remove(i);
                    sqlx::query(cancel)
                        .bind(at.millis())
                        .bind(old.id)
                        .execute(&mut **tx)
                        .await?;
                }
                let next = sla::next_stage(0, *times, ladder).map(|(_, t)| t.millis());
                sqlx::query(
                    "INSERT INTO ticket_clocks (ticket_id, step, state, started_at, warn_at, due_at, fired, next_fire_at) \
                     VALUES ($1, $2, 'running', $3, $4, $5, 0, $6)",
                )
                .bind(ticket_id)
                .bind(step.code())
                .bind(times.started_at.millis())
                .bind(times.warn_at.millis())
                .bind(times.due_at.millis())
                .bind(next)
                .execute(&mut **tx)
                .await?;
            }
            ClockChange::Stop { step } => {
                if let Some(i) = running.iter().position(|c| c.step == step.code()) {
                    let clock = running.remove(i);
                    let late_ms = at.millis() - clock.due_at;
                    sqlx::query(
                        "UPDATE ticket_clocks SET state = $1, next_fire_at = NULL, stopped_at = $2, late_ms = $3 WHERE id = $4",
                    )
                    .bind(if late_ms > 0 { "late" } else { "met" })
                    .bind(at.millis())
                    .bind(late_ms.max(0))
                    .bind(clock.id)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            ClockChange::PauseUntil { step, until } => {
                // A missed deadline stays missed: only clocks still in time pause.
                let Some(clock) = running
                    .iter()
                    .find(|c| c.step == step.code() && at.millis() < c.due_at)
                else {
                    continue;
                };
                let times =
                    sla::paused(clock.times(), at, clock.paused_until.map(Timestamp), *until);
                let next = sla::next_stage(clock.fired.max(0) as usize, times, ladder)
                    .map(|(_, t)| t.millis());
                sqlx::query(
                    "UPDATE ticket_clocks SET warn_at = $1, due_at = $2, paused_until = $3, next_fire_at = $4 WHERE id = $5",
                )
                .bind(times.warn_at.millis())
                .bind(times.due_at.millis())
                .bind(until.millis())
                .bind(next)
                .bind(clock.id)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok(())
}
