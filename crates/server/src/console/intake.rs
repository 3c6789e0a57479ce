//! The intake screen (受理): phone first, the caller looked up as it is
//! typed, the address resolved to its station, kind/category/priority/
//! difficulty by single keys, and one chord to register and dispatch (or to
//! answer and close an inquiry).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::ticket::NewTicketInput;
use domain::{
    Action, Difficulty, DomainError, Kind, NewTicket, Permission, Phone, Priority, Status,
    Timestamp,
};
use serde::Deserialize;
use store::accounts::AccountRow;

use super::{Chrome, Ctx, PageError, render, show_time};
use crate::api::registers::account_address;
use crate::i18n::Lang;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(intake_page))
        .route("/console/lookup", get(lookup))
        .route("/console/resolve", get(resolve))
        .route("/console/tickets", post(register))
}

/// Keys of the picker, shown on screen next to each choice.
pub const CATEGORY_KEYS: &str = "1234567890qwertyuiop";
pub const KIND_KEYS: &str = "asdfg";
pub const PRIORITY_KEYS: &str = "zxc";
pub const DIFFICULTY_KEYS: &str = "bnm";

/// The intake form as typed: everything is kept, valid or not.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IntakeForm {
    pub phone: String,
    pub caller_name: String,
    pub address: String,
    pub account_no: String,
    pub station_code: String,
    pub kind: String,
    pub category: String,
    pub priority: String,
    pub difficulty: String,
    pub description: String,
    /// The call's point (WGS84), set by a click on the map or typed; both or neither.
    pub lat: String,
    pub lon: String,
    /// The answer given on the call (inquiries answered and closed on the spot).
    pub answer: String,
    /// `register`, `dispatch` (register + dispatch) or `answer` (register + answer + close).
    pub intent: String,
}

impl IntakeForm {
    fn fresh() -> Self {
        IntakeForm {
            kind: Kind::Repair.code().into(),
            priority: Priority::Normal.code().into(),
            difficulty: Difficulty::Normal.code().into(),
            ..Default::default()
        }
    }
}

pub struct Choice {
    pub code: String,
    pub label: String,
    pub key: String,
    /// For categories: the kind it preselects.
    pub kind: String,
}

pub struct Registered {
    pub number: String,
    pub status: String,
    pub message: String,
}

/// What the form template needs, for the full page and the htmx fragment alike.
pub struct IntakeView {
    pub f: IntakeForm,
    pub errors: HashMap<String, String>,
    pub error: Option<String>,
    pub kinds: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub difficulties: Vec<Choice>,
    pub stations: Vec<(String, String)>,
    /// The service-area map (inline SVG, see `map.rs`); empty without areas.
    pub map: String,
    pub registered: Option<Registered>,
}

