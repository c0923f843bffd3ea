//! The one error shape of the HTTP API: `{code, message}` with a stable snake_case code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::plugins::{CallError, LoadError, RegistryError};

/// An API error; `code` values are stable and documented.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
}

/// The error shape, for the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code.
    pub code: String,
    /// Human-readable detail.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A body the framework could not read or parse: `body_too_large` for a body over
    /// the route's limit (413), `bad_body` otherwise.
    pub fn body_rejection(status: StatusCode, message: impl Into<String>) -> Self {
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "bad_body"
        };
        Self::new(status, code, message)
    }

    /// A 500 whose detail goes to the log under a correlation id; the client sees only
    /// the id, never SQL or paths.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        let mut id = [0u8; 6];
        let _ = getrandom::fill(&mut id);
        let id = hex::encode(id);
        tracing::error!(error_id = %id, %error, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("internal error (id {id}); the server log has the detail"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
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
            LoadError::Io(_) | LoadError::Engine(_) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                error.to_string(),
            ),
            _ => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "plugin_rejected",
                error.to_string(),
            ),
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::NotLoaded(_) => {
                Self::new(StatusCode::NOT_FOUND, "plugin_not_found", error.to_string())
            }
            RegistryError::NoPrevious(_) => Self::new(
                StatusCode::CONFLICT,
                "no_previous_version",
                error.to_string(),
            ),
            RegistryError::Load(error) => error.into(),
        }
    }
}

impl From<CallError> for ApiError {
    fn from(error: CallError) -> Self {
        let (status, code) = match &error {
            CallError::NotLoaded(_) => (StatusCode::NOT_FOUND, "plugin_not_found"),
            CallError::Disabled(_) => (StatusCode::CONFLICT, "plugin_disabled"),
            CallError::WrongKind { .. } => (StatusCode::BAD_REQUEST, "wrong_plugin_kind"),
            CallError::Plugin(_) => (StatusCode::BAD_GATEWAY, "plugin_error"),
            CallError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "plugin_timeout"),
            CallError::MemoryLimit(_) | CallError::Crashed(_) => {
                (StatusCode::BAD_GATEWAY, "plugin_crashed")
            }
            CallError::ShuttingDown => (StatusCode::SERVICE_UNAVAILABLE, "shutting_down"),
        };
        Self::new(status, code, error.to_string())
    }
}

/// Largest plain-text error body rewritten into the JSON shape; framework rejections are
/// one line.
const MAX_PLAIN_ERROR: usize = 4096;

/// Rewrites the framework's own plain-text errors (a path segment that is not UTF-8, a
/// wrong method, a body over the limit, a request timeout) into the one `{code, message}`
/// shape, so a client never has to parse two kinds of error.
pub async fn json_errors(response: Response) -> Response {
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
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "bad_body",
        status if status.is_server_error() => "internal",
        _ => "bad_request",
    };
    let (parts, body) = response.into_parts();
    let message = match axum::body::to_bytes(body, MAX_PLAIN_ERROR).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).trim().to_owned(),
        _ => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_ascii_lowercase(),
    };
    let mut rewritten = ApiError::new(status, code, message).into_response();
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}
