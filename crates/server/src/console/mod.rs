//! The web console: server-rendered pages (askama) with vendored htmx and a
//! little JavaScript of our own (static/console.js) for keyboard shortcuts,
//! drafts and live updates.
//!
//! Handlers are thin: they parse the form into domain types, call the store
//! and render a template. Every word goes through [`crate::i18n::Lang`];
//! errors are rendered as localized HTML keyed by [`AppError::code`] and field.

pub mod admin;
pub mod assets;
pub mod clocks;
pub mod events;
pub mod field;
pub mod intake;
pub mod map;
pub mod messages;
pub mod queues;
pub mod session;
pub mod station;
pub mod ticket;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{Permission, Role, Timestamp};

use crate::auth::CurrentUser;
use crate::i18n::Lang;
use crate::{AppError, AppState};

pub const LANG_COOKIE: &str = "heatdesk_lang";

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(session::routes())
        .merge(intake::routes())
        .merge(queues::routes())
        .merge(ticket::routes())
        .merge(events::routes())
        .merge(field::routes())
        .merge(station::routes())
        .merge(admin::routes())
        .merge(messages::routes())
        .layer(axum::middleware::from_fn(same_origin))
        .merge(assets::routes())
}

/// Who is looking, in which language: the extractor of every signed-in page.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub user: CurrentUser,
    pub l: Lang,
}

impl Ctx {
    pub fn require(&self, permission: Permission) -> Result<(), PageError> {
        self.user
            .require(permission)
            .map_err(|e| PageError::new(e, self.l))
    }

    /// The page chrome: navigation for this user's role.
    pub fn chrome(&self, active: &'static str, title: String) -> Chrome {
        Chrome::new(self.l, Some(&self.user), active, title)
    }

    /// An error of this request, rendered in this user's language.
    pub fn err(&self, e: impl Into<AppError>) -> PageError {
        PageError::new(e.into(), self.l)
    }
}

/// The language of a request without a signed-in user: cookie, then Accept-Language.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    let cookie = cookie(headers, LANG_COOKIE);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(None, cookie.as_deref(), accept)
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await;
        let cookie = cookie(&parts.headers, LANG_COOKIE);
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        match user {
            Ok(user) => {
                let l = Lang::negotiate(user.locale.as_deref(), cookie.as_deref(), accept);
                Ok(Ctx { user, l })
            }
            Err(e) => {
                let l = Lang::negotiate(None, cookie.as_deref(), accept);
                let mut err = PageError::new(e, l);
                err.next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .filter(|_| parts.method == axum::http::Method::GET);
                err.fragment = parts.headers.contains_key("hx-request")
                    || parts.uri.path() == "/console/events";
                Err(err)
            }
        }
    }
}

/// What the layout needs: language, user and navigation.
pub struct Chrome {
    pub l: Lang,
    pub title: String,
    pub active: &'static str,
    pub user_name: String,
    pub role_name: String,
    pub station: String,
    pub signed_in: bool,
    pub nav: Vec<NavItem>,
    pub asset_v: &'static str,
    /// The other language, offered by the switch.
    pub other: Lang,
}

pub struct NavItem {
    pub href: &'static str,
    pub key: &'static str,
    pub id: &'static str,
    pub label: String,
}

impl Chrome {
    pub fn new(l: Lang, user: Option<&CurrentUser>, active: &'static str, title: String) -> Self {
        let mut nav = Vec::new();
        let mut item = |href, id, key| {
            nav.push(NavItem {
                href,
                key,
                id,
                label: l.t(key).to_string(),
            })
        };
        if let Some(u) = user {
            if u.role.has(Permission::RegisterTickets) {
                item("/", "intake", "nav.intake");
            }
            item("/queues", "queues", "nav.queues");
            if u.role.needs_station() || u.role == Role::Admin {
                item("/station", "station", "nav.station");
            }
            if u.role.has(Permission::SeeAllStations) {
                item("/messages", "messages", "nav.messages");
            }
            if u.role.has(Permission::Administer) {
                item("/admin/users", "admin", "nav.admin");
            }
        }
        Chrome {
            l,
            title,
            active,
            user_name: user.map(|u| u.display_name.clone()).unwrap_or_default(),
            role_name: user.map(|u| l.role(u.role.code())).unwrap_or_default(),
            station: user
                .and_then(|u| u.station_code.clone())
                .unwrap_or_default(),
            signed_in: user.is_some(),
            nav,
            asset_v: assets::version(),
            other: if l == Lang::Zh { Lang::En } else { Lang::Zh },
        }
    }
}

