//! The ticket page: every field, the timeline to the second with who did
//! what, the actions the state machine and the user's role allow (with
//! single-key shortcuts), and notes.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::error::required_text;
use domain::temperature::{Reading, Visit, VisitInput};
use domain::ticket::MAX_NOTE;
use domain::{Action, DomainError, Role, Satisfaction, Status, Timestamp};
use serde::Deserialize;
use store::tickets::TicketRow;

use super::clocks::{self, ClockView};
use super::{Chrome, Ctx, PageError, render, safe_back, show_time};
use crate::i18n::Lang;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tickets/{number}", get(ticket_page))
        .route("/tickets/{number}/actions", post(act))
        .route("/tickets/{number}/notes", post(add_note))
}

/// The actions a ticket page can offer, with their shortcut keys and inputs.
pub const ACTIONS: [(&str, char, &[&str]); 18] = [
    ("dispatch", 'd', &["station_code"]),
    ("accept", 'a', &[]),
    ("redirect", 'z', &["station_code", "reason"]),
    ("assign", 'p', &["staff_ids"]),
    ("measure_temperature", 't', &["readings"]),
    ("contact", 'c', &["note"]),
    ("arrive", 'v', &[]),
    ("schedule", 's', &["appointment_at"]),
    ("resolve", 'r', &["note", "measured_temp_c"]),
    ("callback_ok", 'k', &["note"]),
    ("callback_basic", 'b', &["note"]),
    ("callback_no", 'u', &["note"]),
    ("callback_missed", 'h', &["note"]),
    ("answer", 'w', &["note"]),
    ("cancel", 'x', &["reason"]),
    ("reopen", 'o', &["reason"]),
    ("merge", 'm', &["into"]),
    ("close", 'l', &["reason"]),
];

/// The customer's answer each callback button records.
fn satisfaction(name: &str) -> Satisfaction {
    match name {
        "callback_ok" => Satisfaction::Satisfied,
        "callback_basic" => Satisfaction::BasicallySatisfied,
        _ => Satisfaction::Unsatisfied,
    }
}

/// A stand-in action of each kind, to ask the state machine and the role
/// whether it could happen now (inputs are checked when it really happens).
fn sample(name: &str) -> Option<Action> {
    Some(match name {
        // A code no station has, so a redirect is never "to the same station".
        "dispatch" => Action::Dispatch {
            station_code: "\u{1}".into(),
        },
        "accept" => Action::Accept,
        "redirect" => Action::Redirect {
            station_code: "\u{1}".into(),
            reason: String::new(),
        },
        "assign" => Action::Assign {
            staff_ids: Vec::new(),
        },
        "measure_temperature" => Action::MeasureTemperature {
            visit: Visit::default(),
        },
        "contact" => Action::Contact {
            note: String::new(),
        },
        "arrive" => Action::Arrive,
        "schedule" => Action::Schedule {
            appointment_at: Timestamp(0),
        },
        "resolve" => Action::Resolve {
            note: String::new(),
            measured_temp_c: None,
        },
        "callback_ok" | "callback_basic" | "callback_no" => Action::Callback {
            satisfaction: satisfaction(name),
            note: String::new(),
        },
        "callback_missed" => Action::CallbackNotReached {
            note: String::new(),
        },
        "close" => Action::Close {
            reason: String::new(),
        },
        "answer" => Action::Answer {
            note: String::new(),
        },
        "cancel" => Action::Cancel {
            reason: String::new(),
        },
        "reopen" => Action::Reopen {
            reason: String::new(),
        },
        "merge" => Action::Merge {
            into: String::new(),
        },
        _ => return None,
    })
}

/// The actions `role` may take on a ticket of `kind` in `status` now.
pub fn allowed_actions(
    status: Status,
    kind: &str,
    station: Option<&str>,
    role: Role,
) -> Vec<&'static str> {
    ACTIONS
        .iter()
        .filter(|(name, _, _)| {
            sample(name).is_some_and(|a| {
                role.may_act(&a) && a.fits_kind(kind).is_ok() && status.decide(&a, station).is_ok()
            })
        })
        .map(|(name, _, _)| *name)
        .collect()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    pub action: String,
    pub station_code: String,
    pub note: String,
    pub appointment_at: String,
    pub measured_temp_c: String,
    pub reason: String,
    pub into: String,
    /// assign: the staff ticked (a repeated field).
    pub staff_ids: Vec<String>,
    /// measure_temperature: one entry per reading row (repeated fields).
    pub room: Vec<String>,
    pub celsius: Vec<String>,
    pub reading_at: Vec<String>,
    pub protocol_followed: String,
    pub measured_by: String,
    pub co_signed_by: String,
    /// Where to go afterwards (the station view posts here too).
    pub back: String,
}

