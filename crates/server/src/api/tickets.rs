//! Tickets over JSON: register, read, act, list.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::temperature::{Reading, Visit, VisitInput};
use domain::ticket::NewTicketInput;
use domain::{
    Action, DomainError, Kind, NewTicket, Permission, Priority, Satisfaction, Status, Timestamp,
};
use serde::{Deserialize, Serialize};
use store::org::StationRow;
use store::tickets::{EventRow, TicketFilter, TicketRow};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tickets", post(create_ticket).get(list_tickets))
        .route("/api/v1/tickets/{number}", get(get_ticket))
        .route("/api/v1/tickets/{number}/actions", post(act_on_ticket))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTicket {
    /// inquiry | repair | complaint | temperature | service
    pub kind: String,
    /// Category code (`no_heat`) or its Chinese or English name (`暖气不热`).
    pub category: String,
    /// emergency | urgent | normal
    pub priority: String,
    /// easy | normal | hard (default normal)
    pub difficulty: Option<String>,
    /// phone (default) | web | open311 | wechat | walk_in | api
    pub channel: Option<String>,
    #[serde(default)]
    pub caller_name: String,
    pub caller_phone: String,
    pub address: String,
    pub description: String,
    pub account_no: Option<String>,
    /// The responsible station; when absent, the account's station.
    pub station_code: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Dispatch to the station in the same step (register + dispatch).
    #[serde(default)]
    pub dispatch: bool,
}

/// A command on a ticket. `action` says which; the other fields are its inputs.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionRequest {
    /// dispatch | redirect | accept | assign | contact | arrive | schedule | measure_temperature |
    /// resolve | callback | callback_not_reached | answer | cancel | reopen | merge |
    /// close (supervisors: without a callback)
    pub action: String,
    /// dispatch, redirect: the station to send the ticket to.
    pub station_code: Option<String>,
    /// assign: the staff (ids from the station's staff list) to put on the ticket; replaces the crew.
    pub staff_ids: Option<Vec<i64>>,
    /// measure_temperature: one reading per room (or several; each room counts once).
    pub readings: Option<Vec<ReadingRequest>>,
    /// measure_temperature: windows and doors closed 30 min, 1.5 m high, centre of the room.
    pub protocol_followed: Option<bool>,
    /// measure_temperature: who measured (default: the signed-in user's name).
    pub measured_by: Option<String>,
    /// measure_temperature: the customer who co-signs the readings.
    pub co_signed_by: Option<String>,
    /// contact, resolve, callback, answer: what was said or done.
    pub note: Option<String>,
    /// schedule: the agreed time, RFC 3339 or `2026-12-05 14:00` in local time.
    pub appointment_at: Option<String>,
    /// resolve: room temperature measured, °C.
    pub measured_temp_c: Option<f64>,
    /// callback: whether the customer is satisfied (yes → closed, no → reopened).
    pub satisfied: Option<bool>,
    /// callback, instead of `satisfied`: satisfied | basically_satisfied (both close) | unsatisfied (reopens).
    pub satisfaction: Option<String>,
    /// redirect, cancel, reopen, close: why.
    pub reason: Option<String>,
    /// merge: number of the ticket this one duplicates.
    pub into: Option<String>,
}

