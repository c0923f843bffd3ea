//! Library routes: preview, metadata, add, refresh, delete and
//! batch (N-H1, N-H4, N-H5, N-H7..N-H10).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::extract::{ApiJson, ApiQuery, OptionalJson};
use super::params::*;
use super::tasks::{priority_of, submit, submit_body, wait_param, without_priority};
use crate::config::DisplayTitle;
use crate::library::LibraryError;
use crate::store::ResourceSummary;

impl From<LibraryError> for ApiError {
    fn from(error: LibraryError) -> Self {
        match &error {
            LibraryError::NotFound { .. } => {
                ApiError::new(ErrorCode::CodeNotFound, error.to_string())
            }
            LibraryError::NotInLibrary(_) => {
                ApiError::new(ErrorCode::ResourceNotFound, error.to_string())
            }
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
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ResourceItem {
    #[serde(flatten)]
    pub(crate) summary: ResourceSummary,
    pub(crate) display_title: Option<String>,
    pub(crate) cover_url: Option<String>,
    pub(crate) thumbnail_url: Option<String>,
}

pub(super) fn display_title(
    mode: DisplayTitle,
    source: &Option<String>,
    translated: &Option<String>,
    original: &Option<String>,
) -> Option<String> {
    display_title_of(
        mode,
        source.as_deref(),
        translated.as_deref(),
        original.as_deref(),
    )
    .map(str::to_owned)
}

/// The title `library.display_title` chooses among the source, translated and original
/// titles (the source title when the chosen one is missing).
pub(super) fn display_title_of<'a>(
    mode: DisplayTitle,
    source: Option<&'a str>,
    translated: Option<&'a str>,
    original: Option<&'a str>,
) -> Option<&'a str> {
    match mode {
        DisplayTitle::Translated => translated.or(source),
        DisplayTitle::Source => source,
        DisplayTitle::Original => original.or(source),
    }
}

/// A resource's cover URL, and its small thumbnail's (a list item's).
pub(super) fn cover_urls(code: &str) -> (String, String) {
    let cover = format!("/api/resource/{code}/cover");
    let thumbnail = format!("{cover}?size=small");
    (cover, thumbnail)
}

/// A list item: the summary with its display title and media URLs. The list answer
/// writes its items from the database's JSON (`list_items`); this is the shape it
/// must match, which its tests hold it to.
#[cfg(test)]
pub(super) fn item(mode: DisplayTitle, summary: ResourceSummary) -> ResourceItem {
    let (cover, thumbnail) = cover_urls(&summary.code);
    ResourceItem {
        display_title: display_title(
            mode,
            &summary.title_source,
            &summary.title_translated,
            &summary.title_original,
        ),
        thumbnail_url: summary.has_cover.then_some(thumbnail),
        cover_url: summary.has_cover.then_some(cover),
        summary,
    }
}

/// What a resource's first screen shows.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Preview {
    pub(crate) code: String,
    /// The title `library.display_title` chooses.
    pub(crate) title: Option<String>,
    pub(crate) release_date: Option<String>,
    pub(crate) duration_seconds: Option<i64>,
    pub(crate) has_video: bool,
    pub(crate) translation_status: crate::store::TranslationStatus,
    pub(crate) people: Vec<Named>,
    pub(crate) tags: Vec<Named>,
    pub(crate) cover_url: Option<String>,
    pub(crate) thumbnail_url: Option<String>,
}

/// A person or a tag by id and name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Named {
    pub(crate) id: i64,
    pub(crate) name: String,
}

/// Everything stored about a resource, with the title `library.display_title` chooses.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Metadata<'a> {
    #[serde(flatten)]
    #[schema(inline)]
    pub(crate) detail: &'a crate::store::ResourceDetail,
    pub(crate) display_title: Option<String>,
    /// The video on disk, for a player; absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) video: Option<Video>,
}

