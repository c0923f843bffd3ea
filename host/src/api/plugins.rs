//! Plugin routes: list, upload (hot swap), enable, disable, rollback; and the source list.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::extract::ApiJson;
use crate::plugins::{FileFailure, InstallOutcome, Origin, PluginKind, PluginView};

/// `GET /api/plugins` body.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct PluginList {
    pub(crate) plugins: Vec<PluginView>,
    /// Files in the plugins directory that failed to load.
    pub(crate) load_errors: Vec<FileFailure>,
    /// Large files (JavaScript, Python) compiling in the background; each goes live when
    /// ready (a restart loads it from the compiled cache in milliseconds).
    #[schema(value_type = Vec<String>)]
    pub(crate) compiling: Vec<std::path::PathBuf>,
}

/// `GET /api/plugins`
#[utoipa::path(get, path = "/api/plugins", tag = "plugins", responses((status = 200, description = "Plugins and files that failed to load", body = PluginList)))]
pub(super) async fn list(State(state): State<AppState>) -> Json<PluginList> {
    let registry = state.plugins.registry();
    let (plugins, load_errors) = registry.views();
    Json(PluginList {
        plugins,
        load_errors,
        compiling: registry.compiling(),
    })
}

/// `POST /api/plugins` answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct UploadResult {
    /// `loaded`, `swapped` or `unchanged`.
    pub(crate) outcome: &'static str,
    pub(crate) previous_version: Option<String>,
    pub(crate) plugin: Option<PluginView>,
}

/// `POST /api/plugins`: the body is a `.wasm` component.
#[utoipa::path(post, path = "/api/plugins", tag = "plugins", request_body(content = Vec<u8>, content_type = "application/wasm", description = "A .wasm component"), responses((status = 201, description = "Loaded", body = UploadResult), (status = 200, description = "Swapped or unchanged", body = UploadResult), (status = 422, description = "Rejected, with the reason", body = super::error::ErrorBody)))]
pub(super) async fn upload(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<UploadResult>), ApiError> {
    let body = body
        .map_err(|rejection| ApiError::body_rejection(rejection.status(), rejection.body_text()))?;
    if body.is_empty() {
        return Err(ApiError::new(
            ErrorCode::BadBody,
            "the body must be a .wasm component",
        ));
    }
    let registry = state.plugins.registry();
    let (loaded, outcome) = registry.install(body.to_vec(), Origin::Upload).await?;
    let (status, outcome, previous_version) = match outcome {
        InstallOutcome::Loaded => (StatusCode::CREATED, "loaded", None),
        InstallOutcome::Swapped { from } => (StatusCode::OK, "swapped", Some(from)),
        InstallOutcome::Unchanged => (StatusCode::OK, "unchanged", None),
    };
    Ok((
        status,
        Json(UploadResult {
            outcome,
            previous_version,
            plugin: find(&state, loaded.name()),
        }),
    ))
}

/// `POST /api/plugins/{name}/enable`
#[utoipa::path(post, path = "/api/plugins/{name}/enable", tag = "plugins", params(("name" = String, Path, description = "Plugin name")), responses((status = 200, description = "The plugin", body = PluginView), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn enable(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<PluginView>, ApiError> {
    switch(&state, &name, true)
}

/// `POST /api/plugins/{name}/disable`
#[utoipa::path(post, path = "/api/plugins/{name}/disable", tag = "plugins", params(("name" = String, Path, description = "Plugin name")), responses((status = 200, description = "The plugin", body = PluginView), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn disable(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<PluginView>, ApiError> {
    switch(&state, &name, false)
}

fn switch(state: &AppState, name: &str, enabled: bool) -> Result<Json<PluginView>, ApiError> {
    state.plugins.registry().set_enabled(name, enabled)?;
    found(state, name)
}

