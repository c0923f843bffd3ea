//! User settings (N-H11), the video path (N-D5), source cookies (N-A4) and the effective
//! configuration.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::extract::{ApiJson, ApiQuery};
use super::params::*;
use crate::store::{SettingsLimitError, StoreError};

/// `GET /api/setting` (N-H11)
#[utoipa::path(get, path = "/api/setting", tag = "settings", responses((status = 200, description = "User settings", body = Object)))]
pub(super) async fn get_settings(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(Value::Object(
        state.library.store().get_settings().await?,
    )))
}

/// `PUT /api/setting` (N-H11): merges the given keys; a write that would leave the
/// settings over their limits (keys, key length, total bytes) stores nothing.
#[utoipa::path(put, path = "/api/setting", tag = "settings", request_body(content = Object), responses((status = 200, description = "Merged settings", body = Object), (status = 400, description = "A key empty or too long (`bad_setting_key`)", body = super::error::ErrorBody), (status = 413, description = "Too many keys (`too_many_settings`) or bytes (`settings_too_large`)", body = super::error::ErrorBody)))]
pub(super) async fn put_settings(
    State(state): State<AppState>,
    ApiJson(map): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let library = &state.library;
    library
        .store()
        .put_settings(map)
        .await
        .map_err(settings_error)?;
    Ok(Json(Value::Object(library.store().get_settings().await?)))
}

/// A refused settings write as its API error.
fn settings_error(error: StoreError) -> ApiError {
    let StoreError::Settings(limit) = &error else {
        return error.into();
    };
    let code = match limit {
        SettingsLimitError::BadKey { .. } => ErrorCode::BadSettingKey,
        SettingsLimitError::TooManyKeys { .. } => ErrorCode::TooManySettings,
        SettingsLimitError::TooLarge { .. } => ErrorCode::SettingsTooLarge,
    };
    ApiError::new(code, limit.to_string())
}

/// Where a resource's video is, as `library.file_path_prefix` shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct VideoPath {
    pub(crate) code: String,
    /// The absolute path behind `library.file_path_prefix`.
    pub(crate) path: String,
    /// The absolute path on this machine.
    pub(crate) absolute: String,
    /// Whether the video is downloaded and its file is there.
    pub(crate) exists: bool,
}

/// A stored cookie (its value is not repeated).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CookieSet {
    pub(crate) source: String,
    pub(crate) name: String,
    pub(crate) url: String,
}

/// `GET /api/downloads/abspath?code=` (N-D5)
#[utoipa::path(get, path = "/api/downloads/abspath", tag = "library", params(("code" = String, Query)), responses((status = 200, description = "The video path with file_path_prefix", body = VideoPath)))]
pub(super) async fn abspath(
    State(state): State<AppState>,
    ApiQuery(query): Params,
) -> Result<Json<VideoPath>, ApiError> {
    let library = &state.library;
    let q = params(&query, &["code"])?;
    let code = code(q.get("code").ok_or_else(|| bad("`code` is required"))?)?;
    let detail = stored_resource(&state, &code).await?;
    // The file recorded, else where a download would write it.
    let path = match &detail.resource.video_file {
        Some(recorded) => library.media().recorded_video_path(&code, recorded),
        None => library.media().video_path(&code),
    }
    .map_err(|e| bad(e.to_string()))?;
    // Absolute even when the data directory was given as a relative path.
    let absolute = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
    let prefix = state.file_path_prefix.trim_end_matches(['/', '\\']);
    let shown = if state.file_path_prefix.is_empty() {
        absolute.display().to_string()
    } else if state.file_path_prefix_replaces_root {
        let relative = path.strip_prefix(library.media().root()).unwrap_or(&path);
        format!("{prefix}/{}", relative.display())
    } else {
        format!("{prefix}{}", absolute.display())
    };
    let file = path.clone();
    let on_disk = tokio::task::spawn_blocking(move || file.is_file())
        .await
        .unwrap_or(false);
    Ok(Json(VideoPath {
        code: code.as_str().to_owned(),
        path: shown,
        absolute: absolute.display().to_string(),
        exists: detail.resource.video_file.is_some() && on_disk,
    }))
}

/// The body of `POST /api/source/cookie`: the cookie, and the URL it belongs to (the
/// source's `domain` when left out).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CookieBody {
    pub(crate) source: String,
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) url: Option<String>,
}

/// `POST /api/source/cookie` (N-A4): stored, and put in the source's jar at once.
#[utoipa::path(post, path = "/api/source/cookie", tag = "sources", request_body = CookieBody, responses((status = 200, description = "Stored", body = CookieSet)))]
pub(super) async fn set_cookie(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CookieBody>,
) -> Result<Json<CookieSet>, ApiError> {
    let library = &state.library;
    let plugin = state
        .plugins
        .registry()
        .current(&body.source)
        .filter(|p| p.kind() == crate::plugins::PluginKind::Source)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::PluginNotFound,
                format!("no source `{}`", body.source),
            )
        })?;
    let url_text = match &body.url {
        Some(url) => url.clone(),
        None => plugin
            .settings()
            .get("domain")
            .cloned()
            .ok_or_else(|| bad("`url` is required: the source has no domain setting"))?,
    };
    let url = url::Url::parse(&url_text).map_err(|e| bad(format!("`url`: {e}")))?;
    if body.name.is_empty()
        || body.name.contains(['=', ';', ' '])
        || body.value.contains([';', '\n', '\r'])
    {
        return Err(bad("invalid cookie name or value"));
    }
    library
        .set_cookie(&body.source, &body.name, &body.value, &url)
        .await?;
    Ok(Json(CookieSet {
        source: body.source,
        name: body.name,
        url: url.to_string(),
    }))
}

/// `GET /api/config`: the configuration the server runs with, every default filled in
/// and the command line applied; URL passwords and keys named like secrets hidden.
#[utoipa::path(get, path = "/api/config", tag = "settings", responses((status = 200, description = "Every config key as the server runs with it; secrets shown as `(hidden)`", body = serde_json::Value)))]
pub(super) async fn config(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.config_shown.clone())
}