impl IntakeView {
    pub fn err(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
    pub fn has_err(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage {
    c: Chrome,
    l: Lang,
    v: IntakeView,
}

#[derive(Template)]
#[template(path = "intake_form.html")]
struct IntakeFragment {
    l: Lang,
    v: IntakeView,
}

fn key_at(keys: &str, i: usize) -> String {
    keys.chars().nth(i).map(String::from).unwrap_or_default()
}

async fn view(
    state: &AppState,
    l: Lang,
    f: IntakeForm,
    errors: HashMap<String, String>,
    error: Option<String>,
    registered: Option<Registered>,
) -> Result<IntakeView, AppError> {
    let choices = |codes: Vec<(&'static str, String)>, keys: &str| -> Vec<Choice> {
        codes
            .into_iter()
            .enumerate()
            .map(|(i, (code, label))| Choice {
                code: code.to_string(),
                label,
                key: key_at(keys, i),
                kind: String::new(),
            })
            .collect()
    };
    let catalogue = &state.settings.catalogue;
    let stations = state.db.stations().await?;
    let point = parse_point(&f.lat, &f.lon).ok().flatten();
    let map = super::map::service_area_svg(&stations, point, l.t("map.title"));
    Ok(IntakeView {
        kinds: choices(
            Kind::ALL
                .iter()
                .map(|k| (k.code(), l.kind(k.code())))
                .collect(),
            KIND_KEYS,
        ),
        priorities: choices(
            Priority::ALL
                .iter()
                .map(|p| (p.code(), l.priority(p.code())))
                .collect(),
            PRIORITY_KEYS,
        ),
        difficulties: choices(
            Difficulty::ALL
                .iter()
                .map(|d| (d.code(), l.difficulty(d.code())))
                .collect(),
            DIFFICULTY_KEYS,
        ),
        categories: catalogue
            .all()
            .iter()
            .enumerate()
            .map(|(i, c)| Choice {
                code: c.code.clone(),
                label: l.category(catalogue, &c.code),
                key: key_at(CATEGORY_KEYS, i),
                kind: c.kind.code().to_string(),
            })
            .collect(),
        stations: stations.into_iter().map(|s| (s.code, s.name)).collect(),
        map,
        f,
        errors,
        error,
        registered,
    })
}

async fn intake_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if !ctx.user.role.has(Permission::RegisterTickets) {
        return Ok(Redirect::to(super::session::home(ctx.user.role)).into_response());
    }
    let v = view(
        &state,
        ctx.l,
        IntakeForm::fresh(),
        HashMap::new(),
        None,
        None,
    )
    .await
    .map_err(|e| ctx.err(e))?;
    Ok(render(&IntakePage {
        c: ctx.chrome("intake", ctx.l.t("intake.title").to_string()),
        l: ctx.l,
        v,
    }))
}

#[derive(Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    phone: String,
}

pub struct AccountView {
    pub index: usize,
    pub account_no: String,
    pub holder: String,
    pub address: String,
    pub area: String,
    pub payment: String,
    pub payment_code: String,
    pub station_code: String,
    pub station_name: String,
}

pub struct TicketLine {
    pub number: String,
    pub status: String,
    pub status_code: String,
    pub open: bool,
    pub category: String,
    pub created: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupFragment {
    l: Lang,
    phone: String,
    searched: bool,
    accounts: Vec<AccountView>,
    tickets: Vec<TicketLine>,
    open_count: usize,
    open_label: String,
    repeat: bool,
}

/// The caller panel: accounts at this phone and the caller's tickets.
async fn lookup(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LookupQuery>,
) -> Result<Response, PageError> {
    ctx.require(Permission::LookUpAccounts)?;
    let l = ctx.l;
    let digits = q.phone.chars().filter(char::is_ascii_digit).count();
    let phone = (digits >= 7)
        .then(|| Phone::parse("phone", &q.phone, &state.settings.config.default_area_code).ok())
        .flatten();
    let Some(phone) = phone else {
        return Ok(render(&LookupFragment {
            l,
            phone: q.phone.trim().to_string(),
            searched: false,
            accounts: Vec::new(),
            tickets: Vec::new(),
            open_count: 0,
            open_label: String::new(),
            repeat: false,
        }));
    };
    let mut accounts = state
        .db
        .accounts_by_phone(phone.as_str())
        .await
        .map_err(|e| ctx.err(e))?;
    if ctx.user.scope().is_some() {
        accounts.retain(|a| a.station_code == ctx.user.station_code);
    }
    let account_nos: Vec<String> = accounts.iter().map(|a| a.account_no.clone()).collect();
    let mut tickets = state
        .db
        .caller_tickets(phone.as_str(), &account_nos, 10)
        .await
        .map_err(|e| ctx.err(e))?;
    tickets.retain(|t| t.visible_to(ctx.user.scope()));
    let now = state.now();
    let open_count = tickets
        .iter()
        .filter(|t| Status::parse(&t.status).is_ok_and(|s| !s.is_terminal()))
        .count();
    // A repeat caller: something still open, or a call in the last 30 days.
    let repeat = open_count > 0
        || tickets
            .iter()
            .any(|t| t.created_at > now.plus_millis(-30 * Timestamp::DAY).millis());
    let catalogue = &state.settings.catalogue;
    Ok(render(&LookupFragment {
        l,
        phone: phone.as_str().to_string(),
        searched: true,
        accounts: accounts
            .into_iter()
            .enumerate()
            .map(|(i, a)| account_view(l, i + 1, a))
            .collect(),
        tickets: tickets
            .into_iter()
            .map(|t| {
                let open = Status::parse(&t.status).is_ok_and(|s| !s.is_terminal());
                TicketLine {
                    status: l.status(&t.status),
                    category: l.category(catalogue, &t.category),
                    created: show_time(&state, t.created_at),
                    description: t.description.chars().take(60).collect(),
                    number: t.number,
                    status_code: t.status,
                    open,
                }
            })
            .collect(),
        open_count,
        open_label: l.tf("intake.open_count", &[("n", &open_count.to_string())]),
        repeat,
    }))
}

fn account_view(l: Lang, index: usize, a: AccountRow) -> AccountView {
    AccountView {
        index,
        address: account_address(&a),
        area: format!("{:.1}", a.area_m2),
        payment: l.payment(&a.payment_state),
        payment_code: a.payment_state,
        station_code: a.station_code.unwrap_or_default(),
        station_name: a.station_name.unwrap_or_default(),
        account_no: a.account_no,
        holder: a.holder,
    }
}

#[derive(Deserialize)]
pub struct ResolveQuery {
    #[serde(default)]
    address: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

/// A station the resolution offers when it is not sure.
pub struct CandidateView {
    pub code: String,
    pub name: String,
    pub score: String,
    pub method: String,
}

#[derive(Template)]
#[template(path = "resolve.html")]
struct ResolveFragment {
    l: Lang,
    /// The station to preselect: only a confident answer's.
    station_code: String,
    station_name: String,
    /// The method (`exact`, `fuzzy`, `gis`, `none`); empty before anything was typed.
    method: String,
    method_label: String,
    /// Confidence in per cent, and as said.
    confidence: String,
    confidence_text: String,
    confident: bool,
    account_no: String,
    candidates: Vec<CandidateView>,
    /// A field error (a point out of range).
    error: String,
}

/// The map point as typed: both empty is no point; one alone or a
/// non-number is an error naming the field.
pub fn parse_point(lat: &str, lon: &str) -> Result<Option<(f64, f64)>, DomainError> {
    let number = |field: &str, v: &str| -> Result<Option<f64>, DomainError> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| DomainError::invalid(field, "not a number"))
    };
    match (number("lat", lat)?, number("lon", lon)?) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => Ok(Some((lat, lon))),
        (Some(_), None) => Err(DomainError::required("lon")),
        (None, Some(_)) => Err(DomainError::required("lat")),
    }
}

