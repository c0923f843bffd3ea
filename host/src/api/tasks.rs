//! Task routes (T-C1, T-C2, N-D8): list, submit, inspect, cancel and remove tasks, the
//! queue status, and the quick operations. Also the one way every route that starts
//! background work answers: the task, or with `?wait=SECONDS` its outcome.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::extract::{ApiJson, ApiQuery, OptionalJson};
use super::params::{Params, bad, paging, params};
use crate::store::{Priority, TaskQuery, TaskRow, TaskStatus};
use crate::tasks::{TaskError, TaskQueue};

/// The longest `?wait=` a request may ask for.
const MAX_WAIT_SECONDS: u64 = 300;

/// A body that only sets the task's priority.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PriorityBody {
    /// 1 (low) to 4 (urgent), or low, normal, high, urgent (default normal).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) priority: Value,
}

impl From<TaskError> for ApiError {
    fn from(error: TaskError) -> Self {
        match &error {
            TaskError::UnknownKind(..) => {
                ApiError::new(ErrorCode::UnknownTaskType, error.to_string())
            }
            TaskError::KindDisabled(_) => {
                ApiError::new(ErrorCode::TaskTypeDisabled, error.to_string())
            }
            TaskError::BadPayload { .. } => {
                ApiError::new(ErrorCode::BadTaskData, error.to_string())
            }
            TaskError::NotFound(_) => ApiError::new(ErrorCode::TaskNotFound, error.to_string()),
            TaskError::Active(_) => ApiError::new(ErrorCode::TaskActive, error.to_string()),
            TaskError::Store(_) => ApiError::internal(&error),
        }
    }
}

/// `?wait=SECONDS` of a route that starts a task; None: answer at once. A wait ends at
/// `limit` at the latest ([`wait_limit`]), so the answer is the task (202) rather than
/// the request timeout's 408.
pub(super) fn wait_param(
    query: &HashMap<String, String>,
    limit: Duration,
) -> Result<Option<Duration>, ApiError> {
    match query.get("wait") {
        None => Ok(None),
        Some(text) => {
            let seconds: u64 = text
                .parse()
                .ok()
                .filter(|s| *s <= MAX_WAIT_SECONDS)
                .ok_or_else(|| {
                    bad(format!(
                        "`wait` is a number of seconds up to {MAX_WAIT_SECONDS}"
                    ))
                })?;
            Ok(Some(Duration::from_secs(seconds).min(limit)))
        }
    }
}

/// The longest a `?wait=` lasts: the request timeout less a margin (a fifth of it, from
/// 200 ms to 2 s) for submitting the task and sending the answer.
pub(crate) fn wait_limit(request_timeout: Duration) -> Duration {
    let margin = (request_timeout / 5).clamp(Duration::from_millis(200), Duration::from_secs(2));
    request_timeout.saturating_sub(margin)
}

/// `priority` of a body: a number 1..4 or a name; absent: normal.
pub(super) fn priority_of(value: &Value) -> Result<Priority, ApiError> {
    match value {
        Value::Null => Ok(Priority::Normal),
        Value::Number(number) => number
            .as_i64()
            .and_then(Priority::from_number)
            .ok_or_else(|| bad("`priority` is 1 (low) to 4 (urgent)")),
        Value::String(text) => Priority::parse(text)
            .ok_or_else(|| bad("`priority` is low, normal, high or urgent (any case), or 1 to 4")),
        _ => Err(bad("`priority` is a number or a name")),
    }
}

/// Submits a task and answers: 202 with the task (200 when an identical task was already
/// queued or running), or with `wait`, its outcome once finished: 201 with the result,
/// or the error it ended with (`code_not_found` is a 404, as a direct call would be).
pub(super) async fn submit(
    queue: &TaskQueue,
    kind: &str,
    payload: Value,
    priority: Priority,
    wait: Option<Duration>,
) -> Result<Response, ApiError> {
    let submitted = queue.submit(kind, payload, priority).await?;
    let Some(wait) = wait else {
        let status = if submitted.deduplicated {
            StatusCode::OK
        } else {
            StatusCode::ACCEPTED
        };
        let answer = SubmitAnswer {
            task: submitted.task,
            deduplicated: submitted.deduplicated,
            result: None,
        };
        return Ok((status, Json(answer)).into_response());
    };
    let task = queue.wait(submitted.task.id, wait).await?;
    let (status, result) = match task.status {
        TaskStatus::Completed => (StatusCode::CREATED, task.result.clone()),
        TaskStatus::Failed | TaskStatus::Cancelled => return Err(task_error(&task)),
        _ => (StatusCode::ACCEPTED, None),
    };
    let answer = SubmitAnswer {
        task,
        deduplicated: submitted.deduplicated,
        result,
    };
    Ok((status, Json(answer)).into_response())
}

