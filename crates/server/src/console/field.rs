//! The repairer's pages, made for a phone (`/m/`): "my tickets", and one
//! ticket with big buttons for the next steps (contacted, on site, an
//! appointment, the result with parts, photos and the customer's
//! signature). Server-rendered, no htmx, one small script (static/field.js)
//! for the signature pad; every form also works on a slow connection.
//!
//! Who sees what: a repairer linked to the staff register (`users.staff_id`)
//! sees the tickets assigned to them; an unlinked repairer or a station user
//! the open tickets of their station. A repairer may act only on tickets
//! assigned to them or to nobody (the rule lives in the store).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::ticket::MAX_NOTE;
use domain::{Action, DomainError, Role, Status, Timestamp};
use serde_json::json;
use store::tickets::{CommandExtras, TicketRow};

use super::clocks::{self, ClockView};
use super::ticket::allowed_actions;
use super::{Ctx, PageError, render, show_time};
use crate::i18n::Lang;
use crate::photos::{self, MAX_PHOTO_BYTES, MAX_PHOTOS, Size, SizeQuery};
use crate::{AppError, AppState};

/// The whole form: a few photos at the limit, and the rest.
const FORM_LIMIT: usize = 64 * 1024 * 1024;

/// The steps the phone offers, in the order a visit goes.
const STEPS: [&str; 6] = [
    "accept",
    "contact",
    "arrive",
    "measure_temperature",
    "schedule",
    "resolve",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/m", get(|| async { Redirect::permanent("/m/") }))
        .route("/m/", get(my_tickets))
        .route(
            "/m/tickets/{number}",
            get(ticket_page)
                .post(act)
                .layer(DefaultBodyLimit::max(FORM_LIMIT)),
        )
        .route("/tickets/{number}/attachments/{id}", get(attachment))
}

/// The layout of the phone pages.
pub struct MChrome {
    pub l: Lang,
    pub title: String,
    pub user: String,
    pub asset_v: &'static str,
}

impl MChrome {
    fn new(ctx: &Ctx, title: String) -> Self {
        MChrome {
            l: ctx.l,
            title,
            user: ctx.user.display_name.clone(),
            asset_v: super::assets::version(),
        }
    }
}

pub struct Row {
    pub number: String,
    pub status_code: String,
    pub status: String,
    pub priority_code: String,
    pub priority: String,
    pub address: String,
    pub caller: String,
    pub phone: String,
    pub due: String,
    pub due_level: String,
    pub appointment: String,
}

#[derive(Template)]
#[template(path = "m_list.html")]
struct ListPage {
    c: MChrome,
    l: Lang,
    rows: Vec<Row>,
}

async fn my_tickets(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let staff = if ctx.user.role == Role::Repairer {
        ctx.user.staff_id
    } else {
        None
    };
    let tickets = state
        .db
        .field_tickets(staff, ctx.user.scope(), 200)
        .await
        .map_err(|e| ctx.err(e))?;
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let running = state
        .db
        .running_clocks(&ids)
        .await
        .map_err(|e| ctx.err(e))?;
    let now = state.now();
    let l = ctx.l;
    let rows = tickets
        .into_iter()
        .map(|t| {
            let (due, due_level) = clocks::badge(
                &state,
                l,
                running.get(&t.id).map_or(&[][..], Vec::as_slice),
                now,
            );
            Row {
                status: l.status(&t.status),
                priority: l.priority(&t.priority),
                appointment: t
                    .appointment_at
                    .filter(|_| t.status == Status::Scheduled.code())
                    .map(|ms| show_time(&state, ms))
                    .unwrap_or_default(),
                number: t.number,
                status_code: t.status,
                priority_code: t.priority,
                address: t.address,
                caller: t.caller_name,
                phone: t.caller_phone,
                due,
                due_level,
            }
        })
        .collect();
    Ok(render(&ListPage {
        c: MChrome::new(&ctx, l.t("m.title").to_string()),
        l,
        rows,
    }))
}

