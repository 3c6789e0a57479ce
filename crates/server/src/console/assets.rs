//! The console's own stylesheet and script, and the vendored htmx, embedded
//! in the binary. Pages link them with `?v=` + a hash of their content, so
//! they can be cached for long and still change with a new build.

use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::AppState;

const CSS: &[u8] = include_bytes!("../../static/console.css");
const JS: &[u8] = include_bytes!("../../static/console.js");
const FIELD_CSS: &[u8] = include_bytes!("../../static/field.css");
const FIELD_JS: &[u8] = include_bytes!("../../static/field.js");
const HTMX: &[u8] = include_bytes!("../../static/vendor/htmx/htmx.min.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/static/console.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/static/console.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            "/static/field.css",
            get(|| async { asset("text/css; charset=utf-8", FIELD_CSS) }),
        )
        .route(
            "/static/field.js",
            get(|| async { asset("text/javascript; charset=utf-8", FIELD_JS) }),
        )
        .route(
            "/static/vendor/htmx/htmx.min.js",
            get(|| async { asset("text/javascript; charset=utf-8", HTMX) }),
        )
}

fn asset(content_type: &'static str, body: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=604800, immutable"),
        ],
        body,
    )
}

/// A short hash of the embedded assets, for cache-busting links.
pub fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut h = Sha256::new();
        for part in [CSS, JS, HTMX, FIELD_CSS, FIELD_JS] {
            h.update(part);
        }
        h.finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}