/// What a submit answers: the task; with `?wait=`, once it completed, its result too.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct SubmitAnswer {
    pub(crate) task: TaskRow,
    /// True when the same task was already queued or running (it is that one).
    pub(crate) deduplicated: bool,
    /// The completed task's result (with `?wait=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub(crate) result: Option<Value>,
}

/// How many tasks a quick operation queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct QueuedCounts {
    pub(crate) queued: u64,
    /// Already pending or running, so not queued again.
    pub(crate) already_queued: u64,
    /// Codes that could not be queued, with the reason.
    pub(crate) invalid: Vec<InvalidCode>,
}

/// A code a quick operation refused.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct InvalidCode {
    pub(crate) code: String,
    pub(crate) error: String,
}

/// `GET /api/schedules`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Schedules {
    pub(crate) schedules: Vec<crate::schedule::ScheduleView>,
}

/// A route that starts one task from a JSON body: `?wait=` as in [`submit`], the body's
/// `priority`, and the task's data made by `payload` from the rest of the body (which the
/// kind's payload type then reads, refusing fields it does not know).
pub(super) async fn submit_body(
    state: &AppState,
    kind: &str,
    query: &HashMap<String, String>,
    body: Map<String, Value>,
    payload: impl FnOnce(Map<String, Value>) -> Map<String, Value>,
) -> Result<Response, ApiError> {
    let q = params(query, &["wait"])?;
    let (fields, priority) = without_priority(body)?;
    submit(
        &state.tasks,
        kind,
        Value::Object(payload(fields)),
        priority,
        wait_param(q, state.max_wait)?,
    )
    .await
}

/// A body's fields apart from `priority`, and the priority.
pub(super) fn without_priority(
    mut fields: Map<String, Value>,
) -> Result<(Map<String, Value>, Priority), ApiError> {
    let priority = priority_of(&fields.remove("priority").unwrap_or(Value::Null))?;
    Ok((fields, priority))
}

/// The error a finished task reports, as the API error a direct call would give: the
/// task's own code (a task stored before codes were recorded reads as `task_failed`).
fn task_error(task: &TaskRow) -> ApiError {
    let code = task.error_code.unwrap_or(match task.status {
        TaskStatus::Cancelled => ErrorCode::TaskCancelled,
        _ => ErrorCode::TaskFailed,
    });
    ApiError::new(code, task.error.as_deref().unwrap_or("the task failed"))
}

/// `GET /api/tasks`
#[utoipa::path(get, path = "/api/tasks", tag = "tasks", params(("status" = Option<String>, Query), ("kind" = Option<String>, Query), ("lane" = Option<String>, Query), ("page" = Option<u32>, Query), ("page_size" = Option<u32>, Query)), responses((status = 200, description = "Tasks, newest first", body = crate::store::Page<TaskRow>)))]
pub(super) async fn list(
    State(state): State<AppState>,
    ApiQuery(query): Params,
) -> Result<Json<crate::store::Page<TaskRow>>, ApiError> {
    let q = params(&query, &["status", "kind", "lane", "page", "page_size"])?;
    let status = q
        .get("status")
        .map(|s| s.parse::<TaskStatus>().map_err(bad))
        .transpose()?;
    let (page, page_size) = paging(q)?;
    let page = state
        .tasks
        .list(&TaskQuery {
            status,
            kind: q.get("kind").cloned(),
            lane: q.get("lane").cloned(),
            page,
            page_size,
        })
        .await?;
    Ok(Json(page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SubmitBody {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) priority: Value,
    #[serde(default)]
    pub(crate) data: Value,
}

/// `POST /api/tasks`: `{type, priority, data}`.
#[utoipa::path(post, path = "/api/tasks", tag = "tasks", params(("wait" = Option<u64>, Query, description = "Seconds to wait for the outcome")), request_body(content = Object, description = "`{type, priority?, data}`: one of the task kinds (the document lists each kind's data)"), responses((status = 202, description = "Queued", body = SubmitAnswer), (status = 200, description = "Already queued or running", body = SubmitAnswer), (status = 201, description = "With wait: completed, with its result", body = SubmitAnswer), (status = 400, body = super::error::ErrorBody)))]
pub(super) async fn create(
    State(state): State<AppState>,
    ApiQuery(query): Params,
    ApiJson(body): ApiJson<SubmitBody>,
) -> Result<Response, ApiError> {
    let q = params(&query, &["wait"])?;
    let data = if body.data.is_null() {
        json!({})
    } else {
        body.data
    };
    submit(
        &state.tasks,
        &body.kind,
        data,
        priority_of(&body.priority)?,
        wait_param(q, state.max_wait)?,
    )
    .await
}

fn task_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| bad("the task id is a number"))
}

