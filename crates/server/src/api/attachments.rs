//! A ticket's files over JSON: the photos and the customer's signature sent
//! with a result on the phone pages, listed and served with the ticket's own
//! visibility (a station-bound user sees only their station's tickets).

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use domain::Timestamp;
use serde::Serialize;
use store::attachments::AttachmentMeta;
use store::tickets::TicketRow;
use utoipa::ToSchema;

use super::ApiQuery;
use crate::auth::CurrentUser;
use crate::photos::{self, Size, SizeQuery};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/tickets/{number}/attachments",
            get(list_attachments),
        )
        .route(
            "/api/v1/tickets/{number}/attachments/{id}",
            get(get_attachment),
        )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentJson {
    pub id: i64,
    /// photo | signature
    pub kind: String,
    /// image/jpeg for photos, image/png for signatures
    pub content_type: String,
    /// Size of the file itself (not of its thumbnail).
    pub size_bytes: i64,
    /// The ticket event (`seq` in the ticket's `events`) the file came with.
    pub event_seq: i64,
    pub created_by: String,
    pub created_at: String,
    /// The file's bytes.
    pub href: String,
    /// A thumbnail of at most 320 px (JPEG), or the file itself when it has
    /// none (a signature, a small photo).
    pub thumb_href: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentList {
    pub ticket: String,
    /// Oldest first.
    pub items: Vec<AttachmentJson>,
}

/// The ticket when this user may see it; 404 otherwise, as for the ticket itself.
async fn visible_ticket(
    state: &AppState,
    user: &CurrentUser,
    number: &str,
) -> Result<TicketRow, AppError> {
    state
        .db
        .ticket(number)
        .await?
        .filter(|t| t.visible_to(user.scope()))
        .ok_or_else(|| AppError::NotFound {
            what: "ticket",
            key: number.to_string(),
        })
}

#[utoipa::path(get, path = "/api/v1/tickets/{number}/attachments", tag = "tickets",
    params(("number" = String, Path, description = "Ticket number")),
    responses((status = 200, body = AttachmentList), (status = 404, body = crate::error::Problem)))]
pub async fn list_attachments(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(number): Path<String>,
) -> Result<Json<AttachmentList>, AppError> {
    let t = visible_ticket(&state, &user, &number).await?;
    let items = state
        .db
        .attachments(t.id)
        .await?
        .into_iter()
        .map(|a| attachment_json(&state, &t.number, a))
        .collect();
    Ok(Json(AttachmentList {
        ticket: t.number,
        items,
    }))
}

#[utoipa::path(get, path = "/api/v1/tickets/{number}/attachments/{id}", tag = "tickets",
    params(("number" = String, Path, description = "Ticket number"),
        ("id" = i64, Path, description = "Attachment id"), SizeQuery),
    responses(
        (status = 200, description = "The file's bytes (or its thumbnail)",
            content(("image/jpeg"), ("image/png"))),
        (status = 404, body = crate::error::Problem),
        (status = 422, description = "`size` is neither full nor thumb", body = crate::error::Problem)))]
pub async fn get_attachment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((number, id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<SizeQuery>,
) -> Result<Response, AppError> {
    let t = visible_ticket(&state, &user, &number).await?;
    let size = q.size()?;
    let not_found = || AppError::NotFound {
        what: "attachment",
        key: id.chars().take(40).collect(),
    };
    // An id that is not a number names no file.
    let file_id: i64 = id.trim().parse().map_err(|_| not_found())?;
    let (content_type, bytes) = state
        .db
        .attachment_file(t.id, file_id, size == Size::Thumb)
        .await?
        .ok_or_else(not_found)?;
    Ok(photos::file_response(content_type, bytes))
}

fn attachment_json(state: &AppState, number: &str, a: AttachmentMeta) -> AttachmentJson {
    let href = format!("/api/v1/tickets/{number}/attachments/{}", a.id);
    AttachmentJson {
        id: a.id,
        thumb_href: format!("{href}?size=thumb"),
        href,
        kind: a.kind,
        content_type: a.content_type,
        size_bytes: a.size_bytes,
        event_seq: a.event_seq,
        created_by: a.created_by,
        created_at: Timestamp(a.created_at).rfc3339(state.settings.tz),
    }
}