/// One room-temperature reading.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadingRequest {
    /// 卧室, 客厅 …
    pub room: String,
    /// °C, −30 … 60.
    pub celsius: f64,
    /// When it was read (RFC 3339 or local `2026-12-05 14:00`); default now.
    pub at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StationRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketJson {
    /// Human ticket number, e.g. `20261204-0037`.
    pub number: String,
    pub kind: String,
    pub category: String,
    pub priority: String,
    pub difficulty: String,
    pub channel: String,
    pub status: String,
    pub station: Option<StationRef>,
    pub account_no: Option<String>,
    pub caller_name: String,
    pub caller_phone: String,
    pub address: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub merged_into: Option<String>,
    pub appointment_at: Option<String>,
    /// The latest room-temperature visit: its temperature (°C) and refund (% of the fee).
    pub room_temp_c: Option<f64>,
    pub refund_percent: Option<i64>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// Who is on the ticket (on single-ticket responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crew: Option<Vec<CrewJson>>,
    /// Tickets merged into this one; their callers are called back too (on single-ticket responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Vec<DuplicateJson>>,
    /// For a merged ticket: the ticket it follows, and that ticket's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<PrimaryJson>,
    /// The timeline, oldest first (on single-ticket responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventJson>>,
    /// The deadlines of its steps, oldest first (on single-ticket responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clocks: Option<Vec<ClockJson>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CrewJson {
    pub staff_id: i64,
    pub name: String,
    pub phone: String,
    pub assigned_by: String,
    pub assigned_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateJson {
    pub number: String,
    pub caller_name: String,
    pub caller_phone: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrimaryJson {
    pub number: String,
    pub status: String,
}

/// One step's deadline: running, or how it ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockJson {
    /// accept, contact, on_site, result, callback
    pub step: String,
    /// running, met, late (done after the deadline), cancelled
    pub state: String,
    pub started_at: String,
    pub warn_at: String,
    pub due_at: String,
    /// While an appointment pauses the clock.
    pub paused_until: Option<String>,
    /// How far up the escalation ladder it went (0: not escalated).
    pub escalation_level: i64,
    pub stopped_at: Option<String>,
    /// For a step done late: by how many seconds.
    pub late_seconds: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventJson {
    pub seq: i64,
    /// registered, dispatched, redirected, accepted, contacted, scheduled, arrived,
    /// resolved, callback_satisfied, callback_unsatisfied, answered, cancelled, reopened, merged;
    /// from the clocks: warned {step, due_at}, escalated {level, step, due_at, late_ms, notify}
    pub kind: String,
    pub at: String,
    pub actor: String,
    /// The ticket's status after this event.
    pub status: String,
    /// Details: note, reason, station_code, appointment_at, measured_temp_c, into …
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketPage {
    pub items: Vec<TicketJson>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One status or several separated by commas.
    pub status: Option<String>,
    pub kind: Option<String>,
    /// Station code.
    pub station: Option<String>,
    pub priority: Option<String>,
    /// Ticket number, caller phone, account number, or words of the address or description.
    pub q: Option<String>,
    /// Created at or after (RFC 3339 or a local date).
    pub from: Option<String>,
    /// Created before.
    pub to: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = CreateTicket,
    responses((status = 201, body = TicketJson), (status = 422, body = crate::error::Problem)))]
pub async fn create_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateTicket>,
) -> Result<impl IntoResponse, AppError> {
    user.require(Permission::RegisterTickets)?;
    let settings = &state.settings;
    let ticket = NewTicket::parse(
        NewTicketInput {
            kind: &body.kind,
            category: &body.category,
            priority: &body.priority,
            difficulty: body.difficulty.as_deref(),
            channel: body.channel.as_deref(),
            caller_name: &body.caller_name,
            caller_phone: &body.caller_phone,
            address: &body.address,
            description: &body.description,
            account_no: body.account_no.as_deref(),
            station_code: body.station_code.as_deref(),
            lat: body.lat,
            lon: body.lon,
        },
        &settings.catalogue,
        &settings.config.default_area_code,
    )?;
    let station = responsible_station(&state, &ticket).await?;
    let now = state.now();
    let row = state
        .db
        .register_ticket(
            &ticket,
            station.as_ref(),
            body.dispatch,
            &user.actor(),
            now,
            &now.day_key(settings.tz),
        )
        .await?;
    metrics::counter!("heatdesk_tickets_registered_total", "kind" => row.kind.clone()).increment(1);
    let location = format!("/api/v1/tickets/{}", row.number);
    let json = with_events(&state, row, user.scope(), Fresh::JustRegistered).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(json),
    ))
}

