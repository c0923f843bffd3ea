//! The HTTP API: axum routers, the error shape, and the accept loop.
//!
//! The API calls the library, the plugin host and the event bus; it never touches
//! wasmtime or SQL.

mod body_limit;
mod connections;
mod downloads;
mod error;
mod extract;
mod files;
mod library;
mod list_cache;
mod list_items;
mod media;
mod openapi;
mod params;
mod people;
mod plugin_index;
mod plugins;
mod prometheus;
mod ready;
mod reports;
mod resource_list;
mod secrets;
mod security;
mod server;
mod session;
mod settings;
mod tasks;
mod ui;
mod video;
mod ws;

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, State};
use axum::{Json, Router};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) use error::ApiError;
pub(crate) use security::Guard;
pub(crate) use server::serve;
pub(crate) use tasks::wait_limit;

/// The list cache of a server, holding up to `page_bytes` of list pages.
pub(crate) fn list_cache(page_bytes: u64) -> std::sync::Arc<list_cache::ListCache> {
    list_cache::ListCache::new(page_bytes)
}

use crate::config::{DisplayTitle, ServerConfig};
use crate::events::EventBus;
use crate::library::Library;
use crate::plugins::PluginHost;

/// What handlers share, behind one `Arc`: axum clones the state for every request, so a
/// clone must cost one reference count, not a copy of every field.
#[derive(Clone)]
pub(crate) struct AppState(std::sync::Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl From<Shared> for AppState {
    fn from(shared: Shared) -> Self {
        Self(std::sync::Arc::new(shared))
    }
}

/// The fields of [`AppState`].
pub(crate) struct Shared {
    pub(crate) plugins: PluginHost,
    /// The followed plugin indexes.
    pub(crate) indexes: crate::plugin_index::PluginIndexes,
    pub(crate) library: Library,
    pub(crate) tasks: crate::tasks::TaskQueue,
    pub(crate) scheduler: crate::schedule::Scheduler,
    pub(crate) events: EventBus,
    pub(crate) started: Instant,
    /// Which title lists and details show (N-C7).
    pub(crate) display_title: DisplayTitle,
    /// Put before video paths by `GET /api/downloads/abspath` (N-D5).
    pub(crate) file_path_prefix: String,
    /// The prefix takes the media directory's place instead.
    pub(crate) file_path_prefix_replaces_root: bool,
    /// Where maintenance reports are written (`GET /api/reports`, N-L7).
    pub(crate) reports_dir: std::path::PathBuf,
    /// Cancelled when shutdown starts: long-lived connections (WebSockets) end on it.
    pub(crate) shutdown: CancellationToken,
    /// Tracks those connections, so shutdown waits for their close frames.
    pub(crate) connections: TaskTracker,
    /// The longest `?wait=` lasts, short of the request timeout ([`wait_limit`]).
    pub(crate) max_wait: std::time::Duration,
    /// List answers kept while the library is unchanged.
    pub(crate) list_cache: std::sync::Arc<list_cache::ListCache>,
    /// The request guards, which the session routes ask too.
    pub(crate) guard: Guard,
    /// The web UI's files.
    pub(crate) ui: UiFiles,
    /// The configuration as `GET /api/config` shows it, secrets hidden.
    pub(crate) config_shown: serde_json::Value,
    /// Whether Redis answers, when the deployment has one (`GET /readyz`).
    pub(crate) cluster: Option<crate::cluster::Health>,
    /// The metrics recorder, with `metrics.enabled` (`GET /metrics`).
    pub(crate) metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

pub(crate) use ui::UiFiles;

/// Every API route, declared once: the path and method of each handler go to the
/// router and to the OpenAPI document together (`utoipa_axum::routes!` reads the
/// handler's `#[utoipa::path]`).
pub(crate) fn api_routes(config: &ServerConfig) -> OpenApiRouter<AppState> {
    // Plugin uploads may be larger than JSON bodies.
    let (schemas, paths, plugins_route) = routes!(plugins::list, plugins::upload);
    let plugins_route = plugins_route.layer(DefaultBodyLimit::max(config.max_body_bytes));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(ready::ready))
        .routes(routes!(prometheus::metrics))
        .routes((schemas, paths, plugins_route))
        .routes(routes!(plugins::enable))
        .routes(routes!(plugins::disable))
        .routes(routes!(plugins::rollback))
        .routes(routes!(plugin_index::list))
        .routes(routes!(plugin_index::refresh))
        .routes(routes!(plugin_index::install))
        .routes(routes!(plugin_index::approve))
        .routes(routes!(plugin_index::pin, plugin_index::unpin))
        .routes(routes!(plugin_index::history))
        .routes(routes!(plugins::call))
        .routes(routes!(plugins::sources))
        .routes(routes!(settings::set_cookie))
        .routes(routes!(resource_list::resources))
        .routes(routes!(library::batch))
        .routes(routes!(tasks::list, tasks::create))
        .routes(routes!(tasks::queue_status))
        .routes(routes!(tasks::schedules))
        .routes(routes!(reports::list))
        .routes(routes!(reports::get))
        .routes(routes!(tasks::get, tasks::delete))
        .routes(routes!(tasks::quick_avatars))
        .routes(routes!(tasks::quick_db_upgrade))
        .routes(routes!(tasks::quick_translate))
        .routes(routes!(tasks::quick_refresh))
        .routes(routes!(library::add))
        .routes(routes!(library::refresh))
        .routes(routes!(library::delete))
        .routes(routes!(library::preview))
        .routes(routes!(library::metadata))
        .routes(routes!(media::cover))
        .routes(routes!(video::video))
        .routes(routes!(video::subtitles))
        .routes(routes!(session::state, session::sign_in, session::sign_out))
        .routes(routes!(people::actors))
        .routes(routes!(media::avatar))
        .routes(routes!(people::actor))
        .routes(routes!(people::genres))
        .routes(routes!(settings::get_settings, settings::put_settings))
        .routes(routes!(settings::abspath))
        .routes(routes!(settings::config))
        .routes(routes!(downloads::submit_batch))
        .routes(routes!(downloads::mock))
        .routes(routes!(downloads::submit_one, downloads::delete))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(openapi::docs))
        .routes(routes!(ws::tasks))
}