/// A downloaded video as a player needs it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Video {
    /// `/api/resource/{code}/video`: ranges, ETag, typed by its bytes.
    pub(crate) url: String,
    /// What its bytes are (`mp4`, `mpegts`); absent when neither.
    pub(crate) container: Option<crate::media::Container>,
    /// Its size in bytes.
    pub(crate) size: u64,
    /// Whether a browser's `<video>` plays it (MP4); an MPEG-TS file is offered for
    /// download instead (`?download=1`).
    pub(crate) playable: bool,
    /// Subtitles saved beside it, for a player's `<track>`.
    pub(crate) subtitles: Vec<Subtitles>,
}

/// One subtitle file of a video.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Subtitles {
    pub(crate) tag: String,
    /// The playlist's language tag (`srclang`), when it gave one.
    pub(crate) language: Option<String>,
    /// The playlist's name for it (`label`).
    pub(crate) name: String,
    /// `/api/resource/{code}/subtitles/{tag}`: WebVTT.
    pub(crate) url: String,
}

/// The video on disk, if the resource has one.
async fn video_on_disk(
    state: &AppState,
    code: &crate::code::Code,
    recorded: &str,
    tracks: &[crate::store::VideoTrack],
) -> Result<Option<Video>, ApiError> {
    let (probe, recorded) = (code.clone(), recorded.to_owned());
    let found = state
        .library
        .media()
        .blocking(move |media| media.video_file(&probe, &recorded))
        .await;
    match found {
        Ok(file) => Ok(Some(Video {
            url: format!("/api/resource/{code}/video"),
            container: file.container,
            size: file.size,
            playable: file
                .container
                .is_some_and(crate::media::Container::plays_in_browsers),
            subtitles: tracks
                .iter()
                .filter(|track| track.kind == crate::store::TrackKind::Subtitles)
                .map(|track| Subtitles {
                    tag: track.tag.clone(),
                    language: track.language.clone(),
                    name: track.name.clone(),
                    url: format!("/api/resource/{code}/subtitles/{}", track.tag),
                })
                .collect(),
        })),
        Err(crate::media::MediaError::NotFound { .. }) => Ok(None),
        // The record stays readable when the file cannot be looked at (permissions).
        Err(error) => {
            tracing::warn!(%code, %error, "cannot read the video's head");
            Ok(None)
        }
    }
}

/// `GET /api/resource/{code}/preview` (N-H4)
#[utoipa::path(get, path = "/api/resource/{code}/preview", tag = "library", params(("code" = String, Path)), responses((status = 200, description = "First-screen detail", body = Preview), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn preview(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Preview>, ApiError> {
    let code = code(&raw)?;
    let detail = stored_resource(&state, &code).await?;
    let r = &detail.resource;
    let cover = r
        .cover_file
        .is_some()
        .then(|| format!("/api/resource/{code}/cover"));
    Ok(Json(Preview {
        code: r.code.clone(),
        title: display_title(
            state.display_title,
            &r.title_source,
            &r.title_translated,
            &r.title_original,
        ),
        release_date: r.release_date.clone(),
        duration_seconds: r.duration_seconds,
        has_video: r.video_file.is_some(),
        translation_status: r.translation_status,
        people: detail
            .people
            .iter()
            .map(|p| Named {
                id: p.id,
                name: p.name.clone(),
            })
            .collect(),
        tags: detail
            .tags
            .iter()
            .map(|t| Named {
                id: t.id,
                name: t.name.clone(),
            })
            .collect(),
        thumbnail_url: cover.as_ref().map(|c| format!("{c}?size=medium")),
        cover_url: cover,
    }))
}

