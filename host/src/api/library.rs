//! Library routes: the resource list, preview, metadata, add, refresh, delete and
//! batch (N-H1, N-H4, N-H5, N-H7..N-H10).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::params::*;
use crate::config::DisplayTitle;
use crate::library::{LibraryError, RefreshOptions};
use crate::store::{ResourceQuery, ResourceSort, ResourceSummary, TranslationStatus};

impl From<LibraryError> for ApiError {
    fn from(error: LibraryError) -> Self {
        match &error {
            LibraryError::NotFound { lookups, .. } => {
                let tried: Vec<String> = lookups
                    .iter()
                    .map(|l| format!("{}: {}", l.plugin, l.detail.as_deref().unwrap_or(l.outcome)))
                    .collect();
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "code_not_found",
                    format!("{error} (tried {})", tried.join("; ")),
                )
            }
            LibraryError::NotInLibrary(_) => ApiError::new(
                StatusCode::NOT_FOUND,
                "resource_not_found",
                error.to_string(),
            ),
            LibraryError::Store(_) | LibraryError::Media(_) => ApiError::internal(&error),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        LibraryError::from(error).into()
    }
}

/// A list item with the title chosen by `display_title` and media URLs.
#[derive(Serialize)]
pub struct ResourceItem {
    #[serde(flatten)]
    pub summary: ResourceSummary,
    pub display_title: Option<String>,
    pub cover_url: Option<String>,
    pub thumbnail_url: Option<String>,
}

pub(super) fn display_title(
    mode: DisplayTitle,
    source: &Option<String>,
    translated: &Option<String>,
    original: &Option<String>,
) -> Option<String> {
    match mode {
        DisplayTitle::Translated => translated.clone().or_else(|| source.clone()),
        DisplayTitle::Source => source.clone(),
        DisplayTitle::Original => original.clone().or_else(|| source.clone()),
    }
}

fn item(state: &AppState, summary: ResourceSummary) -> ResourceItem {
    let cover = summary
        .has_cover
        .then(|| format!("/api/resource/{}/cover", summary.code));
    ResourceItem {
        display_title: display_title(
            state.display_title,
            &summary.title_source,
            &summary.title_translated,
            &summary.title_original,
        ),
        thumbnail_url: cover.as_ref().map(|c| format!("{c}?size=small")),
        cover_url: cover,
        summary,
    }
}

/// `GET /api/resources` (N-H1)
#[utoipa::path(get, path = "/api/resources", tag = "library", params(("search" = Option<String>, Query, description = "Substring of code or titles"), ("downloaded" = Option<bool>, Query), ("translation_status" = Option<String>, Query), ("person" = Option<i64>, Query), ("tag" = Option<i64>, Query), ("source" = Option<String>, Query), ("sort" = Option<String>, Query, description = "code, release_date, added_at, video_time"), ("order" = Option<String>, Query, description = "asc or desc"), ("page" = Option<u32>, Query), ("page_size" = Option<u32>, Query)), responses((status = 200, description = "A page of resources"), (status = 400, body = super::error::ErrorBody)))]
pub async fn resources(
    State(state): State<AppState>,
    Query(query): Params,
) -> Result<Json<Value>, ApiError> {
    let library = &state.library;
    let q = params(
        &query,
        &[
            "search",
            "downloaded",
            "translation_status",
            "person",
            "tag",
            "source",
            "sort",
            "order",
            "page",
            "page_size",
        ],
    )?;
    let sort = match q.get("sort").map(String::as_str) {
        None | Some("code") => ResourceSort::Code,
        Some("release_date") => ResourceSort::ReleaseDate,
        Some("added") | Some("added_at") => ResourceSort::AddedAt,
        Some("video_time") => ResourceSort::VideoTime,
        Some(other) => {
            return Err(bad(format!(
                "unknown sort `{other}` (code, release_date, added_at, video_time)"
            )));
        }
    };
    let translation_status = q
        .get("translation_status")
        .map(|s| {
            s.parse::<TranslationStatus>()
                .map_err(|e| bad(e.to_string()))
        })
        .transpose()?;
    let (page, page_size) = paging(q)?;
    let query = ResourceQuery {
        search: q.get("search").filter(|s| !s.trim().is_empty()).cloned(),
        downloaded: parse_bool(q, "downloaded")?,
        translation_status,
        person_id: parse_num(q, "person")?,
        tag_id: parse_num(q, "tag")?,
        source: q.get("source").cloned(),
        sort,
        descending: descending(q, sort != ResourceSort::Code)?,
        page,
        page_size,
    };
    let result = library.store().list_resources(&query).await?;
    let items: Vec<ResourceItem> = result.items.into_iter().map(|s| item(&state, s)).collect();
    Ok(Json(
        json!({ "items": items, "total": result.total, "page": result.page, "page_size": result.page_size }),
    ))
}

/// `GET /api/resource/{code}/preview` (N-H4)
#[utoipa::path(get, path = "/api/resource/{code}/preview", tag = "library", params(("code" = String, Path)), responses((status = 200, description = "First-screen detail"), (status = 404, body = super::error::ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let library = &state.library;
    let code = code(&raw)?;
    let detail = library
        .store()
        .get_resource(code.as_str())
        .await?
        .ok_or_else(|| not_in_library(&code))?;
    let r = &detail.resource;
    let cover = r
        .cover_file
        .is_some()
        .then(|| format!("/api/resource/{code}/cover"));
    Ok(Json(json!({
        "code": r.code,
        "title": display_title(state.display_title, &r.title_source, &r.title_translated, &r.title_original),
        "release_date": r.release_date,
        "duration_seconds": r.duration_seconds,
        "has_video": r.video_file.is_some(),
        "translation_status": r.translation_status,
        "people": detail.people.iter().map(|p| json!({"id": p.id, "name": p.name})).collect::<Vec<_>>(),
        "tags": detail.tags.iter().map(|t| json!({"id": t.id, "name": t.name})).collect::<Vec<_>>(),
        "cover_url": cover,
        "thumbnail_url": cover.as_ref().map(|c| format!("{c}?size=medium")),
    })))
}

