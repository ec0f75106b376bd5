//! The server's one error type. Internal details are logged, never sent to clients.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored document {0} does not decode: {1}")]
    CorruptDocument(String, String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("sign in or send an API token")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden(std::borrow::Cow<'static, str>),
    #[error("{0}")]
    Throttled(String),
    /// Larger than a limit allows (413), with the limit in the message.
    #[error("{0}")]
    TooLarge(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<tower_sessions::session::Error> for Error {
    fn from(error: tower_sessions::session::Error) -> Self {
        Error::Internal(format!("session: {error}"))
    }
}

/// What the service refused, as the API's error (the same status the pages'
/// server functions answer with).
impl From<app::api::ssr::Refusal> for Error {
    fn from(refusal: app::api::ssr::Refusal) -> Self {
        use app::api::ssr::Refusal;
        match refusal {
            Refusal::SignedOut => Error::Unauthorized,
            Refusal::NotFound => Error::NotFound,
            Refusal::Forbidden => Error::Forbidden("only the owner can do that".into()),
            Refusal::AdminOnly => Error::Forbidden("only an admin can do that".into()),
            Refusal::Denied(message) => Error::Forbidden(message.into()),
            Refusal::Invalid(message) => Error::BadRequest(message),
            Refusal::Throttled(message) => Error::Throttled(message),
            Refusal::Internal => Error::Internal("see the log".into()),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            Error::BadRequest(message) => (StatusCode::BAD_REQUEST, message.clone()),
            Error::NotFound => (StatusCode::NOT_FOUND, "document not found".to_string()),
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, self.to_string()),
            Error::Forbidden(message) => (StatusCode::FORBIDDEN, message.to_string()),
            Error::Throttled(message) => (StatusCode::TOO_MANY_REQUESTS, message.clone()),
            Error::TooLarge(message) => (StatusCode::PAYLOAD_TOO_LARGE, message.clone()),
            other => {
                tracing::error!(error = %other, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error".to_string())
            }
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}