/// The whole router, behind the request guards.
pub(crate) fn router(state: AppState, config: &ServerConfig) -> Router {
    let guard = state.guard.clone();
    let (router, mut document) = api_routes(config).split_for_parts();
    openapi::add_task_kinds(&mut document, &state.tasks);
    let router = router.layer(axum::Extension(openapi::Document::new(document)));
    // The web UI's files sit behind the same guards and layers as the API.
    let router = ui::add_routes(router);
    let router = router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(config.max_json_body_bytes))
        // Inside the timeout: a request waiting for body budget ends with a 408.
        .layer(axum::middleware::from_fn_with_state(
            body_limit::BodyBudget::new(config),
            body_limit::reserve,
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(axum::middleware::from_fn_with_state(guard, security::guard))
        .layer(axum::middleware::from_fn(access_log));
    // Counted outside the guard too, so refused requests show in the figures.
    let router = if state.metrics.is_some() {
        router.layer(axum::middleware::from_fn(prometheus::track))
    } else {
        router
    };
    // CORS sits outside the guard so preflights are answered without a token.
    let router = match security::cors(config) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    // Outside everything else, so every answer carries them (preflights, guard refusals).
    let router = router.layer(axum::middleware::map_response(security::security_headers));
    // Spans carry the path only: a query may hold the WebSocket `token`, never logged.
    let trace = TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
        tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
    });
    let app = router.layer(trace).with_state(state);
    // Routes are matched without a trailing slash: `/api/resources/` answers as
    // `/api/resources` (clients of the system Kura replaces write collections that way).
    Router::new()
        .fallback_service(tower_http::normalize_path::NormalizePath::trim_trailing_slash(app))
}

/// `GET /healthz`: always cheap; never waits on plugins.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Alive", body = Health)))]
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        uptime_s: state.started.elapsed().as_secs(),
    })
}

/// `GET /healthz`'s answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    /// Always `ok`: an answer is the news.
    status: &'static str,
    uptime_s: u64,
}

/// One `access.log` line per request: method, path without the query (it may hold a
/// token), status, milliseconds.
async fn access_log(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(
        target: crate::logging::ACCESS_TARGET,
        "{method} {path} {} {}ms",
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}
