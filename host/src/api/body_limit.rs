//! Request bodies: the size limit of each route (plugin uploads large, every other route
//! small, since a parsed JSON body takes many times its size in memory) and a bound on
//! the body bytes held at once across all requests.

use std::sync::Arc;

use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::{ApiError, ErrorCode};
use crate::config::ServerConfig;

/// The one route whose body may be as large as `server.max_body_bytes`.
pub(super) const UPLOAD_PATH: &str = "/api/plugins";

/// The shared budget of body bytes, and the limits it reserves by.
#[derive(Clone)]
pub(super) struct BodyBudget {
    permits: Arc<Semaphore>,
    total: usize,
    json_limit: usize,
    upload_limit: usize,
}

impl BodyBudget {
    /// A budget of `server.max_body_memory_bytes` (at most 4 GiB).
    pub(super) fn new(config: &ServerConfig) -> Self {
        let total = config.max_body_memory_bytes.min(u32::MAX as usize);
        Self {
            permits: Arc::new(Semaphore::new(total)),
            total,
            json_limit: config.max_json_body_bytes,
            upload_limit: config.max_body_bytes,
        }
    }

    /// The largest body `request`'s route accepts.
    fn limit_for(&self, request: &Request) -> usize {
        if request.method() == Method::POST && request.uri().path() == UPLOAD_PATH {
            self.upload_limit
        } else {
            self.json_limit
        }
    }
}

/// The middleware: a body announced larger than its route's limit is refused before it
/// is read; any other body first reserves its size (the limit when no size is
/// announced) from the budget, waiting while other requests hold it, and gives it back
/// when the answer is ready. Requests without a body pass untouched.
pub(super) async fn reserve(
    State(budget): State<BodyBudget>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let limit = budget.limit_for(&request);
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit as u64) {
        return too_large(limit);
    }
    let wanted = announced.map_or(limit, |length| length as usize);
    let wanted = wanted.clamp(1, budget.total);
    let permits = match budget
        .permits
        .clone()
        .acquire_many_owned(u32::try_from(wanted).unwrap_or(u32::MAX))
        .await
    {
        Ok(permits) => permits,
        Err(_) => return ApiError::internal("the body budget is closed").into_response(),
    };
    let response = next.run(request).await;
    drop(permits);
    response
}

/// The answer to a body over its route's limit.
pub(super) fn too_large(limit: usize) -> Response {
    ApiError::new(
        ErrorCode::BodyTooLarge,
        format!("the request body is larger than this route's limit of {limit} bytes"),
    )
    .into_response()
}