/// The station named in the request, else the account's, else the one the
/// address (and point) resolve to with confidence. An unsure resolution
/// leaves the ticket without a station for the operator to choose.
pub(crate) async fn responsible_station(
    state: &AppState,
    ticket: &NewTicket,
) -> Result<Option<StationRow>, AppError> {
    if let Some(code) = &ticket.station_code {
        let station = state.db.station_by_code(code).await?;
        return Ok(Some(station.ok_or_else(|| {
            DomainError::unknown("station_code", code.clone())
        })?));
    }
    if let Some(account_no) = &ticket.account_no {
        let account = state.db.account(account_no).await?;
        let account =
            account.ok_or_else(|| DomainError::unknown("account_no", account_no.clone()))?;
        if let Some(code) = account.station_code {
            return Ok(state.db.station_by_code(&code).await?);
        }
    }
    let resolution = state
        .addresses
        .current()
        .resolve(&ticket.address, ticket.point)
        .map_err(DomainError::from)?;
    let confident = resolution.is_confident();
    match resolution.station.filter(|_| confident) {
        Some(hit) => Ok(state.db.station_by_code(&hit.code).await?),
        None => Ok(None),
    }
}

#[utoipa::path(get, path = "/api/v1/tickets/{number}", tag = "tickets",
    params(("number" = String, Path, description = "Ticket number")),
    responses((status = 200, body = TicketJson), (status = 404, body = crate::error::Problem)))]
pub async fn get_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(number): Path<String>,
) -> Result<Json<TicketJson>, AppError> {
    let row = state
        .db
        .ticket(&number)
        .await?
        .filter(|t| t.visible_to(user.scope()))
        .ok_or_else(|| AppError::NotFound {
            what: "ticket",
            key: number.clone(),
        })?;
    Ok(Json(
        with_events(&state, row, user.scope(), Fresh::Existing).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/tickets/{number}/actions", tag = "tickets", request_body = ActionRequest,
    params(("number" = String, Path, description = "Ticket number")),
    responses((status = 200, body = TicketJson), (status = 409, description = "invalid_transition", body = crate::error::Problem)))]
pub async fn act_on_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(number): Path<String>,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<Json<TicketJson>, AppError> {
    let now = state.now();
    let action = parse_action(body, &state, &user.display_name)?.validate(now)?;
    if !user.role.may_act(&action) {
        return Err(AppError::Forbidden);
    }
    let row = state
        .db
        .act_on_ticket(&number, &action, &user.actor(), now)
        .await?;
    metrics::counter!("heatdesk_ticket_actions_total", "action" => action.name()).increment(1);
    Ok(Json(
        with_events(&state, row, user.scope(), Fresh::Existing).await?,
    ))
}

fn parse_action(body: ActionRequest, state: &AppState, me: &str) -> Result<Action, AppError> {
    let required = |v: Option<String>, field: &str| v.ok_or_else(|| DomainError::required(field));
    Ok(match body.action.trim() {
        "dispatch" => Action::Dispatch {
            station_code: required(body.station_code, "station_code")?,
        },
        "redirect" => Action::Redirect {
            station_code: required(body.station_code, "station_code")?,
            reason: required(body.reason, "reason")?,
        },
        "assign" => Action::Assign {
            staff_ids: body
                .staff_ids
                .ok_or_else(|| DomainError::required("staff_ids"))?,
        },
        "measure_temperature" => {
            let now = state.now();
            let mut readings = Vec::new();
            for (i, r) in body.readings.unwrap_or_default().into_iter().enumerate() {
                let at = match r.at.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                    None => now,
                    Some(text) => {
                        Timestamp::parse(&format!("readings[{i}].at"), text, state.settings.tz)?
                    }
                };
                readings.push(Reading {
                    room: r.room,
                    celsius: r.celsius,
                    at: at.millis(),
                });
            }
            let input = VisitInput {
                readings,
                protocol_followed: body.protocol_followed.unwrap_or(false),
                measured_by: body.measured_by.unwrap_or_else(|| me.to_string()),
                co_signed_by: body.co_signed_by.unwrap_or_default(),
            };
            Action::MeasureTemperature {
                visit: Visit::assess(input, &state.settings.temperature, now)?,
            }
        }
        "accept" => Action::Accept,
        "contact" => Action::Contact {
            note: body.note.unwrap_or_default(),
        },
        "arrive" => Action::Arrive,
        "schedule" => {
            let text = required(body.appointment_at, "appointment_at")?;
            Action::Schedule {
                appointment_at: Timestamp::parse("appointment_at", &text, state.settings.tz)?,
            }
        }
        "resolve" => Action::Resolve {
            note: required(body.note, "note")?,
            measured_temp_c: body.measured_temp_c,
        },
        "callback" => Action::Callback {
            // `satisfaction` (three answers) or, as before, `satisfied` (yes/no).
            satisfaction: match (body.satisfaction.as_deref(), body.satisfied) {
                (Some(text), _) => Satisfaction::parse(text)?,
                (None, Some(true)) => Satisfaction::Satisfied,
                (None, Some(false)) => Satisfaction::Unsatisfied,
                (None, None) => return Err(DomainError::required("satisfaction").into()),
            },
            note: body.note.unwrap_or_default(),
        },
        "callback_not_reached" => Action::CallbackNotReached {
            note: body.note.unwrap_or_default(),
        },
        "close" => Action::Close {
            reason: required(body.reason, "reason")?,
        },
        "answer" => Action::Answer {
            note: required(body.note, "note")?,
        },
        "cancel" => Action::Cancel {
            reason: required(body.reason, "reason")?,
        },
        "reopen" => Action::Reopen {
            reason: required(body.reason, "reason")?,
        },
        "merge" => Action::Merge {
            into: required(body.into, "into")?,
        },
        other => return Err(DomainError::unknown("action", other).into()),
    })
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(ListQuery),
    responses((status = 200, body = TicketPage)))]
