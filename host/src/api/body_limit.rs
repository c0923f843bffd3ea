//! Request bodies: the size limit of each route (plugin uploads large, every other route
//! small, since a parsed JSON body takes many times its size in memory) and bounds on
//! the body bytes held at once: one for plugin uploads, one for every other body, so
//! large uploads never hold up small requests.

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

/// Body bytes one kind of request may hold at once, and the largest body it takes.
#[derive(Clone)]
struct Pool {
    permits: Arc<Semaphore>,
    total: usize,
    limit: usize,
}

impl Pool {
    /// `total` bytes at once (at most 4 GiB), bodies up to `limit`.
    fn new(total: usize, limit: usize) -> Self {
        let total = total.min(u32::MAX as usize);
        Self {
            permits: Arc::new(Semaphore::new(total)),
            total,
            limit,
        }
    }
}

/// The budgets of body bytes: plugin uploads, and every other body.
#[derive(Clone)]
pub(super) struct BodyBudget {
    uploads: Pool,
    others: Pool,
}

impl BodyBudget {
    /// Budgets of `server.max_upload_memory_bytes` and `server.max_body_memory_bytes`.
    pub(super) fn new(config: &ServerConfig) -> Self {
        Self {
            uploads: Pool::new(config.max_upload_memory_bytes, config.max_body_bytes),
            others: Pool::new(config.max_body_memory_bytes, config.max_json_body_bytes),
        }
    }

    /// The pool `request`'s body is held in.
    fn pool_for(&self, request: &Request) -> &Pool {
        if request.method() == Method::POST && request.uri().path() == UPLOAD_PATH {
            &self.uploads
        } else {
            &self.others
        }
    }
}

/// The middleware: a body announced larger than its route's limit is refused before it
/// is read; any other body first reserves its size (the limit when no size is
/// announced) from its pool, waiting while other requests hold it, and gives it back
/// when the answer is ready. Requests without a body pass untouched.
pub(super) async fn reserve(
    State(budget): State<BodyBudget>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let pool = budget.pool_for(&request).clone();
    let limit = pool.limit;
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit as u64) {
        return too_large(limit);
    }
    let wanted = announced.map_or(limit, |length| length as usize);
    let wanted = wanted.clamp(1, pool.total);
    let permits = match pool
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
