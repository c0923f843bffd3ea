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