/// What was typed into the forms, kept after an error.
#[derive(Debug, Default, Clone)]
pub struct FieldForm {
    pub action: String,
    pub note: String,
    pub parts: String,
    pub date: String,
    pub from: String,
    pub until: String,
    /// A room-temperature visit: one entry per row.
    pub room: Vec<String>,
    pub celsius: Vec<String>,
    pub protocol_followed: String,
    pub co_signed_by: String,
}

impl FieldForm {
    /// Row `i` of a repeated field, kept after an error.
    pub fn list(&self, field: &str, i: &usize) -> &str {
        let list = match field {
            "room" => &self.room,
            "celsius" => &self.celsius,
            _ => return "",
        };
        super::row_of(list, *i)
    }
}

pub struct Attached {
    pub id: i64,
    pub kind: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "m_ticket.html")]
struct TicketPage {
    c: MChrome,
    l: Lang,
    t: TicketRow,
    status: String,
    priority: String,
    kind: String,
    category: String,
    appointment: String,
    assignee: String,
    clocks: Vec<ClockView>,
    steps: Vec<&'static str>,
    form: FieldForm,
    errors: HashMap<String, String>,
    error: Option<String>,
    today: String,
    attached: Vec<Attached>,
    /// The latest room-temperature visit's verdict, in words.
    temperature: Option<String>,
}

impl TicketPage {
    fn err(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
    fn has(&self, step: &str) -> bool {
        self.steps.contains(&step)
    }
    /// The error of any reading row (`readings[1].celsius`).
    fn err_under(&self, list: &str) -> &str {
        super::error_under(&self.errors, list)
    }
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

async fn page(
    state: &AppState,
    ctx: &Ctx,
    t: TicketRow,
    form: FieldForm,
    errors: HashMap<String, String>,
    error: Option<String>,
) -> Result<TicketPage, AppError> {
    let l = ctx.l;
    let now = state.now();
    let status = Status::parse(&t.status)?;
    let steps = allowed_actions(status, &t.kind, t.station_code.as_deref(), ctx.user.role)
        .into_iter()
        .filter(|a| STEPS.contains(a))
        .collect();
    let running: Vec<_> = state
        .db
        .ticket_clocks(t.id)
        .await?
        .into_iter()
        .filter(|c| c.state == "running")
        .collect();
    let clocks = running
        .iter()
        .map(|c| clocks::view(state, l, c, now))
        .collect();
    let assignee = state
        .db
        .assignments(&[t.id])
        .await?
        .remove(&t.id)
        .map(|crew| {
            crew.into_iter()
                .map(|a| a.staff_name)
                .collect::<Vec<_>>()
                .join(l.t("list.sep"))
        })
        .unwrap_or_default();
    let attached = state
        .db
        .attachments(t.id)
        .await?
        .into_iter()
        .map(|a| Attached {
            id: a.id,
            label: l.code_name("attachment", &a.kind),
            kind: a.kind,
        })
        .collect();
    let today = now
        .to_utc()
        .with_timezone(&state.settings.tz)
        .format("%Y-%m-%d")
        .to_string();
    Ok(TicketPage {
        c: MChrome::new(ctx, format!("{} {}", l.t("ticket.title"), t.number)),
        l,
        status: l.status(&t.status),
        priority: l.priority(&t.priority),
        kind: l.kind(&t.kind),
        category: l.category(&state.settings.catalogue, &t.category),
        appointment: t
            .appointment_at
            .filter(|_| status == Status::Scheduled)
            .map(|ms| show_time(state, ms))
            .unwrap_or_default(),
        assignee,
        clocks,
        steps,
        form,
        errors,
        error,
        today,
        attached,
        temperature: match t.room_temp_c {
            Some(_) => super::ticket::temperature_verdict(l, &state.db.ticket_events(t.id).await?),
            None => None,
        },
        t,
    })
}

async fn ticket_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    let t = load(&state, &ctx, &number).await?;
    let p = page(&state, &ctx, t, FieldForm::default(), HashMap::new(), None)
        .await
        .map_err(|e| ctx.err(e))?;
    Ok(render(&p))
}

/// The form as sent: its text fields and the raw files.
#[derive(Default)]
struct Sent {
    form: FieldForm,
    signature: String,
    photos: Vec<Vec<u8>>,
    /// A file over the limit or too many files: reported after the body is read.
    problem: Option<AppError>,
}

async fn read_form(mut multipart: Multipart) -> Result<Sent, AppError> {
    let mut sent = Sent::default();
    let broken = |_| photos::too_large("photos");
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photos" {
            let mut bytes = Vec::new();
            let mut over = false;
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                // Keep reading past the limit (discarding) so the client gets our answer.
                if !over && bytes.len() + chunk.len() > MAX_PHOTO_BYTES {
                    over = true;
                    bytes = Vec::new();
                }
                if !over {
                    bytes.extend_from_slice(&chunk);
                }
            }
            if over {
                sent.problem
                    .get_or_insert_with(|| photos::too_large("photos"));
            } else if !bytes.is_empty() {
                if sent.photos.len() >= MAX_PHOTOS {
                    sent.problem.get_or_insert_with(|| {
                        DomainError::invalid("photos", format!("at most {MAX_PHOTOS} photos"))
                            .into()
                    });
                } else {
                    sent.photos.push(bytes);
                }
            }
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|_| AppError::bad_request("bad_request", Some(&name), "unreadable field"))?;
        let f = &mut sent.form;
        match name.as_str() {
            "action" => f.action = text,
            "note" => f.note = text,
            "parts" => f.parts = text,
            "date" => f.date = text,
            "from" => f.from = text,
            "until" => f.until = text,
            "room" => f.room.push(text),
            "celsius" => f.celsius.push(text),
            "protocol_followed" => f.protocol_followed = text,
            "co_signed_by" => f.co_signed_by = text,
            "signature" => sent.signature = text,
            _ => {}
        }
    }
    Ok(sent)
}

