//! The HTTP API: axum routers, the error shape, and the accept loop.
//!
//! The API calls the plugin host and the event bus; it never touches wasmtime or SQL.

mod error;
mod plugins;
mod security;
mod server;

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use security::Guard;
pub use server::serve;

use crate::config::ServerConfig;
use crate::events::EventBus;
use crate::plugins::PluginHost;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    pub plugins: PluginHost,
    pub events: EventBus,
    pub started: Instant,
}

/// The whole router, behind the request guards.
pub fn router(state: AppState, config: &ServerConfig, guard: Guard) -> Router {
    let router = Router::new()
        .route("/healthz", get(health))
        .route("/api/plugins", get(plugins::list).post(plugins::upload))
        .route("/api/plugins/{name}/enable", post(plugins::enable))
        .route("/api/plugins/{name}/disable", post(plugins::disable))
        .route("/api/plugins/{name}/rollback", post(plugins::rollback))
        .route("/api/plugins/{name}/call", post(plugins::call))
        .route("/api/source/list", get(plugins::sources))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(guard, security::guard));
    // CORS sits outside the guard so preflights are answered without a token.
    let router = match security::cors(config) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router.layer(TraceLayer::new_for_http()).with_state(state)
}

/// `GET /healthz`: always cheap; never waits on plugins.
async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "uptime_s": state.started.elapsed().as_secs() }))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}