/// The live resolution under the address field: the same resolver as the
/// API and registration (text first, the map point as the GIS fallback),
/// its method and confidence, and the candidates when it is not sure.
async fn resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ResolveQuery>,
) -> Result<Response, PageError> {
    ctx.require(Permission::RegisterTickets)?;
    let l = ctx.l;
    let text = q.address.trim();
    let mut view = ResolveFragment {
        l,
        station_code: String::new(),
        station_name: String::new(),
        method: String::new(),
        method_label: String::new(),
        confidence: String::new(),
        confidence_text: String::new(),
        confident: false,
        account_no: String::new(),
        candidates: Vec::new(),
        error: String::new(),
    };
    let point = match parse_point(&q.lat, &q.lon) {
        Ok(p) => p,
        Err(e) => {
            view.error = l.error(e.code(), e.field());
            return Ok(render(&view));
        }
    };
    if text.is_empty() && point.is_none() {
        return Ok(render(&view));
    }
    let r = match state.addresses.current().resolve(text, point) {
        Ok(r) => r,
        Err(e) => {
            let e = DomainError::from(e);
            view.error = l.error(e.code(), e.field());
            return Ok(render(&view));
        }
    };
    let confident = r.is_confident();
    view.method = r.method.code().to_string();
    view.method_label = l.code_name("confidence", r.method.code());
    view.confidence = format!("{:.0}", r.confidence * 100.0);
    view.confidence_text = l.tf("resolve.confidence", &[("n", &view.confidence)]);
    view.confident = confident;
    if let Some(station) = r.station.filter(|_| confident) {
        view.station_code = station.code;
        view.station_name = station.name;
        view.account_no = r.account_no.unwrap_or_default();
    }
    if !confident {
        let mut seen = Vec::new();
        for c in r.candidates {
            let Some(station) = c.station else { continue };
            if seen.contains(&station.code) {
                continue;
            }
            seen.push(station.code.clone());
            view.candidates.push(CandidateView {
                score: format!("{:.0}", c.score * 100.0),
                method: l.code_name("confidence", c.method.code()),
                code: station.code,
                name: station.name,
            });
            if view.candidates.len() == 5 {
                break;
            }
        }
    }
    Ok(render(&view))
}

