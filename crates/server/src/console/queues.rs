//! Work queues: tickets by state (待派单, 处理中, 即将超时, 已超时, 待回访,
//! 预约), by station and kind, with search, order, keyset pages and an
//! `.xlsx` export of exactly the filtered rows.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::{DomainError, Kind, Priority, Status, Timestamp};
use rust_xlsxwriter::{Format, Workbook};
use serde::Deserialize;
use store::queues::{ClockQueue, QueueCounts, QueueFilter, QueueGroup};
use store::tickets::TicketRow;

use super::{Chrome, Ctx, PageError, encode, render, show_time};
use crate::i18n::Lang;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/queues", get(queue_page))
        .route("/queues/export.xlsx", get(export))
}

pub const QUEUES: [&str; 7] = [
    "registered",
    "in_progress",
    "warning",
    "late",
    "callback",
    "scheduled",
    "all",
];
const PAGE: i64 = 50;
/// The orders of a queue. Each is served by an index at a million tickets
/// (see `store::queues::QueueGroup`): `newest`/`oldest` by creation (ids grow
/// with the creation time), `priority` most urgent first and `status` in
/// workflow order, both oldest first within. The late queue keeps
/// newest/oldest: its filter is a scan, and a grouped order would repeat it.
pub const SORTS: [&str; 4] = ["newest", "oldest", "priority", "status"];
/// The most rows one export holds (a sheet takes a million; people read far fewer).
const EXPORT_MAX: usize = 50_000;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    pub queue: String,
    pub station: String,
    pub kind: String,
    pub priority: String,
    pub q: String,
    /// `newest` (default), `oldest`, `priority` (most urgent first) or
    /// `status` (by workflow step); see [`SORTS`].
    pub sort: String,
    pub cursor: String,
    /// `1`: only the table (for live refreshes).
    pub fragment: String,
}

impl QueueQuery {
    /// The query string of these filters, with `queue` and `cursor` replaced.
    pub fn link(&self, queue: &str, cursor: &str) -> String {
        self.link_sorted(queue, &self.sort, cursor)
    }

    /// The query string of these filters, with `queue`, `sort` and `cursor` replaced.
    pub fn link_sorted(&self, queue: &str, sort: &str, cursor: &str) -> String {
        let mut parts = vec![format!("queue={}", encode(queue))];
        for (k, v) in [
            ("station", &self.station),
            ("kind", &self.kind),
            ("priority", &self.priority),
            ("q", &self.q),
            ("sort", &sort.to_string()),
        ] {
            if !v.trim().is_empty() {
                parts.push(format!("{k}={}", encode(v.trim())));
            }
        }
        if !cursor.is_empty() {
            parts.push(format!("cursor={}", encode(cursor)));
        }
        parts.join("&")
    }
}

pub fn default_queue(ctx: &Ctx) -> &'static str {
    if ctx.user.scope().is_some() {
        "in_progress"
    } else {
        "registered"
    }
}

/// Turns the query into a store filter; a station user stays in their station.
pub async fn filter(
    state: &AppState,
    ctx: &Ctx,
    q: &QueueQuery,
    limit: i64,
) -> Result<QueueFilter, AppError> {
    let queue = if q.queue.is_empty() {
        default_queue(ctx)
    } else {
        QUEUES
            .iter()
            .copied()
            .find(|v| *v == q.queue)
            .ok_or_else(|| DomainError::unknown("queue", q.queue.clone()))?
    };
    let now = state.now();
    let sort = SORTS
        .iter()
        .copied()
        .find(|v| *v == sort_or_default(q, queue))
        .ok_or_else(|| DomainError::unknown("sort", q.sort.clone()))?;
    let group_by = match (sort, queue) {
        (_, "late" | "warning") => None,
        ("priority", _) => Some(QueueGroup::Priority),
        ("status", _) => Some(QueueGroup::Status),
        _ => None,
    };
    let mut f = QueueFilter {
        station_scope: ctx.user.scope(),
        limit,
        oldest_first: sort != "newest",
        group_by,
        ..Default::default()
    };
    match queue {
        "registered" => f.statuses = vec![Status::Registered],
        "in_progress" => {
            f.statuses = vec![
                Status::Dispatched,
                Status::Accepted,
                Status::Contacted,
                Status::OnSite,
            ]
        }
        "warning" => f.clocks = Some(ClockQueue { now, late: false }),
        "late" => f.clocks = Some(ClockQueue { now, late: true }),
        "callback" => f.statuses = vec![Status::Resolved],
        "scheduled" => f.statuses = vec![Status::Scheduled],
        _ => {}
    }
    if !q.station.trim().is_empty() {
        let station = state
            .db
            .station_by_code(&q.station)
            .await?
            .ok_or_else(|| DomainError::unknown("station", q.station.clone()))?;
        if ctx.user.scope().is_some_and(|s| s != station.id) {
            return Err(AppError::Forbidden);
        }
        f.station_id = Some(station.id);
    }
    if !q.kind.trim().is_empty() {
        f.kind = Some(Kind::parse(&q.kind)?.code().to_string());
    }
    if !q.priority.trim().is_empty() {
        f.priority = Some(Priority::parse(&q.priority)?.code().to_string());
    }
    let text = q.q.trim();
    if !text.is_empty() {
        f.q = Some(text.chars().take(100).collect());
    }
    if !q.cursor.trim().is_empty() {
        f.set_cursor(q.cursor.trim())
            .ok_or_else(|| DomainError::invalid("cursor", "not a cursor from a previous page"))?;
    }
    Ok(f)
}

