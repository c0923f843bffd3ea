//! Download routes (N-D3, N-D4, N-D7): queue a resource's download (one runs at a time
//! across the deployment), queue many, delete a video (the resource stays), and the
//! debug-only mock download.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery, OptionalJson};
use super::params::{Params, bad, code, params, stored_resource};
use super::tasks::{PriorityBody, priority_of, submit, submit_body, wait_param};
use crate::store::Priority;
use crate::tasks::TaskError;

/// Most codes one batch submit takes.
const MAX_BATCH_CODES: usize = 1000;

/// The body of `POST /api/downloads/batch_submit`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BatchDownloadBody {
    /// 1 to 1000 codes; each is checked on its own and gets its own result.
    #[schema(value_type = Vec<String>)]
    pub(crate) codes: Vec<Value>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) priority: Value,
}

/// What a batch of downloads did, code by code.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct BatchDownloads {
    pub(crate) results: Vec<BatchDownload>,
    pub(crate) failed: usize,
}

/// One code of a batch: its task, or why it has none.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct BatchDownload {
    /// The code as sent.
    #[schema(value_type = String)]
    pub(crate) input: Value,
    pub(crate) ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) deduplicated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<ErrorBody>,
}

/// What `DELETE /api/downloads/{code}` removed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct VideoRemoved {
    pub(crate) code: String,
    pub(crate) video_removed: bool,
    /// The download task that was stopped, if one was queued or running.
    pub(crate) cancelled_task: Option<i64>,
}

/// `POST /api/downloads/{code}` (N-D3): queues the download of a resource in the library.
#[utoipa::path(post, path = "/api/downloads/{code}", tag = "downloads", params(("code" = String, Path), ("wait" = Option<u64>, Query)), request_body = PriorityBody, responses((status = 202, description = "Queued", body = super::tasks::SubmitAnswer), (status = 200, description = "Already queued or running", body = super::tasks::SubmitAnswer), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn submit_one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiQuery(query): Params,
    OptionalJson(body): OptionalJson<PriorityBody>,
) -> Result<Response, ApiError> {
    let q = params(&query, &["wait"])?;
    let code = code(&raw)?;
    stored_resource(&state, &code).await?;
    let payload = json!({ "code": code.as_str() });
    submit(
        &state.tasks,
        "download",
        payload,
        priority_of(&body.priority)?,
        wait_param(q, state.max_wait)?,
    )
    .await
}

/// `POST /api/downloads/batch_submit` (N-D3): `{codes, priority?}`; a result per code.
#[utoipa::path(post, path = "/api/downloads/batch_submit", tag = "downloads", request_body = BatchDownloadBody, responses((status = 202, description = "Per-code results", body = BatchDownloads)))]
pub(super) async fn submit_batch(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<BatchDownloadBody>,
) -> Result<(StatusCode, Json<BatchDownloads>), ApiError> {
    let priority = priority_of(&body.priority)?;
    let codes = &body.codes;
    if codes.is_empty() || codes.len() > MAX_BATCH_CODES {
        return Err(bad(format!(
            "`codes` is a list of 1 to {MAX_BATCH_CODES} codes"
        )));
    }
    let mut results = Vec::with_capacity(codes.len());
    for raw in codes {
        let outcome = submit_code(&state, raw, priority).await;
        results.push(match outcome {
            Ok((task_id, deduplicated)) => BatchDownload {
                input: raw.clone(),
                ok: true,
                task_id: Some(task_id),
                deduplicated: Some(deduplicated),
                error: None,
            },
            Err(error) => BatchDownload {
                input: raw.clone(),
                ok: false,
                task_id: None,
                deduplicated: None,
                error: Some(ErrorBody {
                    code: error.code,
                    message: error.message,
                }),
            },
        });
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    Ok((
        StatusCode::ACCEPTED,
        Json(BatchDownloads { results, failed }),
    ))
}

async fn submit_code(
    state: &AppState,
    raw: &Value,
    priority: Priority,
) -> Result<(i64, bool), ApiError> {
    let code = code(raw.as_str().ok_or_else(|| bad("a code is a string"))?)?;
    stored_resource(state, &code).await?;
    let submitted = state
        .tasks
        .submit("download", json!({ "code": code.as_str() }), priority)
        .await?;
    Ok((submitted.task.id, submitted.deduplicated))
}

/// `DELETE /api/downloads/{code}` (N-D4): stops a queued or running download of it and
/// removes the video file; the resource stays in the library.
#[utoipa::path(delete, path = "/api/downloads/{code}", tag = "downloads", params(("code" = String, Path)), responses((status = 200, description = "What was removed", body = VideoRemoved), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<VideoRemoved>, ApiError> {
    let code = code(&raw)?;
    stored_resource(&state, &code).await?;
    let cancelled = match state.tasks.cancel_active("download", code.as_str()).await {
        Ok(task) => task.map(|task| task.id),
        Err(TaskError::NotFound(_)) => None,
        Err(error) => return Err(error.into()),
    };
    let removed = state.library.delete_video(&code).await?;
    Ok(Json(VideoRemoved {
        code: code.as_str().to_owned(),
        video_removed: removed,
        cancelled_task: cancelled,
    }))
}

/// `POST /api/downloads/mock/{code}` (N-D7): a fake download (no network) that occupies
/// the download lane for `duration_ms`; only when `tasks.mock_downloads` is on.
#[utoipa::path(post, path = "/api/downloads/mock/{code}", tag = "downloads", params(("code" = String, Path), ("wait" = Option<u64>, Query)), request_body(content = crate::tasks::MockDownloadPayload, description = "The mock_download task's data without `code` (from the path), and `priority`"), responses((status = 202, description = "Queued", body = super::tasks::SubmitAnswer), (status = 403, description = "Mock downloads are off", body = super::error::ErrorBody)))]
pub(super) async fn mock(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiQuery(query): Params,
    OptionalJson(body): OptionalJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let code = code(&raw)?;
    submit_body(&state, "mock_download", &query, body, |mut fields| {
        fields.insert("code".to_owned(), Value::from(code.as_str()));
        fields
    })
    .await
}
