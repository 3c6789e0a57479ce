//! JSON API v1 under `/api/v1`, described by OpenAPI at `/api/openapi.json`.

mod attachments;
pub mod docs;
mod messages;
pub mod registers;
pub mod session;
pub mod tickets;

use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(tickets::routes())
        .merge(attachments::routes())
        .merge(registers::routes())
        .merge(messages::routes())
        .merge(session::routes())
        .merge(docs::routes())
}

/// `Json<T>` whose rejections are problem documents naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => AppError::BadRequest {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            field: None,
            message: "send the body as application/json".into(),
        },
        JsonRejection::JsonDataError(e) => {
            // serde_path_to_error gives "field: reason"; keep the field for the client.
            let text = e.body_text();
            let field = serde_field(&text);
            AppError::BadRequest {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_field",
                field,
                message: text,
            }
        }
        JsonRejection::JsonSyntaxError(e) => {
            AppError::bad_request("malformed_json", None, e.body_text())
        }
        JsonRejection::BytesRejection(e) => AppError::BadRequest {
            status: e.status(),
            code: if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "payload_too_large"
            } else {
                "bad_request"
            },
            field: None,
            message: e.body_text(),
        },
        other => AppError::bad_request("bad_request", None, other.body_text()),
    }
}

/// Pulls the field name out of serde's messages: "missing field `kind`",
/// "unknown variant `x`", or a path prefix "caller_phone: invalid type".
fn serde_field(text: &str) -> Option<String> {
    let text =
        text.trim_start_matches("Failed to deserialize the JSON body into the target type: ");
    if let Some(rest) = text.split("missing field `").nth(1) {
        return rest.split('`').next().map(str::to_string);
    }
    let (path, _) = text.split_once(": ")?;
    (!path.contains(' ') && path != ".").then(|| path.to_string())
}

/// Query strings, with problem-document rejections.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                let text = e.body_text();
                Err(AppError::BadRequest {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "invalid_field",
                    field: serde_field(&text.replace("Failed to deserialize query string: ", "")),
                    message: text,
                })
            }
            Err(other) => Err(AppError::bad_request(
                "bad_request",
                None,
                other.body_text(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::serde_field;

    #[test]
    fn finds_the_field_in_serde_messages() {
        assert_eq!(
            serde_field("missing field `kind` at line 1 column 2").as_deref(),
            Some("kind")
        );
        assert_eq!(
            serde_field("lat: invalid type: string \"x\", expected f64").as_deref(),
            Some("lat")
        );
        assert_eq!(serde_field("invalid type: map").as_deref(), None);
    }
}