/// `POST /api/plugins/{name}/rollback`
#[utoipa::path(post, path = "/api/plugins/{name}/rollback", tag = "plugins", params(("name" = String, Path, description = "Plugin name")), responses((status = 200, description = "The plugin, now on its previous version", body = PluginView), (status = 409, body = super::error::ErrorBody)))]
pub(super) async fn rollback(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<PluginView>, ApiError> {
    let to = state.plugins.registry().rollback(&name).await?;
    // A plugin from an index stays where the operator put it.
    if let Some(follower) = state.indexes.following(&name) {
        follower.operator_rolled_back(&name, &to).await;
    }
    found(&state, &name)
}

fn find(state: &AppState, name: &str) -> Option<PluginView> {
    state
        .plugins
        .registry()
        .views()
        .0
        .into_iter()
        .find(|p| p.name == name)
}

fn found(state: &AppState, name: &str) -> Result<Json<PluginView>, ApiError> {
    find(state, name).map(Json).ok_or_else(|| {
        ApiError::new(
            ErrorCode::PluginNotFound,
            format!("plugin `{name}` is not loaded"),
        )
    })
}

/// One row of `GET /api/source/list` (N-A3).
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct SourceRow {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) weight: i32,
    pub(crate) enabled: bool,
    /// `ok`, `failing` (the last calls failed) or `unused`.
    pub(crate) health: &'static str,
    pub(crate) calls: u64,
    pub(crate) failures: u64,
    pub(crate) last_failure: Option<String>,
}

/// `GET /api/source/list`: sources by descending weight.
#[utoipa::path(get, path = "/api/source/list", tag = "sources", responses((status = 200, description = "Sources by descending weight", body = Vec<SourceRow>)))]
pub(super) async fn sources(State(state): State<AppState>) -> Json<Vec<SourceRow>> {
    let (plugins, _) = state.plugins.registry().views();
    let mut rows: Vec<SourceRow> = plugins
        .into_iter()
        .filter(|p| p.kind == PluginKind::Source)
        .map(|p| {
            let failures = p.stats.timeouts + p.stats.crashes + p.stats.memory_limits;
            let health = match (p.stats.calls, failures) {
                (0, _) => "unused",
                (calls, failures) if failures * 2 > calls => "failing",
                _ => "ok",
            };
            SourceRow {
                name: p.name,
                version: p.version,
                weight: p.weight,
                enabled: p.enabled,
                health,
                calls: p.stats.calls,
                failures,
                last_failure: p.stats.last_failure,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.name.cmp(&b.name)));
    Json(rows)
}

/// `POST /api/plugins/{name}/call` body: what to ask the plugin.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CallBody {
    /// A code for sources and scrapers, a name with `avatar`, a query with `search`,
    /// the raw text for cleaners, the playlist's text for playlist filters.
    pub(crate) input: String,
    #[serde(default)]
    pub(crate) search: bool,
    #[serde(default)]
    pub(crate) avatar: bool,
    /// For scrapers: the page a source found. For playlist filters: the playlist's URL.
    #[serde(default)]
    pub(crate) page_url: Option<String>,
    /// For playlist filters: the resource's code and the source that found the stream.
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) source: Option<String>,
}

/// `POST /api/plugins/{name}/call`: a test call on the running version, for operators
/// and plugin authors.
#[utoipa::path(post, path = "/api/plugins/{name}/call", tag = "plugins", params(("name" = String, Path, description = "Plugin name")), request_body = CallBody, responses((status = 200, description = "The plugin's answer: a stream hit, search hits, metadata, an avatar URL or a cleaned title, by kind", body = Object), (status = 502, body = super::error::ErrorBody), (status = 504, body = super::error::ErrorBody)))]
pub(super) async fn call(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<CallBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let host = &state.plugins;
    let plugin = host.registry().current(&name).ok_or_else(|| {
        ApiError::new(
            ErrorCode::PluginNotFound,
            format!("plugin `{name}` is not loaded"),
        )
    })?;
    let input = body.input.as_str();
    let value = match plugin.kind() {
        PluginKind::Source if body.search => serde_json::to_value(host.search(&name, input).await?),
        PluginKind::Source => serde_json::to_value(host.resolve(&name, input).await?),
        PluginKind::Scraper if body.avatar => {
            serde_json::to_value(host.avatar(&name, input).await?)
        }
        PluginKind::Scraper => {
            serde_json::to_value(host.scrape(&name, input, body.page_url.as_deref()).await?)
        }
        PluginKind::Cleaner => serde_json::to_value(host.clean(&name, input).await?),
        PluginKind::Task => {
            let result = host.run_task(&name, input, None, None).await?;
            Ok(serde_json::from_str(&result).unwrap_or(serde_json::Value::String(result)))
        }
        PluginKind::PlaylistFilter => {
            let playlist = crate::plugins::PlaylistInput::test_call(
                input,
                body.page_url.as_deref(),
                body.code.as_deref(),
                body.source.as_deref(),
            );
            serde_json::to_value(host.filter_playlist(&name, playlist).await?)
        }
    };
    value
        .map(Json)
        .map_err(|error| ApiError::new(ErrorCode::Internal, error.to_string()))
}