/// `GET /api/tasks/{id}`
#[utoipa::path(get, path = "/api/tasks/{id}", tag = "tasks", params(("id" = i64, Path)), responses((status = 200, description = "The task", body = TaskRow), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn get(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<TaskRow>, ApiError> {
    Ok(Json(state.tasks.get(task_id(&raw)?).await?))
}

/// `DELETE /api/tasks/{id}`: cancels an active task (200 with it); removes a finished
/// one (204).
#[utoipa::path(delete, path = "/api/tasks/{id}", tag = "tasks", params(("id" = i64, Path)), responses((status = 200, description = "Cancelled (a running task stops shortly)", body = TaskRow), (status = 204, description = "Removed"), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = task_id(&raw)?;
    let task = state.tasks.get(id).await?;
    if task.status.is_finished() {
        state.tasks.remove(id).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(Json(state.tasks.cancel(id).await?).into_response())
}

/// `GET /api/tasks/queue/status` (N-D8)
#[utoipa::path(get, path = "/api/tasks/queue/status", tag = "tasks", responses((status = 200, description = "Running tasks with progress, pending tasks in order, counts", body = crate::tasks::QueueStatus)))]
pub(super) async fn queue_status(
    State(state): State<AppState>,
) -> Result<Json<crate::tasks::QueueStatus>, ApiError> {
    Ok(Json(state.tasks.status().await?))
}

/// `GET /api/schedules`: each schedule with its next and last run and last outcome.
#[utoipa::path(get, path = "/api/schedules", tag = "tasks", responses((status = 200, description = "Schedules in name order", body = Schedules)))]
pub(super) async fn schedules(State(state): State<AppState>) -> Result<Json<Schedules>, ApiError> {
    let views = state
        .scheduler
        .views(chrono::Utc::now())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Schedules { schedules: views }))
}

/// `POST /api/quick/avatars` (T-C2): person avatars for everyone without one.
#[utoipa::path(post, path = "/api/quick/avatars", tag = "tasks", request_body(content = crate::tasks::AvatarsPayload, description = "The person_avatars task's data, and `priority`"), responses((status = 202, description = "Queued", body = SubmitAnswer)))]
pub(super) async fn quick_avatars(
    State(state): State<AppState>,
    ApiQuery(query): Params,
    OptionalJson(body): OptionalJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    submit_body(&state, "person_avatars", &query, body, |fields| fields).await
}

/// `POST /api/quick/translate` (T-C2): a translate task per title that is pending or
/// failed; with `force`, per title whatever its status (answers come from the cache
/// where the LLM was already asked).
#[utoipa::path(post, path = "/api/quick/translate", tag = "tasks", request_body = QuickTranslateBody, responses((status = 202, description = "Counts of queued and already-queued tasks", body = QueuedCounts), (status = 403, description = "No translator profile is active", body = super::error::ErrorBody)))]
pub(super) async fn quick_translate(
    State(state): State<AppState>,
    OptionalJson(body): OptionalJson<QuickTranslateBody>,
) -> Result<(StatusCode, Json<QueuedCounts>), ApiError> {
    use crate::store::TranslationStatus;
    let force = body.force;
    let priority = match &body.priority {
        Value::Null => Priority::Low,
        other => priority_of(other)?,
    };
    if !state.tasks.kinds().contains(&"translate") {
        return Err(TaskError::KindDisabled("translate".to_owned()).into());
    }
    let statuses = [TranslationStatus::Pending, TranslationStatus::Failed];
    let sources = state
        .library
        .store()
        .translation_sources((!force).then_some(&statuses[..]))
        .await?;
    let (mut queued, mut already) = (0_u64, 0_u64);
    for source in sources {
        let payload = json!({ "code": source.code, "force": force });
        let submitted = state.tasks.submit("translate", payload, priority).await?;
        if submitted.deduplicated {
            already += 1;
        } else {
            queued += 1;
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedCounts {
            queued,
            already_queued: already,
            invalid: Vec::new(),
        }),
    ))
}

