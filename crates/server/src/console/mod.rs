//! The web console: server-rendered pages (askama) with vendored htmx.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