impl ActionForm {
    /// Fields that repeat in the form (checkboxes, reading rows).
    pub const LISTS: [&str; 4] = ["staff_ids", "room", "celsius", "reading_at"];

    /// The posted pairs, with the repeated fields collected.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> ActionForm {
        super::form_with_lists(pairs, &Self::LISTS)
    }
}

pub struct ActionView {
    pub name: &'static str,
    pub key: char,
    pub label: String,
    pub fields: &'static [&'static str],
    pub open: bool,
}

impl ActionView {
    pub fn has(&self, field: &str) -> bool {
        self.fields.contains(&field)
    }
}

pub struct TimelineItem {
    pub at: String,
    pub actor: String,
    pub label: String,
    pub detail: String,
    pub note: bool,
}

pub struct TicketView {
    pub t: TicketRow,
    pub status: String,
    pub kind: String,
    pub category: String,
    pub priority: String,
    pub difficulty: String,
    pub channel: String,
    pub created: String,
    pub updated: String,
    pub appointment: String,
    pub due: String,
    pub due_level: String,
    /// Running clocks first (newest first), then the record of stopped ones.
    pub clocks: Vec<ClockView>,
    pub messages: Vec<super::messages::MessageView>,
    pub assignee: String,
    /// Staff ids on the ticket, to tick in the assign form.
    pub crew_ids: Vec<i64>,
    /// The station's staff (id, name · position), for the assign form.
    pub staff: Vec<(i64, String)>,
    /// Tickets merged into this one: (number, caller, phone).
    pub duplicates: Vec<(String, String, String)>,
    /// For a merged ticket: the primary's number and status.
    pub primary: Option<(String, String)>,
    /// The latest room-temperature visit's verdict, in words.
    pub temperature: Option<String>,
    pub timeline: Vec<TimelineItem>,
    pub actions: Vec<ActionView>,
    pub stations: Vec<(String, String)>,
    pub form: ActionForm,
    pub errors: HashMap<String, String>,
    pub error: Option<String>,
    pub note_text: String,
    pub note_error: String,
    /// Photos and the customer's signature sent from the field.
    pub attachments: Vec<super::field::Attached>,
}