pub struct Row {
    pub number: String,
    pub status: String,
    pub status_code: String,
    pub kind: String,
    pub category: String,
    pub priority: String,
    pub priority_code: String,
    pub caller: String,
    pub phone: String,
    pub address: String,
    pub station: String,
    pub created: String,
    pub due: String,
    pub due_level: String,
    /// The latest room-temperature visit: °C and refund percent.
    pub room_temp_c: Option<f64>,
    pub refund_percent: Option<i64>,
    /// Callers of duplicates merged into this ticket (to call back too).
    pub also_callers: i64,
}

/// Table rows with localized names and each ticket's clock.
pub async fn rows(
    state: &AppState,
    l: Lang,
    tickets: Vec<TicketRow>,
) -> Result<Vec<Row>, AppError> {
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let clocks = state.db.running_clocks(&ids).await?;
    let numbers: Vec<String> = tickets.iter().map(|t| t.number.clone()).collect();
    let duplicates = state.db.duplicate_counts(&numbers).await?;
    let now = state.now();
    let catalogue = &state.settings.catalogue;
    Ok(tickets
        .into_iter()
        .map(|t| {
            let (due_text, due_level) = super::clocks::badge(
                state,
                l,
                clocks.get(&t.id).map_or(&[][..], Vec::as_slice),
                now,
            );
            Row {
                status: l.status(&t.status),
                kind: l.kind(&t.kind),
                category: l.category(catalogue, &t.category),
                priority: l.priority(&t.priority),
                created: show_time(state, t.created_at),
                station: t.station_name.unwrap_or_default(),
                due: due_text,
                due_level,
                room_temp_c: t.room_temp_c,
                refund_percent: t.refund_percent,
                also_callers: duplicates.get(&t.number).copied().unwrap_or(0),
                number: t.number,
                status_code: t.status,
                priority_code: t.priority,
                caller: t.caller_name,
                phone: t.caller_phone,
                address: t.address,
            }
        })
        .collect())
}

/// The sort asked for, or the queue's own: callbacks are made in the order
/// the work was finished (oldest first), everything else newest first.
fn sort_or_default<'a>(q: &'a QueueQuery, queue: &str) -> &'a str {
    match q.sort.trim() {
        "" if queue == "callback" => "oldest",
        "" => "newest",
        sort => sort,
    }
}

/// The sortable column headers: the created column toggles newest/oldest;
/// priority and status order by group (not on the clock queues, see [`SORTS`]).
pub fn sort_headers(q: &QueueQuery, queue: &str) -> Vec<(&'static str, String, &'static str)> {
    let current = sort_or_default(q, queue);
    let mut out = Vec::new();
    if queue != "late" && queue != "warning" {
        for (column, sort) in [("status", "status"), ("priority", "priority")] {
            let aria = if current == sort { "ascending" } else { "none" };
            out.push((
                column,
                format!("/queues?{}", q.link_sorted(queue, sort, "")),
                aria,
            ));
        }
    }
    let (next, aria) = match current {
        "newest" => ("oldest", "descending"),
        "oldest" => ("newest", "ascending"),
        _ => ("newest", "none"),
    };
    out.push((
        "created",
        format!("/queues?{}", q.link_sorted(queue, next, "")),
        aria,
    ));
    out
}

pub struct Tab {
    pub id: &'static str,
    pub label: String,
    pub count: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    l: Lang,
    t: QueueTable,
    tabs: Vec<Tab>,
    q: QueueQuery,
    queue: String,
    stations: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    priorities: Vec<(String, String)>,
    export_href: String,
    scoped: bool,
}

#[derive(Template)]
#[template(path = "queue_table.html")]
pub struct QueueTable {
    pub l: Lang,
    pub rows: Vec<Row>,
    /// Column headers that order the queue: (column, href, `aria-sort` value).
    pub sorts: Vec<(&'static str, String, &'static str)>,
    pub live_href: String,
    pub next_href: String,
    pub first_href: String,
}

impl QueueTable {
    /// The sort link of a column header, when the column orders the queue.
    pub fn sort_of(&self, column: &str) -> Option<&(&'static str, String, &'static str)> {
        self.sorts.iter().find(|s| s.0 == column)
    }
}