/// `POST /api/quick/db-upgrade` (T-C2): the guarded database upgrade as a task (backup,
/// migrate, validate, restore on failure); a running server is normally up to date, so
/// this mostly validates.
#[utoipa::path(post, path = "/api/quick/db-upgrade", tag = "tasks", params(("wait" = Option<u64>, Query)), request_body = PriorityBody, responses((status = 202, description = "Queued", body = SubmitAnswer), (status = 201, description = "With wait: the upgrade's report", body = SubmitAnswer)))]
pub(super) async fn quick_db_upgrade(
    State(state): State<AppState>,
    ApiQuery(query): Params,
    OptionalJson(body): OptionalJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    submit_body(&state, "db_upgrade", &query, body, |fields| fields).await
}

/// The body of `POST /api/quick/translate`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct QuickTranslateBody {
    /// Every title, whatever its status (default: pending and failed ones).
    #[serde(default)]
    pub(crate) force: bool,
    /// 1 to 4 or `low`..`urgent` (default low).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) priority: Value,
}

/// The body of `POST /api/quick/refresh-metadata`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct QuickRefreshBody {
    /// The codes to refresh; absent: every resource.
    #[serde(default)]
    pub(crate) codes: Option<Vec<String>>,
    /// 1 to 4 or `low`..`urgent` (default low).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) priority: Value,
    #[serde(default)]
    pub(crate) refresh_m3u8: Option<bool>,
    #[serde(default)]
    pub(crate) refresh_metadata: Option<bool>,
    #[serde(default)]
    pub(crate) retranslate: Option<bool>,
}

/// `POST /api/quick/refresh-metadata` (T-C2): a refresh task per resource (all, or the
/// `codes` given), at low priority unless said otherwise.
#[utoipa::path(post, path = "/api/quick/refresh-metadata", tag = "tasks", request_body = QuickRefreshBody, responses((status = 202, description = "Counts of queued and already-queued tasks, and refused codes", body = QueuedCounts)))]
pub(super) async fn quick_refresh(
    State(state): State<AppState>,
    OptionalJson(body): OptionalJson<QuickRefreshBody>,
) -> Result<(StatusCode, Json<QueuedCounts>), ApiError> {
    let priority = match &body.priority {
        Value::Null => Priority::Low,
        other => priority_of(other)?,
    };
    let codes: Vec<String> = match body.codes {
        None => state
            .library
            .store()
            .all_codes()
            .await?
            .into_iter()
            .map(|(_, code)| code)
            .collect(),
        Some(codes) => codes,
    };
    let (mut queued, mut already, mut invalid) = (0, 0, Vec::new());
    for code in codes {
        let mut payload = Map::new();
        payload.insert("code".to_owned(), Value::from(code.as_str()));
        for (switch, value) in [
            ("refresh_m3u8", body.refresh_m3u8),
            ("refresh_metadata", body.refresh_metadata),
            ("retranslate", body.retranslate),
        ] {
            if let Some(value) = value {
                payload.insert(switch.to_owned(), Value::Bool(value));
            }
        }
        let payload = Value::Object(payload);
        match state
            .tasks
            .submit("refresh_resource", payload, priority)
            .await
        {
            Ok(submitted) if submitted.deduplicated => already += 1,
            Ok(_) => queued += 1,
            Err(TaskError::BadPayload { message, .. }) => invalid.push(InvalidCode {
                code: code.clone(),
                error: message,
            }),
            Err(error) => return Err(error.into()),
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedCounts {
            queued,
            already_queued: already,
            invalid,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_ends_before_the_request_timeout() {
        for (timeout_ms, limit_ms) in [(30_000, 28_000), (3_000, 2_400), (500, 300), (100, 0)] {
            assert_eq!(
                wait_limit(Duration::from_millis(timeout_ms)),
                Duration::from_millis(limit_ms),
                "{timeout_ms}"
            );
        }
        let query = |wait: &str| HashMap::from([("wait".to_owned(), wait.to_owned())]);
        let limit = Duration::from_secs(28);
        assert_eq!(wait_param(&query("60"), limit).ok().flatten(), Some(limit));
        assert_eq!(
            wait_param(&query("5"), limit).ok().flatten(),
            Some(Duration::from_secs(5))
        );
        assert!(wait_param(&query("301"), limit).is_err());
        assert!(wait_param(&HashMap::new(), limit).is_ok_and(|wait| wait.is_none()));
    }
}