/// The action and its extra details from the form (files come later).
fn parse(
    state: &AppState,
    f: &FieldForm,
    me: &str,
    now: Timestamp,
) -> Result<(Action, CommandExtras), AppError> {
    let mut extras = CommandExtras::default();
    let tz = state.settings.tz;
    let action = match f.action.as_str() {
        "accept" => Action::Accept,
        "contact" => Action::Contact {
            note: f.note.clone(),
        },
        "arrive" => Action::Arrive,
        "schedule" => {
            if f.date.trim().is_empty() {
                return Err(DomainError::required("date").into());
            }
            if f.from.trim().is_empty() {
                return Err(DomainError::required("from").into());
            }
            let start =
                Timestamp::parse("from", &format!("{}T{}", f.date.trim(), f.from.trim()), tz)?;
            if start < now.plus_millis(-5 * Timestamp::MINUTE) {
                return Err(AppError::BadRequest {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "appointment_in_past",
                    field: Some("from".into()),
                    message: "the appointment is in the past".into(),
                });
            }
            if !f.until.trim().is_empty() {
                let end = Timestamp::parse(
                    "until",
                    &format!("{}T{}", f.date.trim(), f.until.trim()),
                    tz,
                )?;
                if end <= start {
                    return Err(
                        DomainError::invalid("until", "the window ends before it starts").into(),
                    );
                }
                extras
                    .event_data
                    .insert("appointment_until".into(), json!(end.millis()));
            }
            Action::Schedule {
                appointment_at: start,
            }
        }
        "resolve" => {
            let parts: Vec<String> = f
                .parts
                .lines()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            if parts.iter().map(|p| p.chars().count()).sum::<usize>() > MAX_NOTE {
                return Err(DomainError::TooLong {
                    field: "parts".into(),
                    max: MAX_NOTE,
                }
                .into());
            }
            if !parts.is_empty() {
                extras.event_data.insert("parts".into(), json!(parts));
            }
            Action::Resolve {
                note: f.note.clone(),
                measured_temp_c: None,
            }
        }
        "measure_temperature" => {
            let form = super::ticket::ActionForm {
                room: f.room.clone(),
                celsius: f.celsius.clone(),
                protocol_followed: f.protocol_followed.clone(),
                co_signed_by: f.co_signed_by.clone(),
                ..Default::default()
            };
            Action::MeasureTemperature {
                visit: super::ticket::parse_visit(state, &form, me)?,
            }
        }
        other => return Err(DomainError::unknown("action", other).into()),
    };
    let action = action.validate(now).map_err(|e| {
        // The appointment's start is typed as date + "from".
        if e.field() == Some("appointment_at") {
            DomainError::invalid("from", e.to_string())
        } else {
            e
        }
    })?;
    Ok((action, extras))
}

