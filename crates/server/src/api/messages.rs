//! The message log over JSON: what the outbox sent, to whom, and how it went.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use domain::{DomainError, Permission, Timestamp};
use serde::{Deserialize, Serialize};
use store::outbox::{MessageFilter, MessageRow};
use utoipa::{IntoParams, ToSchema};

use super::ApiQuery;
use crate::auth::CurrentUser;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/messages", get(list_messages))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// Only the messages about this ticket.
    pub ticket: Option<String>,
    /// pending | sent | failed
    pub state: Option<String>,
    /// The ticket event that caused them: dispatched, warned, escalated, …
    pub event: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// 1–500, default 100.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageJson {
    pub id: i64,
    pub ticket: Option<String>,
    pub event: String,
    /// sms | email
    pub channel: String,
    pub to: String,
    pub recipient_name: String,
    pub position: String,
    pub text: String,
    /// pending | sent | failed
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub idempotency_key: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub next_attempt_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage {
    pub items: Vec<MessageJson>,
    pub next_cursor: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/messages", tag = "messages", params(MessageQuery),
    responses((status = 200, body = MessagePage), (status = 403, body = crate::error::Problem)))]
pub async fn list_messages(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> Result<Json<MessagePage>, AppError> {
    user.require(Permission::SeeAllStations)?;
    let ticket_id = match q.ticket.as_deref() {
        Some(number) => Some(
            state
                .db
                .ticket(number)
                .await?
                .ok_or_else(|| DomainError::unknown("ticket", number))?
                .id,
        ),
        None => None,
    };
    if let Some(s) = q.state.as_deref()
        && !["pending", "sent", "failed"].contains(&s)
    {
        return Err(DomainError::unknown("state", s).into());
    }
    if let Some(e) = q.event.as_deref() {
        domain::EventKind::parse(e)?;
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(DomainError::invalid("limit", "must be between 1 and 500").into());
    }
    let rows = state
        .db
        .messages(&MessageFilter {
            ticket_id,
            state: q.state,
            event: q.event,
            before_id: q.cursor,
            limit,
            ..Default::default()
        })
        .await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|m| m.id))
        .flatten();
    Ok(Json(MessagePage {
        items: rows.into_iter().map(|m| message_json(&state, m)).collect(),
        next_cursor,
    }))
}

fn message_json(state: &AppState, m: MessageRow) -> MessageJson {
    let time = |ms: i64| Timestamp(ms).rfc3339(state.settings.tz);
    MessageJson {
        id: m.id,
        ticket: m.ticket_number,
        event: m.event,
        channel: m.channel,
        to: m.recipient,
        recipient_name: m.recipient_name,
        position: m.position,
        text: m.text,
        // A pending message's next attempt is only meaningful while pending.
        next_attempt_at: m.next_attempt_at.filter(|_| m.state == "pending").map(time),
        state: m.state,
        attempts: m.attempts,
        last_error: m.last_error,
        idempotency_key: m.idempotency_key,
        created_at: time(m.created_at),
        sent_at: m.sent_at.map(time),
    }
}
