//! Files kept with a ticket: photos of the work and the customer's
//! signature. They are written only inside a ticket command's transaction
//! (see [`crate::tickets::CommandExtras`]), so a resolution is stored with
//! all its files or not at all.

use crate::tickets::{SELECT, TicketRow, push_common_filters};
use crate::{Db, Result, Sql};
use domain::{Status, Timestamp};

/// `photo` or `signature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    Photo,
    Signature,
}

impl AttachmentKind {
    pub fn code(self) -> &'static str {
        match self {
            AttachmentKind::Photo => "photo",
            AttachmentKind::Signature => "signature",
        }
    }
}

/// A file about to be stored (already checked and resized by the caller).
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub kind: AttachmentKind,
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// A small JPEG of a photo for lists, when one was made (`None` for a
    /// signature, or a photo already as small as a thumbnail).
    pub thumb: Option<Vec<u8>>,
}

/// What a page lists about a stored file (without its bytes).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AttachmentMeta {
    pub id: i64,
    pub ticket_id: i64,
    pub event_seq: i64,
    pub kind: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_by: String,
    pub created_at: i64,
}

pub(crate) async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ticket_id: i64,
    event_seq: i64,
    a: &NewAttachment,
    actor: &str,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_attachments (ticket_id, event_seq, kind, content_type, size_bytes, bytes, thumb, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(ticket_id)
    .bind(event_seq)
    .bind(a.kind.code())
    .bind(a.content_type.clone())
    .bind(a.bytes.len() as i64)
    .bind(a.bytes.clone())
    .bind(a.thumb.clone())
    .bind(actor.to_string())
    .bind(at.millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The states a repairer still has work in.
pub const FIELD_STATES: [Status; 5] = [
    Status::Dispatched,
    Status::Accepted,
    Status::Contacted,
    Status::Scheduled,
    Status::OnSite,
];

impl Db {
    /// The files of a ticket, oldest first, without their bytes.
    pub async fn attachments(&self, ticket_id: i64) -> Result<Vec<AttachmentMeta>> {
        let mut rows: Vec<AttachmentMeta> = sqlx::query_as(
            "SELECT id, ticket_id, event_seq, kind, content_type, size_bytes, created_by, created_at \
             FROM ticket_attachments WHERE ticket_id = $1",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        rows.sort_by_key(|a| a.id);
        Ok(rows)
    }

    /// One file of a ticket: its content type and bytes.
    pub async fn attachment(&self, ticket_id: i64, id: i64) -> Result<Option<(String, Vec<u8>)>> {
        self.attachment_file(ticket_id, id, false).await
    }

    /// One file of a ticket, or its thumbnail when `thumb` is asked for and
    /// there is one (a signature, a small photo or a row stored before
    /// thumbnails has none: then the file itself).
    pub async fn attachment_file(
        &self,
        ticket_id: i64,
        id: i64,
        thumb: bool,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let sql = if thumb {
            "SELECT CASE WHEN thumb IS NULL THEN content_type ELSE 'image/jpeg' END, \
             COALESCE(thumb, bytes) FROM ticket_attachments WHERE ticket_id = $1 AND id = $2"
        } else {
            "SELECT content_type, bytes FROM ticket_attachments WHERE ticket_id = $1 AND id = $2"
        };
        Ok(sqlx::query_as(sql)
            .bind(ticket_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A repairer's open work, most recently changed first: the tickets
    /// assigned to `staff_id` when given, otherwise every open ticket of
    /// `station_scope` (every station's when `None`).
    pub async fn field_tickets(
        &self,
        staff_id: Option<i64>,
        station_scope: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TicketRow>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE 1 = 1");
        push_common_filters(&mut sql, &FIELD_STATES, None, None, None, station_scope);
        if let Some(staff) = staff_id {
            sql.push(" AND t.id IN (SELECT ticket_id FROM ticket_assignments WHERE staff_id = ")
                .bind_int(staff)
                .push(")");
        }
        sql.push(&format!(
            " ORDER BY t.updated_at DESC, t.id DESC LIMIT {}",
            limit.clamp(1, 500)
        ));
        Ok(sql.query_as().fetch_all(&self.pool).await?)
    }
}
