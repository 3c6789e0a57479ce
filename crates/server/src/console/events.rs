//! Live updates: a server-sent event per ticket change, from the change feed
//! (which on PostgreSQL carries other instances' changes too). A station user
//! hears only of tickets at their station.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::Stream;
use store::Change;
use tokio::sync::broadcast::error::RecvError;

use super::{Ctx, PageError};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/events", get(events))
}

/// A stream ends after this long; the browser's EventSource reconnects at
/// once. It keeps a server's graceful shutdown from waiting on open pages forever.
const STREAM_LIFETIME: Duration = Duration::from_secs(300);

async fn events(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    let rx = state.db.feed().subscribe();
    let scope = ctx.user.scope();
    let deadline = tokio::time::Instant::now() + STREAM_LIFETIME;
    let stream = futures::stream::unfold(rx, move |mut rx| async move {
        loop {
            let next = tokio::time::timeout_at(deadline, rx.recv()).await;
            match next {
                Err(_) | Ok(Err(RecvError::Closed)) => return None,
                // Missed changes: tell the page to refresh everything.
                Ok(Err(RecvError::Lagged(_))) => {
                    return Some((Ok(Event::default().event("resync").data("{}")), rx));
                }
                Ok(Ok(Change::Ticket {
                    number,
                    status,
                    station_id,
                    left_station_id,
                })) => {
                    // A station's pages hear of its tickets, and of one
                    // redirected away from it (to drop it).
                    if let Some(scope) = scope
                        && left_station_id != Some(scope)
                        && (station_id != Some(scope) || status == "registered")
                    {
                        continue;
                    }
                    let data = serde_json::json!({ "number": number, "status": status });
                    return Some((
                        Ok(Event::default().event("ticket").data(data.to_string())),
                        rx,
                    ));
                }
                Ok(Ok(Change::Registers)) => continue,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))))
}
