//! The OpenAPI description and the vendored Swagger UI that shows it.

use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "heatdesk API", description = "Customer service and repair dispatch for district heating. \
        Errors are RFC 9457 problem documents with a stable `code` and the offending `field`."),
    paths(
        super::tickets::create_ticket, super::tickets::list_tickets, super::tickets::get_ticket,
        super::tickets::act_on_ticket, super::registers::list_accounts, super::registers::list_stations, super::registers::list_station_staff,
        super::registers::list_categories, super::registers::resolve, super::session::login, super::session::logout, super::session::me,
        super::messages::list_messages,
        super::attachments::list_attachments, super::attachments::get_attachment,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/openapi.json",
            get(|| async { Json(ApiDoc::openapi()) }),
        )
        .route("/api/docs", get(|| async { Html(SWAGGER_PAGE) }))
        .route(
            "/static/vendor/swagger-ui/swagger-ui-bundle.js",
            get(|| async { asset("text/javascript", SWAGGER_JS) }),
        )
        .route(
            "/static/vendor/swagger-ui/swagger-ui.css",
            get(|| async { asset("text/css", SWAGGER_CSS) }),
        )
}

const SWAGGER_JS: &[u8] = include_bytes!("../../static/vendor/swagger-ui/swagger-ui-bundle.js");
const SWAGGER_CSS: &[u8] = include_bytes!("../../static/vendor/swagger-ui/swagger-ui.css");

fn asset(content_type: &'static str, body: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}

const SWAGGER_PAGE: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>heatdesk API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui" });</script>
</body></html>"##;
