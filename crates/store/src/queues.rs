//! What the console needs beyond the ticket commands: work queues (also by
//! their clocks: nearly late, late), the caller's history, exact address
//! lookups, notes and repairer assignments. Every query follows the rules
//! of lib.rs: `$N` placeholders, scalar subqueries instead of JOINs, limits
//! inlined.

use std::collections::HashMap;

use domain::{Status, Timestamp};
use sqlx::Row;

use crate::accounts::{AccountRow, SELECT as ACCOUNTS};
use crate::org::StaffRow;
use crate::tickets::{SELECT as TICKETS, TicketRow, push_common_filters, push_search};
use crate::{Db, Result, Sql};

/// Tickets by their running clocks at `now`: past the warning point but
/// still in time, or past the deadline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockQueue {
    pub now: Timestamp,
    pub late: bool,
}

/// A work queue: filters, order and keyset page.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub statuses: Vec<Status>,
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub station_id: Option<i64>,
    /// The station a station-bound user is confined to (see [`TicketRow::visible_to`]).
    pub station_scope: Option<i64>,
    /// A ticket number, a phone or account number, or words.
    pub q: Option<String>,
    /// Only tickets about to be late, or late (by their clocks).
    pub clocks: Option<ClockQueue>,
    /// Oldest first (the order work is done in) instead of newest first;
    /// within each group when `group_by` is set.
    pub oldest_first: bool,
    /// Grouped order: the groups in their fixed order, ids within each.
    pub group_by: Option<QueueGroup>,
    /// Keyset cursor: the id of the last row of the previous page.
    pub after_id: Option<i64>,
    /// With `group_by`: the group of the last row of the previous page.
    pub after_group: usize,
    pub limit: i64,
}

/// A grouped order of a queue. Each group is one index-served query
/// (`… AND t.priority = 'urgent' ORDER BY t.id LIMIT n`), so the order costs what
/// a plain page costs, at a million tickets too; a free `ORDER BY
/// priority, id` could not be served by an index together with the status
/// list and would sort every open ticket at each render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueGroup {
    /// Emergency, urgent, normal.
    Priority,
    /// The workflow order of the states (registered, dispatched, … closed).
    Status,
}

impl QueueGroup {
    /// The groups in order, as stored codes.
    pub fn values(self) -> Vec<&'static str> {
        match self {
            QueueGroup::Priority => domain::Priority::ALL.iter().map(|p| p.code()).collect(),
            QueueGroup::Status => Status::ALL.iter().map(|s| s.code()).collect(),
        }
    }

    fn column(self) -> &'static str {
        match self {
            QueueGroup::Priority => "t.priority",
            QueueGroup::Status => "t.status",
        }
    }

    /// The group a row belongs to.
    pub fn of(self, row: &TicketRow) -> usize {
        let value = match self {
            QueueGroup::Priority => &row.priority,
            QueueGroup::Status => &row.status,
        };
        self.values()
            .iter()
            .position(|v| v == value)
            .unwrap_or(usize::MAX)
    }
}

impl QueueFilter {
    /// Moves the keyset cursor past `last` (the last row of a page).
    pub fn advance(&mut self, last: &TicketRow) {
        self.after_id = Some(last.id);
        if let Some(group) = self.group_by {
            self.after_group = group.of(last);
        }
    }

    /// The cursor after `last` as text: `id`, or `group.id` in a grouped order.
    pub fn cursor_after(&self, last: &TicketRow) -> String {
        match self.group_by {
            Some(group) => format!("{}.{}", group.of(last), last.id),
            None => last.id.to_string(),
        }
    }

    /// Reads a cursor written by [`QueueFilter::cursor_after`]; `None` when
    /// it is not one.
    pub fn set_cursor(&mut self, cursor: &str) -> Option<()> {
        let (group, id) = match (self.group_by, cursor.split_once('.')) {
            (Some(_), Some((g, id))) => (g.parse().ok()?, id),
            (None, None) => (0, cursor),
            _ => return None,
        };
        self.after_id = Some(id.parse().ok()?);
        self.after_group = group;
        Some(())
    }
}

