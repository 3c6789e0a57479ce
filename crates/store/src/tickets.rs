//! Tickets: registration, commands and queries. One command = one transaction:
//! the ticket row, its new event and its version move together.

use domain::ticket::ticket_number;
use domain::{Action, DomainError, EventKind, NewTicket, Status, Timestamp};
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

use crate::org::StationRow;
use crate::{Db, Result, Sql, StoreError, clocks};

/// A ticket as stored, with its station's code and name.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TicketRow {
    pub id: i64,
    pub number: String,
    pub kind: String,
    pub category: String,
    pub priority: String,
    pub difficulty: String,
    pub channel: String,
    pub status: String,
    pub caller_name: String,
    pub caller_phone: String,
    pub address: String,
    pub description: String,
    pub account_no: Option<String>,
    pub station_id: Option<i64>,
    pub station_code: Option<String>,
    pub station_name: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub merged_into: Option<String>,
    pub appointment_at: Option<i64>,
    /// The latest room-temperature visit's temperature and refund.
    pub room_temp_c: Option<f64>,
    pub refund_percent: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

impl TicketRow {
    /// Station-bound users see their station's tickets once dispatched to it;
    /// everyone else (no scope) sees every ticket.
    pub fn visible_to(&self, station_scope: Option<i64>) -> bool {
        match station_scope {
            None => true,
            Some(station) => {
                self.station_id == Some(station) && self.status != Status::Registered.code()
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub seq: i64,
    pub kind: String,
    pub at: i64,
    pub actor: String,
    pub status_after: String,
    pub data: serde_json::Value,
}

/// Who issues a command, and the station they are confined to, if any.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub name: String,
    pub station_id: Option<i64>,
    /// A repairer: may act only on tickets assigned to them (`staff_id`) or
    /// to nobody yet. The one place this rule lives is [`Db::act_on_ticket_with`].
    pub assigned_only: bool,
    /// The staff register entry of the actor, when the login is linked to one.
    pub staff_id: Option<i64>,
}

/// What a field command brings beside the action itself: more details for
/// its event (an appointment's window end, parts used) and files (photos,
/// the customer's signature), all stored in the command's transaction.
#[derive(Debug, Clone, Default)]
pub struct CommandExtras {
    pub event_data: serde_json::Map<String, serde_json::Value>,
    pub attachments: Vec<crate::attachments::NewAttachment>,
}

/// Filters of the ticket list. Every field is optional.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub statuses: Vec<Status>,
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub station_id: Option<i64>,
    /// The station a station-bound user is confined to (see [`TicketRow::visible_to`]).
    pub station_scope: Option<i64>,
    /// Free search: a ticket number, a phone, or words of address and description.
    pub q: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Keyset cursor: only tickets with a smaller id (newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub(crate) const SELECT: &str = "SELECT t.id, t.number, t.kind, t.category, t.priority, t.difficulty, t.channel, \
    t.status, t.caller_name, t.caller_phone, t.address, t.description, t.account_no, t.station_id, \
    (SELECT code FROM stations WHERE id = t.station_id) AS station_code, \
    (SELECT name FROM stations WHERE id = t.station_id) AS station_name, t.lat, t.lon, t.merged_into, t.appointment_at, \
    t.room_temp_c, t.refund_percent, t.created_by, t.created_at, t.updated_at, t.version \
    FROM tickets t";

/// How often a command is retried when another one changed the ticket first.
const RETRIES: usize = 5;

impl Db {
    /// Registers a ticket, numbering it by the day of `at` in the configured
    /// zone (`day_key`), and dispatches it at once to `station` when
    /// `dispatch` is set.
    pub async fn register_ticket(
        &self,
        ticket: &NewTicket,
        station: Option<&StationRow>,
        dispatch: bool,
        actor: &Actor,
        at: Timestamp,
        day_key: &str,
    ) -> Result<TicketRow> {
        if dispatch && station.is_none() {
            return Err(DomainError::invalid("station_code", "no station to dispatch to").into());
        }
        let status = if dispatch {
            Status::Dispatched
        } else {
            Status::Registered
        };
        // One event per version: the next event's seq is always version + 1.
        let version = if dispatch { 2 } else { 1 };
        let (lat, lon) = ticket
            .point
            .map_or((None, None), |(a, o)| (Some(a), Some(o)));
        let mut row = TicketRow {
            id: 0,
            number: String::new(),
            kind: ticket.kind.code().to_string(),
            category: ticket.category.clone(),
            priority: ticket.priority.code().to_string(),
            difficulty: ticket.difficulty.code().to_string(),
            channel: ticket.channel.code().to_string(),
            status: status.code().to_string(),
            caller_name: ticket.caller_name.clone(),
            caller_phone: ticket.caller_phone.as_str().to_string(),
            address: ticket.address.clone(),
            description: ticket.description.clone(),
            account_no: ticket.account_no.clone(),
            station_id: station.map(|s| s.id),
            station_code: station.map(|s| s.code.clone()),
            station_name: station.map(|s| s.name.clone()),
            lat,
            lon,
            merged_into: None,
            appointment_at: None,
            room_temp_c: None,
            refund_percent: None,
            created_by: actor.name.clone(),
            created_at: at.millis(),
            updated_at: at.millis(),
            version,
        };

        let mut tx = self.writer.begin().await?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO ticket_sequences (day, last) VALUES ($1, 1) \
             ON CONFLICT (day) DO UPDATE SET last = ticket_sequences.last + 1 RETURNING last",
        )
        .bind(day_key.to_string())
        .fetch_one(&mut *tx)
        .await?;
        row.number = ticket_number(day_key, seq);
        row.id = sqlx::query_scalar(
            "INSERT INTO tickets (number, kind, category, priority, difficulty, channel, status, \
             caller_name, caller_phone, address, description, account_no, station_id, lat, lon, \
             created_by, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18) RETURNING id",
        )
        .bind(row.number.clone())
        .bind(row.kind.clone())
        .bind(row.category.clone())
        .bind(row.priority.clone())
        .bind(row.difficulty.clone())
        .bind(row.channel.clone())
        .bind(row.status.clone())
        .bind(row.caller_name.clone())
        .bind(row.caller_phone.clone())
        .bind(row.address.clone())
        .bind(row.description.clone())
        .bind(row.account_no.clone())
        .bind(row.station_id)
        .bind(lat)
        .bind(lon)
        .bind(actor.name.clone())
        .bind(at.millis())
        .bind(version)
        .fetch_one(&mut *tx)
        .await?;
        let registered = NewEvent {
            seq: 1,
            kind: EventKind::Registered,
            status_after: Status::Registered,
            data: json!({}),
        };
        insert_event(&mut tx, row.id, at, &actor.name, &registered).await?;
        if let (true, Some(station)) = (dispatch, station) {
            let dispatched = NewEvent {
                seq: 2,
                kind: EventKind::Dispatched,
                status_after: Status::Dispatched,
                data: json!({ "station_code": station.code }),
            };
            insert_event(&mut tx, row.id, at, &actor.name, &dispatched).await?;
            clocks::after_event(&mut tx, &self.rules, &row, EventKind::Dispatched, 2, at).await?;
        }
        tx.commit().await?;
        self.publish_ticket(&row);
        Ok(row)
    }

    /// Applies `action` to the ticket `number` as `actor`, in one transaction.
    /// A station-bound actor only reaches its station's tickets.
    pub async fn act_on_ticket(
        &self,
        number: &str,
        action: &Action,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<TicketRow> {
        self.act_on_ticket_with(number, action, actor, at, &CommandExtras::default())
            .await
    }

    /// [`Db::act_on_ticket`] with event details and attachments written in
    /// the same transaction: either all of it is stored or none of it.
    pub async fn act_on_ticket_with(
        &self,
        number: &str,
        action: &Action,
        actor: &Actor,
        at: Timestamp,
        extras: &CommandExtras,
    ) -> Result<TicketRow> {
        for _ in 0..RETRIES {
            match self.try_act(number, action, actor, at, extras).await {
                Err(StoreError::Conflict(_)) => continue,
                other => return other,
            }
        }
        Err(StoreError::Conflict(format!("ticket {number}")))
    }

    /// Reads and decides outside the transaction; the write checks the
    /// version it read (optimistic locking), so a concurrent change makes it
    /// fail with `Conflict` and [`Db::act_on_ticket`] decides again.
    async fn try_act(
        &self,
        number: &str,
        action: &Action,
        actor: &Actor,
        at: Timestamp,
        extras: &CommandExtras,
    ) -> Result<TicketRow> {
        let mut ticket = self
            .ticket(number)
            .await?
            .filter(|t| t.visible_to(actor.station_id))
            .ok_or_else(|| StoreError::not_found("ticket", number))?;
        if actor.assigned_only {
            let crew: Vec<i64> =
                sqlx::query_scalar("SELECT staff_id FROM ticket_assignments WHERE ticket_id = $1")
                    .bind(ticket.id)
                    .fetch_all(&self.pool)
                    .await?;
            if !crew.is_empty() && !actor.staff_id.is_some_and(|me| crew.contains(&me)) {
                return Err(StoreError::NotAssigned(number.to_string()));
            }
        }
        let status = Status::parse(&ticket.status)?;
        let read_station = ticket.station_id;
        let mut transition = status.decide(action, ticket.station_code.as_deref())?;
        if let serde_json::Value::Object(data) = &mut transition.data {
            for (k, v) in &extras.event_data {
                data.insert(k.clone(), v.clone());
            }
        }
        // The crew to put on the ticket, with names for the timeline.
        let mut crew: Option<Vec<CrewMember>> = None;
        // A merge: the primary as read (its version is checked in the
        // transaction) and the duplicates that move over with this ticket.
        let mut primary: Option<(TicketRow, Vec<String>)> = None;
        match action {
            Action::Dispatch { station_code } | Action::Redirect { station_code, .. } => {
                let station = self
                    .station_by_code(station_code)
                    .await?
                    .ok_or_else(|| DomainError::unknown("station_code", station_code.clone()))?;
                ticket.station_id = Some(station.id);
                ticket.station_code = Some(station.code);
                ticket.station_name = Some(station.name);
            }
            Action::Merge { into } => {
                let target = self
                    .ticket(into)
                    .await?
                    .ok_or_else(|| DomainError::unknown("into", into.clone()))?;
                if target.id == ticket.id {
                    return Err(DomainError::invalid(
                        "into",
                        "a ticket cannot be merged into itself",
                    )
                    .into());
                }
                if Status::parse(&target.status)?.is_terminal() {
                    return Err(DomainError::invalid(
                        "into",
                        format!("ticket {into} is {}", target.status),
                    )
                    .into());
                }
                ticket.merged_into = Some(into.clone());
                let carried = self
                    .duplicates_of(&ticket.number)
                    .await?
                    .into_iter()
                    .map(|d| d.number)
                    .collect();
                primary = Some((target, carried));
            }
            Action::Schedule { appointment_at } => {
                ticket.appointment_at = Some(appointment_at.millis())
            }
            // The callback covers the callers of merged duplicates too: say whom.
            Action::Callback { .. } | Action::CallbackNotReached { .. } => {
                let duplicates = self.duplicates_of(&ticket.number).await?;
                if let (false, serde_json::Value::Object(data)) =
                    (duplicates.is_empty(), &mut transition.data)
                {
                    let callers: Vec<serde_json::Value> = duplicates
                        .iter()
                        .map(|d| json!({ "number": d.number, "caller_phone": d.caller_phone }))
                        .collect();
                    data.insert("duplicates".into(), callers.into());
                }
            }
            Action::Assign { staff_ids } => {
                let members = self.crew_of_station(&ticket, staff_ids).await?;
                if let serde_json::Value::Object(data) = &mut transition.data {
                    data.insert("staff".into(), json!(members));
                }
                crew = Some(members);
            }
            Action::MeasureTemperature { visit } => {
                action.fits_kind(&ticket.kind)?;
                ticket.room_temp_c = Some(visit.average_c);
                ticket.refund_percent = Some(i64::from(visit.refund_percent));
            }
            _ => {}
        }
        let read_version = ticket.version;
        ticket.status = transition.to.code().to_string();
        ticket.updated_at = at.millis();
        ticket.version += 1;

        let mut tx = self.writer.begin().await?;
        let updated = sqlx::query(
            "UPDATE tickets SET status = $1, station_id = $2, merged_into = $3, appointment_at = $4, \
             updated_at = $5, version = $6, room_temp_c = $9, refund_percent = $10 WHERE id = $7 AND version = $8",
        )
        .bind(ticket.status.clone())
        .bind(ticket.station_id)
        .bind(ticket.merged_into.clone())
        .bind(ticket.appointment_at)
        .bind(at.millis())
        .bind(ticket.version)
        .bind(ticket.id)
        .bind(read_version)
        .bind(ticket.room_temp_c)
        .bind(ticket.refund_percent)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("ticket {number}")));
        }
        let event = NewEvent {
            seq: ticket.version,
            kind: transition.event,
            status_after: transition.to,
            data: transition.data,
        };
        insert_event(&mut tx, ticket.id, at, &actor.name, &event).await?;
        // A new station brings its own crew; an assignment replaces the crew.
        if event.kind == EventKind::Redirected || crew.is_some() {
            sqlx::query("DELETE FROM ticket_assignments WHERE ticket_id = $1")
                .bind(ticket.id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some((target, carried)) = &primary {
            merge_into_primary(&mut tx, &ticket, target, carried, actor, at).await?;
        }
        for member in crew.iter().flatten() {
            sqlx::query(
                "INSERT INTO ticket_assignments (ticket_id, staff_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(ticket.id)
            .bind(member.id)
            .bind(actor.name.clone())
            .bind(at.millis())
            .execute(&mut *tx)
            .await?;
        }
        for a in &extras.attachments {
            crate::attachments::insert(&mut tx, ticket.id, event.seq, a, &actor.name, at).await?;
        }
        clocks::after_event(&mut tx, &self.rules, &ticket, event.kind, event.seq, at).await?;
        tx.commit().await?;
        self.publish(
            &ticket,
            read_station.filter(|s| Some(*s) != ticket.station_id),
        );
        if let Some((target, _)) = &primary {
            self.publish_ticket(target);
        }
        Ok(ticket)
    }

    /// The named staff, checked to be of the ticket's station.
    async fn crew_of_station(&self, ticket: &TicketRow, ids: &[i64]) -> Result<Vec<CrewMember>> {
        if ids.is_empty() {
            return Err(DomainError::required("staff_ids").into());
        }
        let mut sql = Sql::new("SELECT id, name, position, station_id FROM staff WHERE id IN (");
        for (i, id) in ids.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " }).bind_int(*id);
        }
        sql.push(")");
        let found: Vec<(i64, String, String, Option<i64>)> =
            sql.query_as().fetch_all(&self.pool).await?;
        let mut crew = Vec::with_capacity(ids.len());
        for id in ids {
            match found.iter().find(|f| f.0 == *id) {
                None => return Err(StoreError::not_found("staff", id.to_string())),
                Some((_, _, _, station)) if station.is_none() || *station != ticket.station_id => {
                    return Err(DomainError::invalid(
                        "staff_ids",
                        format!("staff {id} is not a member of the ticket's station"),
                    )
                    .into());
                }
                // The crew is who does the field work (and who gets its SMS).
                Some((_, _, position, _)) if position != domain::Position::Repairer.code() => {
                    return Err(DomainError::invalid(
                        "staff_ids",
                        format!("staff {id} is not a repairer"),
                    )
                    .into());
                }
                Some((id, name, position, _)) => crew.push(CrewMember {
                    id: *id,
                    name: name.clone(),
                    position: position.clone(),
                }),
            }
        }
        Ok(crew)
    }

    /// How many duplicates are merged into each of these ticket numbers.
    pub async fn duplicate_counts(
        &self,
        numbers: &[String],
    ) -> Result<std::collections::HashMap<String, i64>> {
        if numbers.is_empty() {
            return Ok(Default::default());
        }
        let mut counts = std::collections::HashMap::new();
        // In chunks, as an export asks for tens of thousands.
        for chunk in numbers.chunks(500) {
            let mut sql =
                Sql::new("SELECT merged_into, COUNT(*) FROM tickets WHERE merged_into IN (");
            for (i, n) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " })
                    .bind_text(n.clone());
            }
            sql.push(") GROUP BY merged_into");
            let rows: Vec<(String, i64)> = sql.query_as().fetch_all(&self.pool).await?;
            counts.extend(rows);
        }
        Ok(counts)
    }

    /// Tickets merged into `number` (its duplicates), oldest first.
    pub async fn duplicates_of(&self, number: &str) -> Result<Vec<TicketRow>> {
        let mut rows: Vec<TicketRow> =
            sqlx::query_as(AssertSqlSafe(format!("{SELECT} WHERE t.merged_into = $1")))
                .bind(number.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.sort_by_key(|t| t.id);
        Ok(rows)
    }

    pub async fn ticket_by_id(&self, id: i64) -> Result<Option<TicketRow>> {
        Ok(
            sqlx::query_as(AssertSqlSafe(format!("{SELECT} WHERE t.id = $1")))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn ticket(&self, number: &str) -> Result<Option<TicketRow>> {
        Ok(
            sqlx::query_as(AssertSqlSafe(format!("{SELECT} WHERE t.number = $1")))
                .bind(number.to_string())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn ticket_events(&self, ticket_id: i64) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            // No ORDER BY: with it SQLite re-prepares the statement at every bind (see lib.rs).
            "SELECT seq, kind, at, actor, status_after, data FROM ticket_events WHERE ticket_id = $1",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        let mut events = rows
            .into_iter()
            .map(|r| {
                let data: String = r.try_get("data")?;
                Ok(EventRow {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    status_after: r.try_get("status_after")?,
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        events.sort_by_key(|e| e.seq);
        Ok(events)
    }

    /// Newest first, keyset-paginated by id.
    pub async fn list_tickets(&self, f: &TicketFilter) -> Result<Vec<TicketRow>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE 1 = 1");
        push_common_filters(
            &mut sql,
            &f.statuses,
            f.kind.as_deref(),
            f.priority.as_deref(),
            f.station_id,
            f.station_scope,
        );
        if let Some(from) = f.from {
            sql.push(" AND t.created_at >= ").bind_int(from.millis());
        }
        if let Some(to) = f.to {
            sql.push(" AND t.created_at < ").bind_int(to.millis());
        }
        if let Some(before) = f.before_id {
            sql.push(" AND t.id < ").bind_int(before);
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            push_search(&mut sql, q);
        }
        // The limit is inlined (a clamped integer): a bound LIMIT makes SQLite re-prepare at every bind.
        sql.push(&format!(
            " ORDER BY t.id DESC LIMIT {}",
            f.limit.clamp(1, 500)
        ));
        Ok(sql.query_as().fetch_all(&self.pool).await?)
    }

    pub(crate) fn publish_ticket(&self, ticket: &TicketRow) {
        self.publish(ticket, None);
    }

    /// Tells live pages a ticket changed; `left_station` is the station it
    /// was redirected away from, whose pages must drop it.
    fn publish(&self, ticket: &TicketRow, left_station: Option<i64>) {
        self.feed.publish(crate::Change::Ticket {
            number: ticket.number.clone(),
            status: ticket.status.clone(),
            station_id: ticket.station_id,
            left_station_id: left_station,
        });
    }
}

/// The primary's side of a merge, in the merge's transaction: a
/// `duplicate_merged` event on it (its version checked, so a callback being
/// recorded at the same moment is decided again and sees the new caller),
/// and the duplicates of the merged ticket moved over to it.
async fn merge_into_primary(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    duplicate: &TicketRow,
    primary: &TicketRow,
    carried: &[String],
    actor: &Actor,
    at: Timestamp,
) -> Result<()> {
    let seq = primary.version + 1;
    let updated = sqlx::query(
        "UPDATE tickets SET version = $1, updated_at = $2 WHERE id = $3 AND version = $4",
    )
    .bind(seq)
    .bind(at.millis())
    .bind(primary.id)
    .bind(primary.version)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!("ticket {}", primary.number)));
    }
    if !carried.is_empty() {
        sqlx::query("UPDATE tickets SET merged_into = $1 WHERE merged_into = $2")
            .bind(primary.number.clone())
            .bind(duplicate.number.clone())
            .execute(&mut **tx)
            .await?;
    }
    let event = NewEvent {
        seq,
        kind: EventKind::DuplicateMerged,
        status_after: Status::parse(&primary.status)?,
        data: json!({
            "number": duplicate.number,
            "caller_name": duplicate.caller_name,
            "caller_phone": duplicate.caller_phone,
            "with": carried,
        }),
    };
    insert_event(tx, primary.id, at, &actor.name, &event).await
}

/// A person put on a ticket, as the `assigned` event records them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CrewMember {
    pub id: i64,
    pub name: String,
    pub position: String,
}

/// An event about to be appended to a ticket's timeline.
pub(crate) struct NewEvent {
    pub seq: i64,
    pub kind: EventKind,
    pub status_after: Status,
    pub data: serde_json::Value,
}

pub(crate) async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ticket_id: i64,
    at: Timestamp,
    actor: &str,
    event: &NewEvent,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, seq, kind, at, actor, status_after, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ticket_id)
    .bind(event.seq)
    .bind(event.kind.code())
    .bind(at.millis())
    .bind(actor.to_string())
    .bind(event.status_after.code())
    .bind(event.data.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The filters the API's ticket list and the console's queues share.
pub(crate) fn push_common_filters(
    sql: &mut Sql,
    statuses: &[Status],
    kind: Option<&str>,
    priority: Option<&str>,
    station_id: Option<i64>,
    station_scope: Option<i64>,
) {
    if !statuses.is_empty() {
        sql.push(" AND t.status IN (");
        for (i, s) in statuses.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " }).bind_text(s.code());
        }
        sql.push(")");
    }
    if let Some(kind) = kind {
        sql.push(" AND t.kind = ").bind_text(kind);
    }
    if let Some(priority) = priority {
        sql.push(" AND t.priority = ").bind_text(priority);
    }
    if let Some(station) = station_id {
        sql.push(" AND t.station_id = ").bind_int(station);
    }
    if let Some(scope) = station_scope {
        sql.push(" AND t.station_id = ").bind_int(scope);
        sql.push(" AND t.status <> ")
            .bind_text(Status::Registered.code());
    }
}

/// The free search box: a ticket number, a phone or account number, or words.
pub(crate) fn push_search(sql: &mut Sql, q: &str) {
    let compact: String = q.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let all_digits = !compact.is_empty() && compact.chars().all(|c| c.is_ascii_digit());
    if all_digits && q.contains('-') && compact.len() >= 12 && q.len() <= 16 && !q.starts_with('0')
    {
        // A ticket number as read from the screen: 20261204-0037.
        sql.push(" AND t.number = ").bind_text(q);
    } else if all_digits && compact.len() >= 5 {
        sql.push(" AND (t.caller_phone = ")
            .bind_text(compact.clone());
        sql.push(" OR t.account_no = ").bind_text(compact.clone());
        if compact.len() >= 8 {
            let (day, seq) = compact.split_at(8);
            sql.push(" OR t.number = ")
                .bind_text(format!("{day}-{seq}"));
        }
        sql.push(")");
    } else {
        let like = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        sql.push(" AND (t.address LIKE ")
            .bind_text(like.clone())
            .push(" ESCAPE '\\'");
        sql.push(" OR t.description LIKE ")
            .bind_text(like.clone())
            .push(" ESCAPE '\\'");
        sql.push(" OR t.caller_name LIKE ")
            .bind_text(like)
            .push(" ESCAPE '\\')");
    }
}