pub async fn list_tickets(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<TicketPage>, AppError> {
    let filter = ticket_filter(&state, &user, q).await?;
    let limit = filter.limit;
    let rows = state.db.list_tickets(&filter).await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    let items = rows
        .into_iter()
        .map(|r| ticket_json(&state, r, None))
        .collect();
    Ok(Json(TicketPage { items, next_cursor }))
}

/// Parses list filters; a station user only ever sees their own station.
pub async fn ticket_filter(
    state: &AppState,
    user: &CurrentUser,
    q: ListQuery,
) -> Result<TicketFilter, AppError> {
    let tz = state.settings.tz;
    let nonempty = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let statuses = nonempty(q.status)
        .map(|s| {
            s.split(',')
                .map(|part| Status::parse(part).map_err(|_| DomainError::unknown("status", part)))
                .collect()
        })
        .transpose()?
        .unwrap_or_default();
    let kind = nonempty(q.kind)
        .map(|k| Kind::parse(&k).map(|k| k.code().to_string()))
        .transpose()?;
    let priority = nonempty(q.priority)
        .map(|p| Priority::parse(&p).map(|p| p.code().to_string()))
        .transpose()?;
    let station_id = match nonempty(q.station) {
        Some(code) => Some(
            state
                .db
                .station_by_code(&code)
                .await?
                .ok_or_else(|| DomainError::unknown("station", code))?
                .id,
        ),
        None => None,
    };
    if user.scope().is_some() && station_id.is_some() && station_id != user.scope() {
        return Err(AppError::Forbidden);
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(DomainError::invalid("limit", "must be between 1 and 500").into());
    }
    let before_id = nonempty(q.cursor)
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| DomainError::invalid("cursor", "not a cursor from a previous page"))
        })
        .transpose()?;
    Ok(TicketFilter {
        statuses,
        kind,
        priority,
        station_id,
        station_scope: user.scope(),
        q: nonempty(q.q).map(|s| s.chars().take(100).collect()),
        from: nonempty(q.from)
            .map(|t| Timestamp::parse("from", &t, tz))
            .transpose()?,
        to: nonempty(q.to)
            .map(|t| Timestamp::parse("to", &t, tz))
            .transpose()?,
        before_id,
        limit,
    })
}

/// Whether a ticket was registered by this very request: it has no crew,
/// duplicates or primary yet, so registration (the hot path) skips looking.
#[derive(PartialEq)]
enum Fresh {
    JustRegistered,
    Existing,
}