/// How many tickets wait in each queue.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QueueCounts {
    pub registered: i64,
    pub in_progress: i64,
    pub warning: i64,
    pub late: i64,
    pub callback: i64,
    pub scheduled: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NoteRow {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub staff_id: i64,
    pub staff_name: String,
    pub staff_phone: String,
    pub assigned_by: String,
    pub assigned_at: i64,
}

impl Db {
    /// One page of a queue. Every statement is served by an index in its
    /// order (see [`QueueGroup`]).
    pub async fn queue(&self, f: &QueueFilter) -> Result<Vec<TicketRow>> {
        let Some(group) = f.group_by else {
            return self.queue_part(f, None, f.after_id).await;
        };
        let limit = f.limit.clamp(1, 1000) as usize;
        let mut rows = Vec::new();
        for (i, value) in group.values().into_iter().enumerate() {
            if i < f.after_group || (group == QueueGroup::Status && !admits(f, value)) {
                continue;
            }
            let after = if i == f.after_group { f.after_id } else { None };
            rows.extend(self.queue_part(f, Some((group, value)), after).await?);
            if rows.len() >= limit {
                break;
            }
        }
        rows.truncate(limit);
        Ok(rows)
    }

    /// One statement of a page: the filters, optionally one group, ids past `after`.
    async fn queue_part(
        &self,
        f: &QueueFilter,
        group: Option<(QueueGroup, &str)>,
        after: Option<i64>,
    ) -> Result<Vec<TicketRow>> {
        let mut sql = Sql::new(TICKETS);
        sql.push(" WHERE 1 = 1");
        push_filters(&mut sql, f);
        if let Some((group, value)) = group {
            // Inlined, not bound: the values are the domain's fixed codes, and
            // each group gets its own statement and plan. Bound, PostgreSQL's
            // generic plan for the shared text walked the primary key for an
            // empty group (280 ms at a million tickets).
            debug_assert!(value.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            sql.push(" AND ")
                .push(group.column())
                .push(" = '")
                .push(value)
                .push("'");
        }
        if let Some(after) = after {
            sql.push(if f.oldest_first {
                " AND t.id > "
            } else {
                " AND t.id < "
            })
            .bind_int(after);
        }
        // Inlined, clamped limit: a bound LIMIT makes SQLite re-prepare (lib.rs).
        sql.push(&format!(
            " ORDER BY t.id {} LIMIT {}",
            if f.oldest_first { "ASC" } else { "DESC" },
            f.limit.clamp(1, 1000)
        ));
        Ok(sql.query_as().fetch_all(&self.pool).await?)
    }

    /// Queue sizes, as a station-bound user (`scope`) or everyone sees them.
    pub async fn queue_counts(&self, scope: Option<i64>, now: Timestamp) -> Result<QueueCounts> {
        Ok(QueueCounts {
            warning: self
                .clock_count(scope, ClockQueue { now, late: false })
                .await?,
            late: self
                .clock_count(scope, ClockQueue { now, late: true })
                .await?,
            ..self.state_counts(scope).await?
        })
    }

    /// The four state queues' sizes (clock queues left 0), counted on the
    /// covering indexes `tickets_status` / `tickets_station`: only index
    /// entries of open states are read, never the table.
    pub async fn state_counts(&self, scope: Option<i64>) -> Result<QueueCounts> {
        use Status::*;
        let queues: [&[Status]; 4] = [
            &[Registered],
            &[Dispatched, Accepted, Contacted, OnSite],
            &[Resolved],
            &[Scheduled],
        ];
        let mut n = [0i64; 4];
        for (i, statuses) in queues.iter().enumerate() {
            n[i] = self.count(statuses, scope).await?;
        }
        Ok(QueueCounts {
            registered: n[0],
            in_progress: n[1],
            callback: n[2],
            scheduled: n[3],
            ..Default::default()
        })
    }

    async fn count(&self, statuses: &[Status], scope: Option<i64>) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM tickets t WHERE 1 = 1");
        push_filters(
            &mut sql,
            &QueueFilter {
                statuses: statuses.to_vec(),
                station_scope: scope,
                ..Default::default()
            },
        );
        Ok(sql.query().fetch_one(&self.pool).await?.try_get(0)?)
    }