/// An error on a console page: a localized HTML page (or, for an htmx
/// fragment, a small localized notice); a missing sign-in goes to the sign-in page.
#[derive(Debug)]
pub struct PageError {
    pub error: AppError,
    pub l: Lang,
    /// Where to come back after signing in.
    pub next: Option<String>,
    /// The request wanted a fragment, not a page.
    pub fragment: bool,
}

impl PageError {
    pub fn new(error: AppError, l: Lang) -> Self {
        PageError {
            error,
            l,
            next: None,
            fragment: false,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    l: Lang,
    message: String,
    status: u16,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let l = self.l;
        if let AppError::Internal(e) = &self.error {
            tracing::error!(error = %format!("{e:#}"), "internal error on a console page");
        }
        if matches!(self.error, AppError::Unauthorized) {
            if self.fragment {
                // htmx follows this header with a full navigation.
                return (
                    StatusCode::UNAUTHORIZED,
                    [("hx-redirect", "/signin".to_string())],
                    l.t("error.unauthorized").to_string(),
                )
                    .into_response();
            }
            let target = match self.next.filter(|n| n != "/") {
                Some(next) => format!("/signin?next={}", encode(&next)),
                None => "/signin".to_string(),
            };
            return Redirect::to(&target).into_response();
        }
        let status = self.error.status();
        let message = l.error(self.error.code(), self.error.field().as_deref());
        if self.fragment {
            return (
                status,
                Html(format!(
                    "<p class=\"notice error\" role=\"alert\">{}</p>",
                    escape(&message)
                )),
            )
                .into_response();
        }
        let page = ErrorPage {
            c: Chrome::new(l, None, "", l.t("page.error").to_string()),
            l,
            message,
            status: status.as_u16(),
        };
        (status, render(&page)).into_response()
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::new(e, Lang::default())
    }
}

/// Renders a template, or a plain 500 if the template itself fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a template");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A local path to return to after a form: only `/…`, never `//host`.
/// Reads posted form pairs into `T`, collecting the fields named in `lists`
/// (checkboxes, repeated rows) into arrays; for other fields the last wins.
/// `T`'s fields must all be strings or lists of strings.
pub fn form_with_lists<T: serde::de::DeserializeOwned + Default>(
    pairs: Vec<(String, String)>,
    lists: &[&str],
) -> T {
    let mut map = serde_json::Map::new();
    for (key, value) in pairs {
        if lists.contains(&key.as_str()) {
            if let serde_json::Value::Array(items) = map
                .entry(key)
                .or_insert_with(|| serde_json::Value::Array(Vec::new()))
            {
                items.push(value.into());
            }
        } else {
            map.insert(key, value.into());
        }
    }
    serde_json::from_value(serde_json::Value::Object(map)).unwrap_or_default()
}

/// The error of a list field or of any of its items (`readings[2].celsius`).
pub fn error_under<'a>(
    errors: &'a std::collections::HashMap<String, String>,
    list: &str,
) -> &'a str {
    errors
        .iter()
        .find(|(k, _)| k.as_str() == list || k.starts_with(&format!("{list}[")))
        .map_or("", |(_, v)| v.as_str())
}

/// Row `i` of a repeated form field, or nothing.
pub fn row_of(list: &[String], i: usize) -> &str {
    list.get(i).map_or("", String::as_str)
}

pub fn safe_back(back: Option<&str>, default: &str) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_string(),
        _ => default.to_string(),
    }
}

/// A time in the configured zone, to the second: `2026-12-04 09:05:00`.
pub fn show_time(state: &AppState, ms: i64) -> String {
    Timestamp(ms)
        .to_utc()
        .with_timezone(&state.settings.tz)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Simple CSRF defence for the console's forms (on top of SameSite=Lax
/// cookies): a state-changing request whose Origin (or, without one, Referer)
/// names another host than the one it was sent to is refused.
pub async fn same_origin(request: Request, next: Next) -> Response {
    let method = request.method();
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        return next.run(request).await;
    }
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    if let Some(origin) = origin {
        let origin_host = origin
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""));
        if origin == "null" || origin_host != host {
            let l = request_lang(headers);
            return PageError::new(AppError::Forbidden, l).into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_links_stay_local() {
        assert_eq!(safe_back(Some("/station"), "/"), "/station");
        assert_eq!(safe_back(Some("//evil.example"), "/"), "/");
        assert_eq!(safe_back(Some("https://evil.example"), "/"), "/");
        assert_eq!(safe_back(None, "/queues"), "/queues");
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode("/queues?q=幸福"), "/queues%3Fq%3D%E5%B9%B8%E7%A6%8F");
    }
}
