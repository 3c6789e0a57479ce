//! Signing in and out of the console, and the language switch.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::{Permission, Role};
use serde::Deserialize;

use super::{Chrome, Ctx, LANG_COOKIE, PageError, render, request_lang, safe_back};
use crate::auth::{self, CurrentUser};
use crate::i18n::Lang;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signin", get(signin_page).post(signin))
        .route("/signout", post(signout))
        .route("/lang", post(switch_lang))
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    c: Chrome,
    l: Lang,
    username: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn signin_page(headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let l = request_lang(&headers);
    render(&SigninPage {
        c: Chrome::new(l, None, "", l.t("signin.title").to_string()),
        l,
        username: String::new(),
        next: safe_back(q.next.as_deref(), "/"),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn signin(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Response {
    let cookie_lang = request_lang(&headers);
    match auth::sign_in(&state, &form.username, &form.password).await {
        Ok((secret, user)) => {
            let role = Role::parse(&user.role).unwrap_or(Role::Viewer);
            let next = safe_back(form.next.as_deref(), home(role));
            let next = if next == "/" {
                home(role).to_string()
            } else {
                next
            };
            (
                StatusCode::SEE_OTHER,
                [
                    (header::SET_COOKIE, auth::session_cookie(&secret, &state)),
                    (header::LOCATION, next),
                ],
            )
                .into_response()
        }
        Err(e) => {
            let l = cookie_lang;
            let status = e.status();
            let mut page = render(&SigninPage {
                c: Chrome::new(l, None, "", l.t("signin.title").to_string()),
                l,
                username: form.username,
                next: safe_back(form.next.as_deref(), "/"),
                error: Some(l.error(e.code(), None)),
            });
            *page.status_mut() = status;
            page
        }
    }
}

/// Where a role starts its day.
pub fn home(role: Role) -> &'static str {
    if role.has(Permission::RegisterTickets) {
        "/"
    } else if role.needs_station() {
        "/station"
    } else {
        "/queues"
    }
}

async fn signout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    if let Some(secret) = super::cookie(&headers, auth::SESSION_COOKIE) {
        state
            .db
            .delete_session(&auth::secret_hash(&secret))
            .await
            .map_err(|e| PageError::new(AppError::from(e), request_lang(&headers)))?;
    }
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, auth::clear_cookie()),
            (header::LOCATION, "/signin".to_string()),
        ],
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
    back: Option<String>,
}

/// Switches the language: remembered in a cookie, and for a signed-in user
/// in their profile (so it follows them to another workstation).
async fn switch_lang(
    State(state): State<AppState>,
    user: Option<Ctx>,
    Form(form): Form<LangForm>,
) -> Result<Response, PageError> {
    let l = Lang::parse(&form.lang).unwrap_or_default();
    if let Some(Ctx {
        user: CurrentUser {
            user_id: Some(id), ..
        },
        ..
    }) = &user
    {
        state
            .db
            .set_user_locale(*id, l.code())
            .await
            .map_err(|e| PageError::new(AppError::from(e), l))?;
    }
    let back = safe_back(form.back.as_deref(), "/");
    Ok((
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                format!(
                    "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
                    l.code()
                ),
            ),
            (header::LOCATION, back),
        ],
    )
        .into_response())
}

impl axum::extract::OptionalFromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Ctx as axum::extract::FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

/// The page for a signed-in visitor who may not see what they asked for.
pub fn forbidden(l: Lang) -> PageError {
    PageError::new(AppError::Forbidden, l)
}