    /// Tickets with a running clock past its warning point (still in time)
    /// or past its deadline, counted on the clocks alone — every clock
    /// belongs to a ticket, so the tickets table is only read for a
    /// station's scope.
    async fn clock_count(&self, scope: Option<i64>, c: ClockQueue) -> Result<i64> {
        let mut sql = Sql::new(
            "SELECT COUNT(DISTINCT c.ticket_id) FROM ticket_clocks c WHERE c.state = 'running' AND c.warn_at <= ",
        );
        sql.bind_int(c.now.millis());
        sql.push(if c.late {
            " AND c.due_at <= "
        } else {
            " AND c.due_at > "
        })
        .bind_int(c.now.millis());
        if let Some(station) = scope {
            // As a station user sees tickets (TicketRow::visible_to): dispatched to it.
            sql.push(" AND (SELECT t.station_id FROM tickets t WHERE t.id = c.ticket_id) = ")
                .bind_int(station);
        }
        Ok(sql.query().fetch_one(&self.pool).await?.try_get(0)?)
    }

    /// The caller's tickets, by phone or by any of the accounts, newest first.
    ///
    /// Two queries, each served by its index (`tickets_phone`,
    /// `tickets_account`), merged here: with `phone = $1 OR account_no IN
    /// (…)` in one statement SQLite scans the whole table.
    pub async fn caller_tickets(
        &self,
        phone: &str,
        account_nos: &[String],
        limit: usize,
    ) -> Result<Vec<TicketRow>> {
        let mut by_phone = Sql::new(TICKETS);
        by_phone.push(" WHERE t.caller_phone = ").bind_text(phone);
        // No ORDER BY / LIMIT (re-prepares on SQLite): a caller has few tickets.
        let mut rows: Vec<TicketRow> = by_phone.query_as().fetch_all(&self.pool).await?;
        for chunk in account_nos.chunks(100) {
            let mut by_account = Sql::new(TICKETS);
            by_account.push(" WHERE t.account_no IN (");
            for (i, a) in chunk.iter().enumerate() {
                by_account
                    .push(if i == 0 { "" } else { ", " })
                    .bind_text(a.clone());
            }
            by_account.push(")");
            rows.extend(
                by_account
                    .query_as::<TicketRow>()
                    .fetch_all(&self.pool)
                    .await?,
            );
        }
        rows.sort_by_key(|t| std::cmp::Reverse(t.id));
        rows.dedup_by_key(|t| t.id);
        rows.truncate(limit);
        Ok(rows)
    }

    /// Accounts in one building of a community; `unit` and `room` narrow it
    /// when given.
    pub async fn accounts_in_building(
        &self,
        community: &str,
        building: &str,
        unit: Option<&str>,
        room: Option<&str>,
    ) -> Result<Vec<AccountRow>> {
        let mut sql = Sql::new(ACCOUNTS);
        sql.push(" WHERE a.community = ").bind_text(community);
        sql.push(" AND a.building = ").bind_text(building);
        if let Some(unit) = unit {
            sql.push(" AND a.unit = ").bind_text(unit);
        }
        if let Some(room) = room {
            sql.push(" AND a.room = ").bind_text(room);
        }
        sql.push(" LIMIT 200");
        Ok(sql.query_as().fetch_all(&self.pool).await?)
    }

