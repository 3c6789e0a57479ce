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
        stations: state
            .db
            .stations()
            .await?
            .into_iter()
            .map(|s| (s.code, s.name))
            .collect(),
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
}

#[derive(Template)]
#[template(path = "resolve.html")]
struct ResolveFragment {
    l: Lang,
    station_code: String,
    station_name: String,
    /// `exact`, `building`, `community`, `ambiguous` or `none`; empty before anything was typed.
    confidence: String,
    confidence_label: String,
    account_no: String,
}

/// How sure the address → station resolution is.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub station_code: Option<String>,
    pub station_name: Option<String>,
    pub confidence: &'static str,
    pub account_no: Option<String>,
}

/// The parts of a typed address: `幸福小区3栋2单元501` → community, building, unit, room.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AddressParts {
    pub prefix: String,
    pub building: String,
    pub unit: Option<String>,
    pub room: Option<String>,
}

/// Splits at the first digit: the text before is the community (with any
/// district/street prefix), then building, unit and room numbers in order.
pub fn parse_address(text: &str) -> Option<AddressParts> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let first_digit = text.find(|c: char| c.is_ascii_digit())?;
    let prefix = text[..first_digit].to_string();
    if prefix.is_empty() {
        return None;
    }
    let numbers: Vec<String> = text[first_digit..]
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut it = numbers.into_iter();
    Some(AddressParts {
        prefix,
        building: it.next()?,
        unit: it.next(),
        room: it.next(),
    })
}

/// Candidate community names in a prefix: the whole, then what follows each
/// district/street marker (`南岗区光华街幸福小区` → `光华街幸福小区`, `幸福小区`).
pub fn community_candidates(prefix: &str) -> Vec<String> {
    let mut out = vec![prefix.to_string()];
    for (i, c) in prefix.char_indices() {
        if matches!(
            c,
            '市' | '区' | '县' | '街' | '路' | '道' | '镇' | '乡' | '号'
        ) {
            let rest = &prefix[i + c.len_utf8()..];
            if !rest.is_empty() {
                out.push(rest.to_string());
            }
        }
    }
    out
}

/// Exact lookup of a typed address in the account register (the address
/// issue replaces this with fuzzy and GIS-backed matching).
pub async fn resolve_address(state: &AppState, text: &str) -> Result<Resolution, AppError> {
    let none = Resolution {
        station_code: None,
        station_name: None,
        confidence: "none",
        account_no: None,
    };
    let Some(parts) = parse_address(text) else {
        return Ok(none);
    };
    let mut community = None;
    for candidate in community_candidates(&parts.prefix) {
        if state.db.community_exists(&candidate).await? {
            community = Some(candidate);
            break;
        }
    }
    let Some(community) = community else {
        return Ok(none);
    };
    if let (Some(unit), Some(room)) = (&parts.unit, &parts.room) {
        let exact = state
            .db
            .accounts_in_building(&community, &parts.building, Some(unit), Some(room))
            .await?;
        if let [a] = exact.as_slice() {
            return Ok(Resolution {
                station_code: a.station_code.clone(),
                station_name: a.station_name.clone(),
                confidence: "exact",
                account_no: Some(a.account_no.clone()),
            });
        }
    }
    let building = state
        .db
        .accounts_in_building(&community, &parts.building, None, None)
        .await?;
    let mut stations: Vec<(Option<String>, Option<String>)> = building
        .iter()
        .map(|a| (a.station_code.clone(), a.station_name.clone()))
        .collect();
    stations.sort();
    stations.dedup();
    Ok(match stations.as_slice() {
        [(code, name)] => Resolution {
            station_code: code.clone(),
            station_name: name.clone(),
            confidence: "building",
            account_no: None,
        },
        [] => none,
        [(code, name), ..] => Resolution {
            station_code: code.clone(),
            station_name: name.clone(),
            confidence: "ambiguous",
            account_no: None,
        },
    })
}

async fn resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ResolveQuery>,
) -> Result<Response, PageError> {
    ctx.require(Permission::RegisterTickets)?;
    let text = q.address.trim();
    if text.is_empty() {
        return Ok(render(&ResolveFragment {
            l: ctx.l,
            station_code: String::new(),
            station_name: String::new(),
            confidence: String::new(),
            confidence_label: String::new(),
            account_no: String::new(),
        }));
    }
    let r = resolve_address(&state, text)
        .await
        .map_err(|e| ctx.err(e))?;
    Ok(render(&ResolveFragment {
        l: ctx.l,
        station_code: r.station_code.unwrap_or_default(),
        station_name: r.station_name.unwrap_or_default(),
        confidence: r.confidence.to_string(),
        confidence_label: ctx.l.code_name("confidence", r.confidence),
        account_no: r.account_no.unwrap_or_default(),
    }))
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
    if intent == "dispatch" && f.station_code.trim().is_empty() && f.account_no.trim().is_empty() {
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
            lat: None,
            lon: None,
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
    fn addresses_split_into_parts() {
        let p = parse_address("幸福小区3栋2单元501").unwrap();
        assert_eq!(p.prefix, "幸福小区");
        assert_eq!(p.building, "3");
        assert_eq!(p.unit.as_deref(), Some("2"));
        assert_eq!(p.room.as_deref(), Some("501"));
        let p = parse_address("南岗区光华街 幸福小区 3-2-501").unwrap();
        assert_eq!(p.prefix, "南岗区光华街幸福小区");
        assert_eq!(
            (p.unit.as_deref(), p.room.as_deref()),
            (Some("2"), Some("501"))
        );
        assert!(parse_address("幸福小区").is_none());
        assert!(parse_address("35号").is_none());
        assert_eq!(
            community_candidates("南岗区光华街幸福小区"),
            vec!["南岗区光华街幸福小区", "光华街幸福小区", "幸福小区"]
        );
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
