//! `GET /metrics`: every series in the Prometheus text format, with `metrics.enabled`
//! (behind the token like every API route); and the middleware that counts each
//! request by its route template and status, with its latency.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::telemetry;

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", tag = "health", responses(
    (status = 200, description = "Every series, Prometheus text format 0.0.4", content_type = "text/plain"),
    (status = 404, description = "Metrics are off (metrics.enabled)", body = super::error::ErrorBody),
))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let Some(handle) = &state.metrics else {
        return ApiError::not_found("metrics are off: set metrics.enabled").into_response();
    };
    // What only the database knows is read now, at the scrape.
    let store = state.library.store();
    match store.pending_by_lane().await {
        Ok(lanes) => {
            let now = crate::store::now_ms();
            for (lane, count, oldest) in lanes {
                metrics::gauge!(telemetry::QUEUE_PENDING, "lane" => lane.clone()).set(count as f64);
                let age = (now - oldest).max(0) as f64 / 1000.0;
                metrics::gauge!(telemetry::QUEUE_OLDEST_SECONDS, "lane" => lane).set(age);
            }
        }
        Err(error) => tracing::debug!(%error, "metrics: the queue could not be read"),
    }
    for (pool, open, idle) in store.pool_use() {
        metrics::gauge!(telemetry::DB_CONNECTIONS, "pool" => pool).set(f64::from(open));
        metrics::gauge!(telemetry::DB_IDLE, "pool" => pool).set(idle as f64);
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        telemetry::render(handle),
    )
        .into_response()
}

/// Counts the request under its route template (`/api/resource/{code}`, never the
/// path itself, so the series stay few) and records how long its answer took.
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(telemetry::HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(telemetry::HTTP_SECONDS, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