impl TicketView {
    pub fn err(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
    /// The error of any item of a list field (`readings[2].celsius`).
    pub fn err_under(&self, list: &str) -> &str {
        super::error_under(&self.errors, list)
    }
    /// Row `i` of a repeated field, kept after an error.
    pub fn list_val(&self, field: &str, i: &usize) -> &str {
        let list = match field {
            "room" => &self.form.room,
            "celsius" => &self.form.celsius,
            "reading_at" => &self.form.reading_at,
            _ => return "",
        };
        super::row_of(list, *i)
    }
    /// The value typed into `field` of the open action's form (kept after an error).
    pub fn val(&self, action: &str, field: &str) -> &str {
        if self.form.action != action {
            return "";
        }
        match field {
            "station_code" => &self.form.station_code,
            "note" => &self.form.note,
            "appointment_at" => &self.form.appointment_at,
            "measured_temp_c" => &self.form.measured_temp_c,
            "reason" => &self.form.reason,
            "into" => &self.form.into,
            _ => "",
        }
    }
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    c: Chrome,
    l: Lang,
    v: TicketView,
}

#[derive(Template)]
#[template(path = "ticket_live.html")]
struct TicketLive {
    l: Lang,
    v: TicketView,
}

async fn load(state: &AppState, ctx: &Ctx, number: &str) -> Result<TicketRow, PageError> {
    state
        .db
        .ticket(number)
        .await
        .map_err(|e| ctx.err(e))?
        .filter(|t| t.visible_to(ctx.user.scope()))
        .ok_or_else(|| {
            ctx.err(AppError::NotFound {
                what: "ticket",
                key: number.to_string(),
            })
        })
}

#[allow(clippy::too_many_arguments)]
async fn view(
    state: &AppState,
    ctx: &Ctx,
    t: TicketRow,
    form: ActionForm,
    errors: HashMap<String, String>,
    error: Option<String>,
    note_text: String,
    note_error: String,
) -> Result<TicketView, AppError> {
    let l = ctx.l;
    let catalogue = &state.settings.catalogue;
    let events = state.db.ticket_events(t.id).await?;
    let temperature = temperature_verdict(l, &events);
    let notes = state.db.ticket_notes(t.id).await?;
    let assignments = state.db.assignments(&[t.id]).await?;
    let status = Status::parse(&t.status)?;
    let now = state.now();
    let all_clocks = state.db.ticket_clocks(t.id).await?;
    let running: Vec<_> = all_clocks
        .iter()
        .filter(|c| c.state == "running")
        .cloned()
        .collect();
    let (due, due_level) = clocks::badge(state, l, &running, now);
    let clock_views = all_clocks
        .iter()
        .rev()
        .map(|c| clocks::view(state, l, c, now))
        .collect();
    // Who was told what (names and phones up to the chairman's) is for the
    // hotline and managers, as the message log is; not for station users.
    let messages = if ctx.user.role.has(domain::Permission::SeeAllStations) {
        state
            .db
            .messages(&store::outbox::MessageFilter {
                ticket_id: Some(t.id),
                limit: 200,
                ..Default::default()
            })
            .await?
            .into_iter()
            .map(|m| super::messages::view(state, l, m))
            .collect()
    } else {
        Vec::new()
    };
    let mut timeline: Vec<(i64, i64, TimelineItem)> = events
        .into_iter()
        .map(|e| {
            let detail = event_detail(state, l, &e.data);
            (
                e.at,
                e.seq,
                TimelineItem {
                    at: show_time(state, e.at),
                    actor: e.actor,
                    label: l.event(&e.kind),
                    detail,
                    note: false,
                },
            )
        })
        .collect();
    timeline.extend(notes.into_iter().map(|n| {
        (
            n.at,
            i64::MAX,
            TimelineItem {
                at: show_time(state, n.at),
                actor: n.actor,
                label: l.t("ticket.note").to_string(),
                detail: n.text,
                note: true,
            },
        )
    }));
    timeline.sort_by_key(|(at, seq, _)| (*at, *seq));
    let attachments = state
        .db
        .attachments(t.id)
        .await?
        .into_iter()
        .map(|a| super::field::Attached {
            id: a.id,
            label: format!(
                "{} · {} · {}",
                l.code_name("attachment", &a.kind),
                a.created_by,
                show_time(state, a.created_at)
            ),
            kind: a.kind,
        })
        .collect();
    let open = form.action.clone();
    let actions: Vec<ActionView> =
        allowed_actions(status, &t.kind, t.station_code.as_deref(), ctx.user.role)
            .into_iter()
            .filter_map(|name| ACTIONS.iter().find(|(n, _, _)| *n == name))
            .map(|(name, key, fields)| ActionView {
                name,
                key: *key,
                label: l.code_name("action", name),
                fields,
                open: open == *name,
            })
            .collect();
    // Who can be put on the ticket: its station's staff.
    let staff = match t.station_id {
        Some(station) if actions.iter().any(|a: &ActionView| a.name == "assign") => state
            .db
            .station_staff(station)
            .await?
            .into_iter()
            .filter(|p| p.position == domain::Position::Repairer.code())
            .map(|p| (p.id, format!("{} {}", p.name, p.phone)))
            .collect(),
        _ => Vec::new(),
    };
    // Callers of the tickets merged into this one, to call back too.
    // Only what the user may see: a station user, its station's tickets.
    let scope = ctx.user.scope();
    let duplicates = state
        .db
        .duplicates_of(&t.number)
        .await?
        .into_iter()
        .filter(|d| d.visible_to(scope))
        .map(|d| (d.number, d.caller_name, d.caller_phone))
        .collect();
    let primary = match &t.merged_into {
        Some(number) => state
            .db
            .ticket(number)
            .await?
            .filter(|p| p.visible_to(scope))
            .map(|p| (p.number, l.status(&p.status))),
        None => None,
    };
    let stations = if ctx.user.role.has(domain::Permission::SeeAllStations)
        || ctx.user.role == Role::Station
    {
        state
            .db
            .stations()
            .await?
            .into_iter()
            .filter(|s| Some(&s.code) != t.station_code.as_ref())
            .map(|s| (s.code, s.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(TicketView {
        status: l.status(&t.status),
        kind: l.kind(&t.kind),
        category: l.category(catalogue, &t.category),
        priority: l.priority(&t.priority),
        difficulty: l.difficulty(&t.difficulty),
        channel: l.code_name("channel", &t.channel),
        created: show_time(state, t.created_at),
        updated: show_time(state, t.updated_at),
        appointment: t
            .appointment_at
            .map(|ms| show_time(state, ms))
            .unwrap_or_default(),
        due,
        due_level,
        clocks: clock_views,
        messages,
        assignee: assignments
            .get(&t.id)
            .map(|crew| {
                crew.iter()
                    .map(|a| format!("{} {}", a.staff_name, a.staff_phone))
                    .collect::<Vec<_>>()
                    .join(l.t("list.sep"))
            })
            .unwrap_or_default(),
        crew_ids: assignments
            .get(&t.id)
            .map(|crew| crew.iter().map(|a| a.staff_id).collect())
            .unwrap_or_default(),
        staff,
        duplicates,
        primary,
        temperature,
        timeline: timeline.into_iter().map(|(_, _, item)| item).collect(),
        actions,
        stations,
        form,
        errors,
        error,
        note_text,
        note_error,
        attachments,
        t,
    })
}

/// One line of an event's details: note, reason, station, appointment …
fn event_detail(state: &AppState, l: Lang, data: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    let text = |key: &str| {
        data.get(key)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    if let Some(code) = text("station_code") {
        parts.push(format!("{}: {code}", l.field("station_code")));
    }
    if let Some(from) = text("from") {
        parts.push(format!("{}: {from}", l.t("ticket.from")));
    }
    if let Some(ms) = data.get("appointment_at").and_then(|v| v.as_i64()) {
        parts.push(format!(
            "{}: {}",
            l.field("appointment_at"),
            show_time(state, ms)
        ));
    }
    if let Some(ms) = data.get("appointment_until").and_then(|v| v.as_i64()) {
        parts.push(format!("{}: {}", l.field("until"), show_time(state, ms)));
    }
    if let Some(list) = data.get("parts").and_then(|v| v.as_array()) {
        let names: Vec<&str> = list.iter().filter_map(|p| p.as_str()).collect();
        parts.push(format!("{}: {}", l.field("parts"), names.join(", ")));
    }
    if let Some(t) = data.get("measured_temp_c").and_then(|v| v.as_f64()) {
        parts.push(format!("{}: {t:.1} °C", l.field("measured_temp_c")));
    }
    if let Some(crew) = data.get("staff").and_then(|v| v.as_array()) {
        let names: Vec<&str> = crew
            .iter()
            .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
            .collect();
        parts.push(format!(
            "{}: {}",
            l.t("ticket.assignee"),
            names.join(l.t("list.sep"))
        ));
    }
    if let Some(readings) = data.get("readings").and_then(|v| v.as_array()) {
        for r in readings {
            let room = r.get("room").and_then(|v| v.as_str()).unwrap_or_default();
            let c = r
                .get("celsius")
                .and_then(|v| v.as_f64())
                .unwrap_or_default();
            let at = r
                .get("at")
                .and_then(|v| v.as_i64())
                .map(|ms| show_time(state, ms));
            parts.push(format!("{room} {c:.1} °C ({})", at.unwrap_or_default()));
        }
        if let Some(avg) = data.get("average_c").and_then(|v| v.as_f64()) {
            let refund = data
                .get("refund_percent")
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            parts.push(format!(
                "{} {avg:.1} °C · {} {refund} %",
                l.t("temperature.average"),
                l.t("temperature.refund")
            ));
        }
        for (key, label) in [
            ("measured_by", "temperature.measured_by"),
            ("co_signed_by", "temperature.co_signed_by"),
        ] {
            if let Some(who) = text(key) {
                parts.push(format!("{}: {who}", l.t(label)));
            }
        }
    }
    // A callback that covered the callers of duplicates; a duplicate merged in.
    if let Some(dups) = data.get("duplicates").and_then(|v| v.as_array()) {
        let callers: Vec<String> = dups
            .iter()
            .map(|d| {
                let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or_default();
                format!("{} {}", s("number"), s("caller_phone"))
            })
            .collect();
        parts.push(format!(
            "{}: {}",
            l.t("ticket.also_called"),
            callers.join(l.t("list.sep"))
        ));
    }
    if let (Some(number), Some(phone)) = (text("number"), text("caller_phone")) {
        parts.push(format!(
            "{number} · {} {phone}",
            text("caller_name").unwrap_or_default()
        ));
    }
    if let Some(into) = text("into") {
        parts.push(format!("{}: {into}", l.field("into")));
    }
    if let Some(answer) = text("satisfaction") {
        parts.push(l.code_name("satisfaction", answer));
    }
    // Clock events: which step, how far up the ladder, how late.
    if let Some(step) = text("step") {
        parts.push(l.code_name("clock", step));
    }
    if let Some(level) = data.get("level").and_then(|v| v.as_i64()) {
        parts.push(l.t("clock.escalated").replace("{}", &level.to_string()));
    }
    if let Some(ms) = data.get("late_ms").and_then(|v| v.as_i64()) {
        parts.push(l.t("clock.late_by").replace("{}", &clocks::span(l, ms)));
    }
    for key in ["note", "reason"] {
        if let Some(s) = text(key) {
            parts.push(s.to_string());
        }
    }
    parts.join(" · ")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    fragment: String,
    /// An action whose form opens at once (the station board links here).
    open: String,
    /// Where that form goes back to afterwards.
    back: String,
}

async fn ticket_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let t = load(&state, &ctx, &number).await?;
    let v = view(
        &state,
        &ctx,
        t,
        ActionForm {
            action: ACTIONS
                .iter()
                .find(|(name, _, _)| *name == q.open)
                .map(|(name, _, _)| name.to_string())
                .unwrap_or_default(),
            back: safe_back(
                Some(&q.back).filter(|b| !b.is_empty()).map(|b| b.as_str()),
                "",
            ),
            ..ActionForm::default()
        },
        HashMap::new(),
        None,
        String::new(),
        String::new(),
    )
    .await
    .map_err(|e| ctx.err(e))?;
    if q.fragment == "1" {
        return Ok(render(&TicketLive { l: ctx.l, v }));
    }
    Ok(render(&TicketPage {
        c: ctx.chrome("queues", format!("{} {}", ctx.l.t("ticket.title"), number)),
        l: ctx.l,
        v,
    }))
}

/// The latest room-temperature visit in words, as it was judged then:
/// "16.1 °C · 不达标 (标准 18.0 °C) · 退费 30 %".
pub fn temperature_verdict(l: Lang, events: &[store::tickets::EventRow]) -> Option<String> {
    let visit = events
        .iter()
        .rev()
        .find(|e| e.kind == domain::EventKind::TemperatureMeasured.code())?;
    let visit: Visit = serde_json::from_value(visit.data.clone()).ok()?;
    let verdict = if visit.meets_standard {
        l.t("temperature.meets")
    } else {
        l.t("temperature.below")
    };
    Some(format!(
        "{:.1} °C · {verdict} ({} {:.1} °C) · {} {} %",
        visit.average_c,
        l.t("temperature.standard"),
        visit.standard_c,
        l.t("temperature.refund"),
        visit.refund_percent,
    ))
}

/// The reading rows of a measurement form (rows left empty are skipped).
pub fn parse_visit(state: &AppState, f: &ActionForm, me: &str) -> Result<Visit, DomainError> {
    let now = state.now();
    let mut readings = Vec::new();
    // The form row of each reading kept (empty rows are skipped), so that an
    // error names the row the user sees.
    let mut rows = Vec::new();
    for (i, room) in f.room.iter().enumerate() {
        let celsius = f.celsius.get(i).map_or("", |c| c.trim());
        if room.trim().is_empty() && celsius.is_empty() {
            continue;
        }
        let celsius: f64 = celsius
            .replace(',', ".")
            .parse()
            .map_err(|_| DomainError::invalid(&format!("readings[{i}].celsius"), "not a number"))?;
        let at = match f.reading_at.get(i).map_or("", |t| t.trim()) {
            "" => now,
            text => Timestamp::parse(&format!("readings[{i}].at"), text, state.settings.tz)?,
        };
        readings.push(Reading {
            room: room.clone(),
            celsius,
            at: at.millis(),
        });
        rows.push(i);
    }
    let measured_by = if f.measured_by.trim().is_empty() {
        me.to_string()
    } else {
        f.measured_by.clone()
    };
    Visit::assess(
        VisitInput {
            readings,
            protocol_followed: !f.protocol_followed.is_empty(),
            measured_by,
            co_signed_by: f.co_signed_by.clone(),
        },
        &state.settings.temperature,
        now,
    )
    .map_err(|e| e.renamed(|field| form_row(field, &rows)))
}

/// `readings[1].celsius` of the readings kept → the same of the form's rows.
fn form_row(field: &str, rows: &[usize]) -> String {
    let renumbered = field
        .strip_prefix("readings[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(n, rest)| Some((rows.get(n.parse::<usize>().ok()?)?, rest)));
    match renumbered {
        Some((row, rest)) => format!("readings[{row}]{rest}"),
        None => field.to_string(),
    }
}

fn parse_action(state: &AppState, f: &ActionForm, me: &str) -> Result<Action, DomainError> {
    let required = |v: &str, field: &str| -> Result<String, DomainError> {
        if v.trim().is_empty() {
            Err(DomainError::required(field))
        } else {
            Ok(v.to_string())
        }
    };
    Ok(match f.action.as_str() {
        "dispatch" => Action::Dispatch {
            station_code: required(&f.station_code, "station_code")?,
        },
        "accept" => Action::Accept,
        "redirect" => Action::Redirect {
            station_code: required(&f.station_code, "station_code")?,
            reason: required(&f.reason, "reason")?,
        },
        "assign" => Action::Assign {
            staff_ids: f
                .staff_ids
                .iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    s.trim()
                        .parse()
                        .map_err(|_| DomainError::invalid("staff_ids", "not a staff id"))
                })
                .collect::<Result<_, _>>()?,
        },
        "measure_temperature" => Action::MeasureTemperature {
            visit: parse_visit(state, f, me)?,
        },
        "contact" => Action::Contact {
            note: f.note.clone(),
        },
        "arrive" => Action::Arrive,
        "schedule" => Action::Schedule {
            appointment_at: Timestamp::parse(
                "appointment_at",
                &required(&f.appointment_at, "appointment_at")?,
                state.settings.tz,
            )?,
        },
        "resolve" => Action::Resolve {
            note: required(&f.note, "note")?,
            measured_temp_c: match f.measured_temp_c.trim() {
                "" => None,
                t => Some(
                    t.replace(',', ".")
                        .parse::<f64>()
                        .map_err(|_| DomainError::invalid("measured_temp_c", "not a number"))?,
                ),
            },
        },
        "callback_ok" | "callback_basic" | "callback_no" => Action::Callback {
            satisfaction: satisfaction(&f.action),
            note: f.note.clone(),
        },
        "callback_missed" => Action::CallbackNotReached {
            note: f.note.clone(),
        },
        "close" => Action::Close {
            reason: required(&f.reason, "reason")?,
        },
        "answer" => Action::Answer {
            note: required(&f.note, "note")?,
        },
        "cancel" => Action::Cancel {
            reason: required(&f.reason, "reason")?,
        },
        "reopen" => Action::Reopen {
            reason: required(&f.reason, "reason")?,
        },
        "merge" => Action::Merge {
            into: required(&f.into, "into")?,
        },
        other => return Err(DomainError::unknown("action", other)),
    })
}

async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = ActionForm::from_pairs(pairs);
    let l = ctx.l;
    let now = state.now();
    let result =
        match parse_action(&state, &f, &ctx.user.display_name).and_then(|a| a.validate(now)) {
            Err(e) => Err(AppError::from(e)),
            Ok(action) if !ctx.user.role.may_act(&action) => Err(AppError::Forbidden),
            Ok(action) => state
                .db
                .act_on_ticket(&number, &action, &ctx.user.actor(), now)
                .await
                .map(|_| ())
                .map_err(AppError::from),
        };
    match result {
        Ok(()) => {
            metrics::counter!("heatdesk_ticket_actions_total", "action" => f.action.clone())
                .increment(1);
            let back = safe_back(
                Some(&f.back).filter(|b| !b.is_empty()).map(|b| b.as_str()),
                &format!("/tickets/{number}"),
            );
            Ok(Redirect::to(&back).into_response())
        }
        Err(e @ (AppError::NotFound { .. } | AppError::Forbidden)) => Err(ctx.err(e)),
        Err(e) => {
            let t = load(&state, &ctx, &number).await?;
            let status = e.status();
            let (errors, error) = match e.field() {
                Some(field) if field != "action" => {
                    let mut map = HashMap::new();
                    map.insert(field.clone(), l.error(e.code(), Some(&field)));
                    (map, None)
                }
                _ => (
                    HashMap::new(),
                    Some(l.error(e.code(), e.field().as_deref())),
                ),
            };
            let v = view(
                &state,
                &ctx,
                t,
                f,
                errors,
                error,
                String::new(),
                String::new(),
            )
            .await
            .map_err(|e| ctx.err(e))?;
            let mut page = render(&TicketPage {
                c: ctx.chrome("queues", format!("{} {}", l.t("ticket.title"), number)),
                l,
                v,
            });
            *page.status_mut() = status;
            Ok(page)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    text: String,
}

async fn add_note(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
    Form(f): Form<NoteForm>,
) -> Result<Response, PageError> {
    if ctx.user.role == Role::Viewer {
        return Err(ctx.err(AppError::Forbidden));
    }
    let t = load(&state, &ctx, &number).await?;
    match required_text("note", &f.text, MAX_NOTE) {
        Ok(text) => {
            state
                .db
                .add_note(&t, &ctx.user.name, &text, state.now())
                .await
                .map_err(|e| ctx.err(e))?;
            Ok(Redirect::to(&format!("/tickets/{number}#timeline")).into_response())
        }
        Err(e) => {
            let l = ctx.l;
            let message = l.error(e.code(), Some("note"));
            let v = view(
                &state,
                &ctx,
                t,
                ActionForm::default(),
                HashMap::new(),
                None,
                f.text,
                message,
            )
            .await
            .map_err(|e| ctx.err(e))?;
            let mut page = render(&TicketPage {
                c: ctx.chrome("queues", format!("{} {}", l.t("ticket.title"), number)),
                l,
                v,
            });
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_actions_follow_state_and_role() {
        let op = allowed_actions(Status::Registered, "repair", None, Role::Operator);
        assert!(op.contains(&"dispatch") && op.contains(&"answer") && op.contains(&"cancel"));
        assert!(!op.contains(&"accept"));
        let st = allowed_actions(Status::Dispatched, "repair", Some("S01"), Role::Station);
        // A dispatched ticket changes station by a redirect, with its reason.
        assert!(st.contains(&"accept") && st.contains(&"redirect") && st.contains(&"assign"));
        assert!(!st.contains(&"dispatch") && !st.contains(&"cancel"));
        assert!(
            !st.contains(&"measure_temperature"),
            "only on temperature tickets"
        );
        let visit = allowed_actions(Status::Accepted, "temperature", Some("S01"), Role::Repairer);
        assert!(visit.contains(&"measure_temperature") && !visit.contains(&"assign"));
        assert!(
            allowed_actions(Status::Dispatched, "repair", Some("S01"), Role::Viewer).is_empty()
        );
        let resolved = allowed_actions(Status::Resolved, "repair", Some("S01"), Role::Operator);
        assert!(resolved.contains(&"callback_ok") && resolved.contains(&"callback_no"));
        let keys: std::collections::HashSet<char> = ACTIONS.iter().map(|a| a.1).collect();
        assert_eq!(keys.len(), ACTIONS.len());
        assert!(!keys.contains(&'n'), "n is the note key");
    }
}