async fn queue_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<QueueQuery>,
) -> Result<Response, PageError> {
    let l = ctx.l;
    let f = filter(&state, &ctx, &q, PAGE)
        .await
        .map_err(|e| ctx.err(e))?;
    let queue = if q.queue.is_empty() {
        default_queue(&ctx).to_string()
    } else {
        q.queue.clone()
    };
    let tickets = state.db.queue(&f).await.map_err(|e| ctx.err(e))?;
    let next = (tickets.len() as i64 == PAGE)
        .then(|| tickets.last().map(|t| f.cursor_after(t)))
        .flatten();
    let rows = rows(&state, l, tickets).await.map_err(|e| ctx.err(e))?;
    let table = QueueTable {
        l,
        rows,
        sorts: sort_headers(&q, &queue),
        live_href: format!("/queues?{}&fragment=1", q.link(&queue, &q.cursor)),
        next_href: next
            .map(|c| format!("/queues?{}", q.link(&queue, &c)))
            .unwrap_or_default(),
        first_href: if q.cursor.is_empty() {
            String::new()
        } else {
            format!("/queues?{}", q.link(&queue, ""))
        },
    };
    if q.fragment == "1" {
        return Ok(render(&table));
    }
    let counts = state
        .db
        .queue_counts(ctx.user.scope(), state.now())
        .await
        .map_err(|e| ctx.err(e))?;
    let count = |c: &QueueCounts, id: &str| -> String {
        match id {
            "registered" => c.registered.to_string(),
            "in_progress" => c.in_progress.to_string(),
            "warning" => c.warning.to_string(),
            "late" => c.late.to_string(),
            "callback" => c.callback.to_string(),
            "scheduled" => c.scheduled.to_string(),
            _ => String::new(),
        }
    };
    let scoped = ctx.user.scope().is_some();
    let tabs = QUEUES
        .iter()
        .filter(|id| !(scoped && **id == "registered"))
        .map(|id| Tab {
            id,
            label: l.code_name("queue", id),
            count: count(&counts, id),
            href: format!("/queues?{}", q.link(id, "")),
        })
        .collect();
    let stations = state
        .db
        .stations()
        .await
        .map_err(|e| ctx.err(e))?
        .into_iter()
        .filter(|s| ctx.user.scope().is_none_or(|scope| scope == s.id))
        .map(|s| (s.code, s.name))
        .collect();
    let page = QueuePage {
        c: ctx.chrome("queues", l.code_name("queue", &queue)),
        l,
        export_href: format!("/queues/export.xlsx?{}", q.link(&queue, "")),
        t: table,
        tabs,
        queue,
        stations,
        kinds: Kind::ALL
            .iter()
            .map(|k| (k.code().to_string(), l.kind(k.code())))
            .collect(),
        priorities: Priority::ALL
            .iter()
            .map(|p| (p.code().to_string(), l.priority(p.code())))
            .collect(),
        q,
        scoped,
    };
    Ok(render(&page))
}

/// The filtered queue (every page of it, in the same order) as a workbook.
async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(mut q): Query<QueueQuery>,
) -> Result<Response, PageError> {
    let l = ctx.l;
    q.cursor.clear();
    let mut f = filter(&state, &ctx, &q, 1000)
        .await
        .map_err(|e| ctx.err(e))?;
    let mut all = Vec::new();
    loop {
        let page = state.db.queue(&f).await.map_err(|e| ctx.err(e))?;
        let full = page.len() as i64 == f.limit;
        if let Some(last) = page.last() {
            f.advance(last);
        }
        all.extend(page);
        if !full || all.len() >= EXPORT_MAX {
            break;
        }
    }
    all.truncate(EXPORT_MAX);
    let rows = rows(&state, l, all).await.map_err(|e| ctx.err(e))?;
    let bytes = workbook(l, &rows).map_err(|e| ctx.err(AppError::Internal(e.into())))?;
    let queue = if q.queue.is_empty() {
        default_queue(&ctx).to_string()
    } else {
        q.queue.clone()
    };
    let name = format!(
        "heatdesk-{queue}-{}.xlsx",
        Timestamp::day_key(state.now(), state.settings.tz)
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub const EXPORT_COLUMNS: [&str; 14] = [
    "col.number",
    "col.status",
    "col.kind",
    "col.category",
    "col.priority",
    "col.caller",
    "col.phone",
    "col.address",
    "col.station",
    "col.created",
    "col.due",
    "col.due_level",
    "col.room_temp",
    "col.refund",
];

fn workbook(l: Lang, rows: &[Row]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(l.t("export.sheet"))?;
    let bold = Format::new().set_bold();
    for (col, key) in EXPORT_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, l.t(key), &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let level = if r.due.is_empty() {
            String::new()
        } else {
            l.code_name("level", &r.due_level)
        };
        for (col, value) in [
            &r.number,
            &r.status,
            &r.kind,
            &r.category,
            &r.priority,
            &r.caller,
            &r.phone,
            &r.address,
            &r.station,
            &r.created,
            &r.due,
            &level,
        ]
        .into_iter()
        .enumerate()
        {
            sheet.write_string(row, col as u16, value.as_str())?;
        }
        // Temperature visits: numbers, so the sheet can sum and filter them.
        if let Some(c) = r.room_temp_c {
            sheet.write_number(row, 12, c)?;
        }
        if let Some(p) = r.refund_percent {
            sheet.write_number(row, 13, p as f64)?;
        }
    }
    for (col, width) in [16, 10, 10, 14, 8, 10, 14, 36, 14, 20, 28, 10, 10, 10]
        .into_iter()
        .enumerate()
    {
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
