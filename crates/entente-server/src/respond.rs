//! How the HTTP API answers: errors as status codes with a message, work off the async threads, signed notes as plain text.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::WorkflowError;
use entente_roles::RolesError;

/// An error answered to the client: a status and a sentence.
#[derive(Debug)]
pub struct ApiError(pub(crate) StatusCode, pub(crate) String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl ApiError {
    pub(crate) fn bad(msg: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, msg.into())
    }
    pub(crate) fn internal(msg: impl std::fmt::Display) -> Self {
        tracing::error!("{msg}");
        Self(StatusCode::INTERNAL_SERVER_ERROR, msg.to_string())
    }
    pub(crate) fn not_found(msg: impl Into<String>) -> Self {
        Self(StatusCode::NOT_FOUND, msg.into())
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        let status = match e {
            WorkflowError::OutOfOrder(_) | WorkflowError::Stopped(_) => StatusCode::CONFLICT,
            WorkflowError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WorkflowError::NotYours(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        };
        Self(status, e.to_string())
    }
}

impl From<RolesError> for ApiError {
    fn from(e: RolesError) -> Self {
        let status = match e {
            RolesError::UnknownAuthor(_) | RolesError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            RolesError::Forbidden { .. } => StatusCode::FORBIDDEN,
            RolesError::Replay { .. } => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        Self(status, e.to_string())
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

/// A signed checkpoint as served: plain text, never cached (the next one may come any moment).
pub(crate) fn note_response(note: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        note,
    )
        .into_response()
}