/// `GET /api/resource/{code}/metadata` (N-H5): full record, ETag and Last-Modified, 304.
#[utoipa::path(get, path = "/api/resource/{code}/metadata", tag = "library", params(("code" = String, Path)), responses((status = 200, description = "Full metadata; ETag and Last-Modified"), (status = 304, description = "Not modified"), (status = 404, body = super::error::ErrorBody)))]
pub async fn metadata(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let library = &state.library;
    let code = code(&raw)?;
    let detail = library
        .store()
        .get_resource(code.as_str())
        .await?
        .ok_or_else(|| not_in_library(&code))?;
    let r = &detail.resource;
    let mut body = serde_json::to_value(&detail).unwrap_or_default();
    body["display_title"] = json!(display_title(
        state.display_title,
        &r.title_source,
        &r.title_translated,
        &r.title_original
    ));
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let etag = format!("\"{}\"", &crate::util::sha256_hex(&bytes)[..32]);
    let modified = httpdate(r.updated_at);
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) => tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(httpdate_parse)
            .is_some_and(|since| r.updated_at / 1000 <= since),
    };
    let common = [
        (header::ETAG, etag),
        (header::LAST_MODIFIED, modified),
        (header::CACHE_CONTROL, "no-cache".to_owned()),
    ];
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        StatusCode::OK,
        common,
        [(header::CONTENT_TYPE, "application/json".to_owned())],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    pub code: String,
}

/// `POST /api/resource` (N-H7)
#[utoipa::path(post, path = "/api/resource", tag = "library", request_body(content = Object, description = "{code}"), responses((status = 201, description = "Added: resource, lookups, cover"), (status = 404, description = "No source knows the code", body = super::error::ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    body: Result<Json<AddBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let library = &state.library;
    let code = code(&json_body(body)?.code)?;
    let report = library.add(&code).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(report).unwrap_or_default()),
    ))
}

/// `POST /api/resource/refresh/{code}` (N-H8)
#[utoipa::path(post, path = "/api/resource/refresh/{code}", tag = "library", params(("code" = String, Path)), request_body(content = Object, description = "{refresh_m3u8 = true, refresh_metadata = true, retranslate = false}"), responses((status = 200, description = "Refreshed"), (status = 404, body = super::error::ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    body: Result<Json<RefreshOptions>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let library = &state.library;
    let code = code(&raw)?;
    let options = match body {
        Err(JsonRejection::MissingJsonContentType(_)) => RefreshOptions::default(),
        other => json_body(other)?,
    };
    let report = library.refresh(&code, options).await?;
    Ok(Json(serde_json::to_value(report).unwrap_or_default()))
}

/// `DELETE /api/resource/{code}` (N-H9)
#[utoipa::path(delete, path = "/api/resource/{code}", tag = "library", params(("code" = String, Path)), responses((status = 204, description = "Deleted with its files"), (status = 404, body = super::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let library = &state.library;
    library.delete(&code(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    pub action: String,
    pub code: String,
    #[serde(default)]
    pub refresh_m3u8: Option<bool>,
    #[serde(default)]
    pub refresh_metadata: Option<bool>,
    #[serde(default)]
    pub retranslate: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    pub items: Vec<BatchItem>,
}

/// `POST /api/resources/batch` (N-H10): per-item result, never all-or-nothing.
#[utoipa::path(post, path = "/api/resources/batch", tag = "library", request_body(content = Object, description = "{items: [{action: add|refresh|delete, code, refresh_m3u8?, refresh_metadata?, retranslate?}]}"), responses((status = 200, description = "Per-item results")))]
pub async fn batch(
    State(state): State<AppState>,
    body: Result<Json<BatchBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let library = &state.library;
    let body = json_body(body)?;
    if body.items.len() > 500 {
        return Err(bad("at most 500 items per batch"));
    }
    let mut results = Vec::with_capacity(body.items.len());
    for item in body.items {
        let outcome: Result<Value, ApiError> = async {
            let code = code(&item.code)?;
            match item.action.as_str() {
                "add" => Ok(json!({ "code": library.add(&code).await?.resource.resource.code })),
                "refresh" => {
                    let defaults = RefreshOptions::default();
                    let options = RefreshOptions {
                        refresh_m3u8: item.refresh_m3u8.unwrap_or(defaults.refresh_m3u8),
                        refresh_metadata: item.refresh_metadata.unwrap_or(defaults.refresh_metadata),
                        retranslate: item.retranslate.unwrap_or(defaults.retranslate),
                    };
                    Ok(json!({ "code": library.refresh(&code, options).await?.resource.resource.code }))
                }
                "delete" => {
                    library.delete(&code).await?;
                    Ok(json!({ "code": code.as_str() }))
                }
                other => Err(bad(format!("unknown action `{other}` (add, refresh, delete)"))),
            }
        }
        .await;
        results.push(match outcome {
            Ok(value) => json!({ "input": item.code, "action": item.action, "ok": true, "result": value }),
            Err(error) => json!({ "input": item.code, "action": item.action, "ok": false, "error": { "code": error.code, "message": error.message } }),
        });
    }
    let failed = results.iter().filter(|r| r["ok"] == false).count();
    Ok(Json(json!({ "results": results, "failed": failed })))
}
