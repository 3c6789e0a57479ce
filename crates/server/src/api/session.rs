//! Signing in and out over JSON (the console uses the same session cookie).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::auth::{self, CurrentUser};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/me", get(me))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeJson {
    pub username: String,
    pub display_name: String,
    /// admin | operator | station | repairer | manager | viewer
    pub role: String,
    pub station_code: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/login", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = MeJson, description = "Signed in; sets the session cookie"),
              (status = 401, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, AppError> {
    let (secret, user) = auth::sign_in(&state, &body.username, &body.password).await?;
    let me = MeJson {
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        station_code: user.station_code,
    };
    Ok((
        [(header::SET_COOKIE, auth::session_cookie(&secret, &state))],
        Json(me),
    ))
}

#[utoipa::path(post, path = "/api/v1/logout", tag = "session", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<impl IntoResponse, AppError> {
    let (parts, _) = request.into_parts();
    if let Some(secret) = auth::session_secret(&parts) {
        state.db.delete_session(&auth::secret_hash(&secret)).await?;
    }
    Ok((
        axum::http::StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::clear_cookie())],
    ))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = MeJson)))]
pub async fn me(user: CurrentUser) -> Json<MeJson> {
    Json(MeJson {
        username: user.name,
        display_name: user.display_name,
        role: user.role.code().to_string(),
        station_code: user.station_code,
    })
}