async fn with_events(
    state: &AppState,
    row: TicketRow,
    scope: Option<i64>,
    fresh: Fresh,
) -> Result<TicketJson, AppError> {
    let events = state.db.ticket_events(row.id).await?;
    let clocks = state.db.ticket_clocks(row.id).await?;
    let existing = fresh == Fresh::Existing;
    let crew = if existing {
        state
            .db
            .assignments(&[row.id])
            .await?
            .remove(&row.id)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    // Only what the user may see: a station user, its station's tickets.
    let duplicates = if existing {
        state.db.duplicates_of(&row.number).await?
    } else {
        Vec::new()
    };
    let duplicates = duplicates.into_iter().filter(|d| d.visible_to(scope));
    let primary = match &row.merged_into {
        Some(number) => state
            .db
            .ticket(number)
            .await?
            .filter(|p| p.visible_to(scope)),
        None => None,
    };
    let time = |ms: i64| Timestamp(ms).rfc3339(state.settings.tz);
    let mut json = ticket_json(state, row, Some(events));
    json.crew = Some(
        crew.into_iter()
            .map(|a| CrewJson {
                staff_id: a.staff_id,
                name: a.staff_name,
                phone: a.staff_phone,
                assigned_by: a.assigned_by,
                assigned_at: time(a.assigned_at),
            })
            .collect(),
    );
    json.duplicates = Some(
        duplicates
            .into_iter()
            .map(|d| DuplicateJson {
                number: d.number,
                caller_name: d.caller_name,
                caller_phone: d.caller_phone,
                created_at: time(d.created_at),
            })
            .collect(),
    );
    json.primary = primary.map(|p| PrimaryJson {
        number: p.number,
        status: p.status,
    });
    json.clocks = Some(
        clocks
            .into_iter()
            .map(|c| ClockJson {
                escalation_level: c.level(),
                step: c.step,
                state: c.state,
                started_at: time(c.started_at),
                warn_at: time(c.warn_at),
                due_at: time(c.due_at),
                paused_until: c.paused_until.map(time),
                stopped_at: c.stopped_at.map(time),
                late_seconds: c.late_ms.filter(|ms| *ms > 0).map(|ms| ms / 1000),
            })
            .collect(),
    );
    Ok(json)
}

pub fn ticket_json(state: &AppState, t: TicketRow, events: Option<Vec<EventRow>>) -> TicketJson {
    let tz = state.settings.tz;
    let time = |ms: i64| Timestamp(ms).rfc3339(tz);
    TicketJson {
        station: match (t.station_code, t.station_name) {
            (Some(code), Some(name)) => Some(StationRef { code, name }),
            _ => None,
        },
        clocks: None,
        crew: None,
        duplicates: None,
        primary: None,
        events: events.map(|events| {
            events
                .into_iter()
                .map(|e| {
                    let mut data = match e.data {
                        serde_json::Value::Object(map) => map,
                        _ => serde_json::Map::new(),
                    };
                    // Times inside event details read like every other time.
                    for key in ["appointment_at", "appointment_until", "due_at"] {
                        if let Some(ms) = data.get(key).and_then(|v| v.as_i64()) {
                            data.insert(key.into(), time(ms).into());
                        }
                    }
                    if let Some(readings) = data.get_mut("readings").and_then(|r| r.as_array_mut())
                    {
                        for r in readings.iter_mut().filter_map(|r| r.as_object_mut()) {
                            if let Some(ms) = r.get("at").and_then(|v| v.as_i64()) {
                                r.insert("at".into(), time(ms).into());
                            }
                        }
                    }
                    EventJson {
                        seq: e.seq,
                        kind: e.kind,
                        at: time(e.at),
                        actor: e.actor,
                        status: e.status_after,
                        data,
                    }
                })
                .collect()
        }),
        number: t.number,
        kind: t.kind,
        category: t.category,
        priority: t.priority,
        difficulty: t.difficulty,
        channel: t.channel,
        status: t.status,
        account_no: t.account_no,
        caller_name: t.caller_name,
        caller_phone: t.caller_phone,
        address: t.address,
        description: t.description,
        lat: t.lat,
        lon: t.lon,
        merged_into: t.merged_into,
        appointment_at: t.appointment_at.map(time),
        room_temp_c: t.room_temp_c,
        refund_percent: t.refund_percent,
        created_by: t.created_by,
        created_at: time(t.created_at),
        updated_at: time(t.updated_at),
    }
}