async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let l = ctx.l;
    let now = state.now();
    let t = load(&state, &ctx, &number).await?;
    let (form, result) = match read_form(multipart).await {
        Err(e) => (FieldForm::default(), Err(e)),
        Ok(sent) => {
            let form = sent.form.clone();
            (form, apply(&state, &ctx, &number, sent, now).await)
        }
    };
    let e = match result {
        Ok(()) => {
            metrics::counter!("heatdesk_ticket_actions_total", "action" => form.action.clone())
                .increment(1);
            return Ok(Redirect::to(&format!("/m/tickets/{number}")).into_response());
        }
        Err(e @ AppError::NotFound { .. }) => return Err(ctx.err(e)),
        Err(e) => e,
    };
    let status = e.status();
    let mut errors = HashMap::new();
    let mut error = None;
    let message = l.error(e.code(), e.field().as_deref());
    match e.field() {
        Some(field) if field != "action" => {
            errors.insert(field, message);
        }
        _ => error = Some(message),
    }
    let p = page(&state, &ctx, t, form, errors, error)
        .await
        .map_err(|e| ctx.err(e))?;
    let mut response = render(&p);
    *response.status_mut() = status;
    Ok(response)
}

async fn apply(
    state: &AppState,
    ctx: &Ctx,
    number: &str,
    sent: Sent,
    now: Timestamp,
) -> Result<(), AppError> {
    if let Some(problem) = sent.problem {
        return Err(problem);
    }
    let (action, mut extras) = parse(state, &sent.form, &ctx.user.display_name, now)?;
    if !ctx.user.role.may_act(&action) {
        return Err(AppError::Forbidden);
    }
    // Files come with the result, or with a visit (the customer co-signs the readings).
    if !matches!(
        action,
        Action::Resolve { .. } | Action::MeasureTemperature { .. }
    ) && (!sent.photos.is_empty() || !sent.signature.trim().is_empty())
    {
        return Err(DomainError::invalid("photos", "files come with the result").into());
    }
    let signature = sent.signature;
    let files = sent.photos;
    let attachments = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        for bytes in &files {
            out.push(photos::prepare_photo(bytes)?);
        }
        if let Some(sig) = photos::prepare_signature(&signature)? {
            out.push(sig);
        }
        Ok::<_, AppError>(out)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    extras.attachments = attachments;
    state
        .db
        .act_on_ticket_with(number, &action, &ctx.user.actor(), now, &extras)
        .await?;
    Ok(())
}

/// A photo or signature of a ticket, for whoever may see the ticket;
/// `?size=thumb` for a photo's thumbnail (the file itself when it has none).
async fn attachment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((number, id)): Path<(String, i64)>,
    query: Result<Query<SizeQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let t = load(&state, &ctx, &number).await?;
    let size = match query {
        Ok(Query(q)) => q.size(),
        Err(e) => Err(AppError::bad_request(
            "bad_request",
            Some("size"),
            e.body_text(),
        )),
    }
    .map_err(|e| ctx.err(e))?;
    let (content_type, bytes) = state
        .db
        .attachment_file(t.id, id, size == Size::Thumb)
        .await
        .map_err(|e| ctx.err(e))?
        .ok_or_else(|| {
            ctx.err(AppError::NotFound {
                what: "attachment",
                key: id.to_string(),
            })
        })?;
    Ok(photos::file_response(content_type, bytes))
}