    /// Whether a community of this exact name is in the register.
    pub async fn community_exists(&self, community: &str) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM accounts WHERE community = $1 LIMIT 1")
                .bind(community.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Staff of a station (repairers first), for assigning tickets.
    pub async fn station_staff(&self, station_id: i64) -> Result<Vec<StaffRow>> {
        let mut rows: Vec<StaffRow> = sqlx::query_as(
            "SELECT p.id, p.name, p.phone, p.position, (SELECT name FROM branches WHERE id = p.branch_id) AS branch_name, \
             (SELECT code FROM stations WHERE id = p.station_id) AS station_code FROM staff p WHERE p.station_id = $1",
        )
        .bind(station_id)
        .fetch_all(&self.pool)
        .await?;
        rows.sort_by(|a, b| {
            (a.position != "repairer", &a.name).cmp(&(b.position != "repairer", &b.name))
        });
        Ok(rows)
    }

    /// The crew of each of the given tickets, by ticket id (in the order
    /// they were put on it, then by name).
    pub async fn assignments(&self, ticket_ids: &[i64]) -> Result<HashMap<i64, Vec<Assignment>>> {
        if ticket_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut sql = Sql::new(
            "SELECT a.ticket_id, a.staff_id, (SELECT name FROM staff WHERE id = a.staff_id) AS staff_name, \
             (SELECT phone FROM staff WHERE id = a.staff_id) AS staff_phone, a.assigned_by, a.assigned_at \
             FROM ticket_assignments a WHERE a.ticket_id IN (",
        );
        for (i, id) in ticket_ids.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " }).bind_int(*id);
        }
        sql.push(")");
        let mut map: HashMap<i64, Vec<Assignment>> = HashMap::new();
        for r in sql.query().fetch_all(&self.pool).await? {
            map.entry(r.try_get("ticket_id")?)
                .or_default()
                .push(Assignment {
                    staff_id: r.try_get("staff_id")?,
                    staff_name: r
                        .try_get::<Option<String>, _>("staff_name")?
                        .unwrap_or_default(),
                    staff_phone: r
                        .try_get::<Option<String>, _>("staff_phone")?
                        .unwrap_or_default(),
                    assigned_by: r.try_get("assigned_by")?,
                    assigned_at: r.try_get("assigned_at")?,
                });
        }
        for crew in map.values_mut() {
            crew.sort_by(|a, b| {
                (a.assigned_at, &a.staff_name).cmp(&(b.assigned_at, &b.staff_name))
            });
        }
        Ok(map)
    }

    /// Adds a free note to a ticket (its state does not change).
    pub async fn add_note(
        &self,
        ticket: &TicketRow,
        actor: &str,
        text: &str,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO ticket_notes (ticket_id, at, actor, text) VALUES ($1, $2, $3, $4)",
        )
        .bind(ticket.id)
        .bind(at.millis())
        .bind(actor.to_string())
        .bind(text.to_string())
        .execute(&self.writer)
        .await?;
        self.publish_unchanged(ticket);
        Ok(())
    }

    /// Notes of a ticket, oldest first.
    pub async fn ticket_notes(&self, ticket_id: i64) -> Result<Vec<NoteRow>> {
        let mut rows: Vec<NoteRow> =
            sqlx::query_as("SELECT id, at, actor, text FROM ticket_notes WHERE ticket_id = $1")
                .bind(ticket_id)
                .fetch_all(&self.pool)
                .await?;
        rows.sort_by_key(|n| n.id);
        Ok(rows)
    }

    /// Tells live pages a ticket changed without a state change (note, assignment).
    fn publish_unchanged(&self, ticket: &TicketRow) {
        self.feed.publish(crate::Change::Ticket {
            number: ticket.number.clone(),
            status: ticket.status.clone(),
            station_id: ticket.station_id,
            left_station_id: None,
        });
    }
}

/// Whether a status group can hold rows under the filter's status list
/// (empty groups are not queried).
fn admits(f: &QueueFilter, status: &str) -> bool {
    let listed = f.statuses.is_empty() || f.statuses.iter().any(|s| s.code() == status);
    let scoped_out = f.station_scope.is_some() && status == Status::Registered.code();
    listed && !scoped_out
}

fn push_filters(sql: &mut Sql, f: &QueueFilter) {
    push_common_filters(
        sql,
        &f.statuses,
        f.kind.as_deref(),
        f.priority.as_deref(),
        f.station_id,
        f.station_scope,
    );
    if let Some(c) = f.clocks {
        crate::clocks::push_clock_filter(sql, c.now, c.late);
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        push_search(sql, q);
    }
}