/// Registers the call; with `intent=dispatch` also dispatches it, with
/// `intent=answer` answers and closes it. Invalid input comes back with
/// every field as typed and the messages next to the fields.
async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<IntakeForm>,
) -> Result<Response, PageError> {
    ctx.require(Permission::RegisterTickets)?;
    let l = ctx.l;
    let htmx = headers.contains_key("hx-request");
    let outcome = try_register(&state, &ctx, &f).await;
    let (form, errors, error, registered) = match outcome {
        Ok(done) => (IntakeForm::fresh(), HashMap::new(), None, Some(done)),
        Err(Failure::Fields(errors)) => (f, errors, None, None),
        Err(Failure::Other(e)) => {
            let message = l.error(e.code(), e.field().as_deref());
            (f, HashMap::new(), Some(message), None)
        }
    };
    let ok = registered.is_some();
    let v = view(&state, l, form, errors, error, registered)
        .await
        .map_err(|e| ctx.err(e))?;
    let mut response = if htmx {
        render(&IntakeFragment { l, v })
    } else {
        render(&IntakePage {
            c: ctx.chrome("intake", l.t("intake.title").to_string()),
            l,
            v,
        })
    };
    if ok {
        response.headers_mut().insert(
            "hx-trigger",
            axum::http::HeaderValue::from_static("heatdesk-registered"),
        );
    } else if !htmx {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

enum Failure {
    Fields(HashMap<String, String>),
    Other(AppError),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::Other(e)
    }
}

/// Maps a form field name to the name the domain uses for it.
fn form_field(domain_field: &str) -> &str {
    match domain_field {
        "caller_phone" => "phone",
        "note" => "answer",
        other => other,
    }
}

async fn try_register(state: &AppState, ctx: &Ctx, f: &IntakeForm) -> Result<Registered, Failure> {
    let l = ctx.l;
    let settings = &state.settings;
    let now = state.now();
    let field_error = |field: &str, e: &DomainError| -> Failure {
        let mut map = HashMap::new();
        map.insert(field.to_string(), l.error(e.code(), e.field()));
        Failure::Fields(map)
    };
    // Every empty required field at once, not one per submit.
    let mut missing = HashMap::new();
    for (field, value) in [
        ("phone", &f.phone),
        ("address", &f.address),
        ("category", &f.category),
        ("description", &f.description),
    ] {
        if value.trim().is_empty() {
            missing.insert(field.to_string(), l.error("required", Some(field)));
        }
    }
    let intent = f.intent.as_str();
    // Without a station, an account, an address or a point there is nothing
    // to dispatch to; otherwise the resolver decides (below).
    if intent == "dispatch"
        && f.station_code.trim().is_empty()
        && f.account_no.trim().is_empty()
        && f.address.trim().is_empty()
        && f.lat.trim().is_empty()
    {
        missing.insert(
            "station_code".to_string(),
            l.error("required", Some("station_code")),
        );
    }
    if intent == "answer" && f.answer.trim().is_empty() {
        missing.insert("answer".to_string(), l.error("required", Some("answer")));
    }
    if !missing.is_empty() {
        return Err(Failure::Fields(missing));
    }
    let point =
        parse_point(&f.lat, &f.lon).map_err(|e| field_error(e.field().unwrap_or("lat"), &e))?;
    let ticket = NewTicket::parse(
        NewTicketInput {
            kind: &f.kind,
            category: &f.category,
            priority: &f.priority,
            difficulty: Some(&f.difficulty),
            channel: None,
            caller_name: &f.caller_name,
            caller_phone: &f.phone,
            address: &f.address,
            description: &f.description,
            account_no: Some(&f.account_no),
            station_code: Some(&f.station_code),
            lat: point.map(|p| p.0),
            lon: point.map(|p| p.1),
        },
        &settings.catalogue,
        &settings.config.default_area_code,
    )
    .map_err(|e| field_error(form_field(e.field().unwrap_or("")), &e))?;
    let answer = if intent == "answer" {
        Some(
            Action::Answer {
                note: f.answer.clone(),
            }
            .validate(now)
            .map_err(|e| field_error("answer", &e))?,
        )
    } else {
        None
    };
    let station = crate::api::tickets::responsible_station(state, &ticket)
        .await
        .map_err(|e| match e {
            AppError::Domain(d) => field_error(form_field(d.field().unwrap_or("")), &d),
            other => Failure::Other(other),
        })?;
    let dispatch = intent == "dispatch";
    if dispatch && station.is_none() {
        return Err(field_error(
            "station_code",
            &DomainError::required("station_code"),
        ));
    }
    let row = state
        .db
        .register_ticket(
            &ticket,
            station.as_ref(),
            dispatch,
            &ctx.user.actor(),
            now,
            &now.day_key(settings.tz),
        )
        .await
        .map_err(AppError::from)?;
    metrics::counter!("heatdesk_tickets_registered_total", "kind" => row.kind.clone()).increment(1);
    let row = match answer {
        Some(action) => state
            .db
            .act_on_ticket(&row.number, &action, &ctx.user.actor(), now)
            .await
            .map_err(AppError::from)?,
        None => row,
    };
    let message = match (intent, &row.station_name) {
        ("dispatch", Some(name)) => l.tf("intake.done.dispatched", &[("station", name)]),
        ("answer", _) => l.t("intake.done.answered").to_string(),
        _ => l.t("intake.done.registered").to_string(),
    };
    Ok(Registered {
        status: l.status(&row.status),
        number: row.number,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_both_or_neither() {
        assert_eq!(parse_point("", " "), Ok(None));
        assert_eq!(parse_point("45.7", "126.6"), Ok(Some((45.7, 126.6))));
        assert!(parse_point("45.7", "").is_err());
        assert!(parse_point("x", "126.6").is_err());
    }

    #[test]
    fn shortcut_keys_do_not_collide() {
        let all: Vec<char> = [CATEGORY_KEYS, KIND_KEYS, PRIORITY_KEYS, DIFFICULTY_KEYS]
            .concat()
            .chars()
            .collect();
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(all.len(), unique.len());
    }
}
