//! The one error shape of the HTTP API: `{code, message}` with a stable snake_case code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub(crate) use crate::error_code::ErrorCode;
use crate::plugins::{CallError, LoadError, RegistryError};

/// An API error: a code from the one table ([`ErrorCode`]), the status it is answered
/// with, and a message for people.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    code: ErrorCode,
    message: &'a str,
}

/// The error shape, for the OpenAPI document and where an error is one item of an answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(super) struct ErrorBody {
    /// Stable snake_case code.
    pub(crate) code: ErrorCode,
    /// Human-readable detail.
    pub(crate) message: String,
}

impl ApiError {
    /// An error answered with its code's status.
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::with_status(code.status(), code, message)
    }

    /// An error answered with another status than its code's (a framework rejection
    /// keeps its own: 413, 415, 422).
    pub(crate) fn with_status(
        status: StatusCode,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// A body the framework could not read or parse: `body_too_large` for a body over
    /// the route's limit (413), `bad_body` otherwise; the status stays the framework's.
    pub(crate) fn body_rejection(status: StatusCode, message: impl Into<String>) -> Self {
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::BodyTooLarge
        } else {
            ErrorCode::BadBody
        };
        Self::with_status(status, code, message)
    }

    /// A 500 whose detail goes to the log, once, under a correlation id; the client sees
    /// only the id, never SQL or paths.
    pub(crate) fn internal(error: impl std::fmt::Display) -> Self {
        let mut id = [0u8; 6];
        let _ = getrandom::fill(&mut id);
        let id = hex::encode(id);
        tracing::error!(error_id = %id, %error, "internal error");
        Self::new(
            ErrorCode::Internal,
            format!("internal error (id {id}); the server log has the detail"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // An internal error was logged with its detail when it was made.
        if self.status.is_server_error() && self.code != ErrorCode::Internal {
            tracing::warn!(code = %self.code, message = %self.message, "request failed");
        }
        let body = Body {
            code: self.code,
            message: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<LoadError> for ApiError {
    fn from(error: LoadError) -> Self {
        match error {
            // The server's own fault (a disk, the engine): an id, never a server path.
            LoadError::Io(_) | LoadError::Engine(_) => Self::internal(error),
            _ => Self::new(ErrorCode::PluginRejected, error.to_string()),
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::NotLoaded(_) => Self::new(ErrorCode::PluginNotFound, error.to_string()),
            RegistryError::NoPrevious(_) | RegistryError::Replaced(_) => {
                Self::new(ErrorCode::NoPreviousVersion, error.to_string())
            }
            RegistryError::Load(error) => error.into(),
        }
    }
}

impl From<CallError> for ApiError {
    fn from(error: CallError) -> Self {
        let code = match &error {
            CallError::NotLoaded(_) => ErrorCode::PluginNotFound,
            CallError::Disabled(_) => ErrorCode::PluginDisabled,
            CallError::WrongKind { .. } => ErrorCode::WrongPluginKind,
            CallError::Plugin(_) => ErrorCode::PluginError,
            CallError::Timeout(_) => ErrorCode::PluginTimeout,
            CallError::MemoryLimit(_) | CallError::Crashed(_) => ErrorCode::PluginCrashed,
            CallError::ShuttingDown => ErrorCode::ShuttingDown,
            CallError::Cancelled => ErrorCode::TaskCancelled,
        };
        Self::new(code, error.to_string())
    }
}

/// Largest plain-text error body rewritten into the JSON shape; framework rejections are
/// one line.
const MAX_PLAIN_ERROR: usize = 4096;

/// Rewrites the framework's own plain-text errors (a path segment that is not UTF-8, a
/// wrong method, a body over the limit, a request timeout) into the one `{code, message}`
/// shape, so a client never has to parse two kinds of error.
pub(super) async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !is_plain {
        return response;
    }
    let code = match status {
        StatusCode::BAD_REQUEST => ErrorCode::BadRequest,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::BadBody,
        StatusCode::RANGE_NOT_SATISFIABLE => ErrorCode::RangeNotSatisfiable,
        status if status.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    let (parts, body) = response.into_parts();
    let message = match axum::body::to_bytes(body, MAX_PLAIN_ERROR).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).trim().to_owned(),
        _ => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_ascii_lowercase(),
    };
    let error = if code == ErrorCode::Internal {
        ApiError::internal(message)
    } else {
        ApiError::with_status(status, code, message)
    };
    let mut rewritten = error.into_response();
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}
