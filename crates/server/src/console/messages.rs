//! The message log: every SMS and e-mail the outbox holds, with its delivery
//! state — per ticket (on the ticket page) and overall here, for admins,
//! managers and operators. Managers find the escalations under the
//! `escalated` filter; admins see permanent failures and can send again.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use domain::{DomainError, Permission};
use serde::Deserialize;
use store::outbox::{MessageCounts, MessageFilter, MessageRow};

use super::{Chrome, Ctx, PageError, encode, render, show_time};
use crate::AppState;
use crate::i18n::Lang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/messages", get(messages_page))
        .route("/messages/{id}/retry", post(retry))
}

const PAGE: i64 = 100;
pub const STATES: [&str; 3] = ["pending", "sent", "failed"];

pub struct MessageView {
    pub id: i64,
    pub ticket: String,
    pub event: String,
    pub channel: String,
    pub to: String,
    pub position: String,
    pub text: String,
    pub state: String,
    pub state_label: String,
    pub attempts: i64,
    pub error: String,
    pub created: String,
    pub sent: String,
}

pub fn view(state: &AppState, l: Lang, m: MessageRow) -> MessageView {
    MessageView {
        id: m.id,
        ticket: m.ticket_number.unwrap_or_default(),
        event: l.event(&m.event),
        channel: l.code_name("channel_msg", &m.channel),
        to: format!("{} {}", m.recipient_name, m.recipient),
        position: l.code_name("position", &m.position),
        text: m.text,
        state_label: l.code_name("msg_state", &m.state),
        state: m.state,
        attempts: m.attempts,
        error: m.last_error.unwrap_or_default(),
        created: show_time(state, m.created_at),
        sent: m.sent_at.map(|t| show_time(state, t)).unwrap_or_default(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LogQuery {
    state: String,
    event: String,
    before: String,
    /// `1`: only the messages sent to me; `0`: everyone's. A manager linked
    /// to the staff register starts with their own.
    mine: String,
}

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    c: Chrome,
    l: Lang,
    rows: Vec<MessageView>,
    counts: MessageCounts,
    state: String,
    event: String,
    states: Vec<(String, String)>,
    events: Vec<(String, String)>,
    next_href: String,
    can_retry: bool,
    /// The user is on the staff register: "mine" is offered.
    linked: bool,
    mine: bool,
}

async fn messages_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LogQuery>,
) -> Result<Response, PageError> {
    // Station users see their tickets' messages on the ticket pages.
    ctx.require(Permission::SeeAllStations)?;
    let l = ctx.l;
    let bad = |field: &str, value: &str| ctx.err(DomainError::unknown(field, value));
    if !q.state.is_empty() && !STATES.contains(&q.state.as_str()) {
        return Err(bad("state", &q.state));
    }
    if !q.event.is_empty() {
        domain::EventKind::parse(&q.event).map_err(|e| ctx.err(e))?;
    }
    let before_id = match q.before.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| bad("before", text))?),
    };
    let mine = ctx.user.staff_id.is_some()
        && match q.mine.as_str() {
            "1" => true,
            "0" => false,
            _ => ctx.user.role == domain::Role::Manager,
        };
    let filter = MessageFilter {
        staff_id: ctx.user.staff_id.filter(|_| mine),
        state: (!q.state.is_empty()).then(|| q.state.clone()),
        event: (!q.event.is_empty()).then(|| q.event.clone()),
        before_id,
        limit: PAGE,
        ..Default::default()
    };
    let rows = state.db.messages(&filter).await.map_err(|e| ctx.err(e))?;
    let next_href = match rows.last() {
        Some(last) if rows.len() as i64 == PAGE => format!(
            "/messages?state={}&event={}&mine={}&before={}",
            encode(&q.state),
            encode(&q.event),
            u8::from(mine),
            last.id
        ),
        _ => String::new(),
    };
    let counts = state.db.message_counts().await.map_err(|e| ctx.err(e))?;
    let page = MessagesPage {
        c: ctx.chrome("messages", l.t("nav.messages").to_string()),
        l,
        rows: rows.into_iter().map(|m| view(&state, l, m)).collect(),
        counts,
        states: STATES
            .iter()
            .map(|s| (s.to_string(), l.code_name("msg_state", s)))
            .collect(),
        events: [
            "dispatched",
            "redirected",
            "reopened",
            "warned",
            "escalated",
        ]
        .iter()
        .map(|e| (e.to_string(), l.event(e)))
        .collect(),
        state: q.state,
        event: q.event,
        next_href,
        can_retry: ctx.user.role.has(Permission::Administer),
        linked: ctx.user.staff_id.is_some(),
        mine,
    };
    Ok(render(&page))
}

/// Sends a permanently failed message again (after the gateway or the
/// number was fixed).
async fn retry(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Redirect, PageError> {
    ctx.require(Permission::Administer)?;
    state
        .db
        .retry_message(id, state.now())
        .await
        .map_err(|e| ctx.err(e))?;
    Ok(Redirect::to("/messages?state=failed"))
}