/// `GET /api/resource/{code}/metadata` (N-H5): full record, ETag and Last-Modified, 304.
#[utoipa::path(get, path = "/api/resource/{code}/metadata", tag = "library", params(("code" = String, Path)), responses((status = 200, description = "Full metadata; ETag and Last-Modified", body = Metadata<'static>), (status = 304, description = "Not modified"), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn metadata(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let code = code(&raw)?;
    let detail = stored_resource(&state, &code).await?;
    let r = &detail.resource;
    // Only a resource recorded with a video has a file worth looking for.
    let video = match &r.video_file {
        Some(recorded) => video_on_disk(&state, &code, recorded, &r.video_tracks).await?,
        None => None,
    };
    let body = Metadata {
        display_title: display_title(
            state.display_title,
            &r.title_source,
            &r.title_translated,
            &r.title_original,
        ),
        detail: &detail,
        video,
    };
    let bytes = serde_json::to_vec(&body).map_err(ApiError::internal)?;
    let etag = format!("\"{}\"", &crate::util::sha256_hex(&bytes)[..32]);
    let modified = httpdate(r.updated_at);
    // If-Modified-Since counts only without If-None-Match (RFC 9110, 13.1.3).
    let not_modified = if headers.contains_key(header::IF_NONE_MATCH) {
        matches_etag(&headers, &etag)
    } else {
        headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(httpdate_parse)
            .is_some_and(|since| r.updated_at / 1000 <= since)
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

/// The body of `POST /api/resource`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AddBody {
    pub(crate) code: String,
    #[serde(default)]
    pub(crate) priority: Value,
}

/// `POST /api/resource` (N-H7): queues an `add_resource` task; `?wait=SECONDS` answers
/// with its outcome (201 with the report, or 404 `code_not_found`).
#[utoipa::path(post, path = "/api/resource", tag = "library", params(("wait" = Option<u64>, Query, description = "Seconds to wait for the outcome")), request_body = AddBody, responses((status = 202, description = "Queued: the task", body = super::tasks::SubmitAnswer), (status = 201, description = "With wait: added; the task and its report", body = super::tasks::SubmitAnswer), (status = 404, description = "With wait: no source knows the code", body = super::error::ErrorBody)))]
pub(super) async fn add(
    State(state): State<AppState>,
    ApiQuery(query): Params,
    ApiJson(body): ApiJson<AddBody>,
) -> Result<Response, ApiError> {
    let q = params(&query, &["wait"])?;
    let code = code(&body.code)?;
    let payload = json!({ "code": code.as_str() });
    submit(
        &state.tasks,
        "add_resource",
        payload,
        priority_of(&body.priority)?,
        wait_param(q, state.max_wait)?,
    )
    .await
}

/// `POST /api/resource/refresh/{code}` (N-H8): queues a `refresh_resource` task with the
/// three switches; `?wait=SECONDS` answers with its outcome.
#[utoipa::path(post, path = "/api/resource/refresh/{code}", tag = "library", params(("code" = String, Path), ("wait" = Option<u64>, Query)), request_body(content = crate::tasks::RefreshPayload, description = "The refresh_resource task's data without `code` (from the path), and `priority`"), responses((status = 202, description = "Queued", body = super::tasks::SubmitAnswer), (status = 201, description = "With wait: refreshed", body = super::tasks::SubmitAnswer), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn refresh(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiQuery(query): Params,
    OptionalJson(body): OptionalJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let q = params(&query, &["wait"])?;
    let code = code(&raw)?;
    let (mut payload, priority) = without_priority(body)?;
    payload.insert("code".to_owned(), Value::from(code.as_str()));
    submit(
        &state.tasks,
        "refresh_resource",
        Value::Object(payload),
        priority,
        wait_param(q, state.max_wait)?,
    )
    .await
}

/// `DELETE /api/resource/{code}` (N-H9)
#[utoipa::path(delete, path = "/api/resource/{code}", tag = "library", params(("code" = String, Path)), responses((status = 204, description = "Deleted with its files"), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let library = &state.library;
    library.delete(&code(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/resources/batch` (N-H10): queues one `batch` task; each item (add,
/// refresh or delete with its switches) gets its own result, never all-or-nothing.
#[utoipa::path(post, path = "/api/resources/batch", tag = "library", params(("wait" = Option<u64>, Query)), request_body(content = crate::tasks::BatchPayload, description = "The batch task's data, and `priority`"), responses((status = 202, description = "Queued", body = super::tasks::SubmitAnswer), (status = 201, description = "With wait: per-item results", body = super::tasks::SubmitAnswer)))]
pub(super) async fn batch(
    State(state): State<AppState>,
    ApiQuery(query): Params,
    OptionalJson(body): OptionalJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    submit_body(&state, "batch", &query, body, |fields| fields).await
}
