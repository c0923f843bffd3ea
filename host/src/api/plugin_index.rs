//! Plugin-index routes: what the followed indexes offer, install by name, approve,
//! pin, a plugin's history, poll now.

use std::future::Future;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use super::extract::ApiJson;
use crate::plugin_index::{Approval, HistoryLine, IndexError, IndexStatus, InstallResult};

impl From<IndexError> for ApiError {
    fn from(error: IndexError) -> Self {
        match error {
            IndexError::Io(_) => Self::internal(error),
            _ => Self::new(error.code(), error.to_string()),
        }
    }
}

/// `GET /api/index` body.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct IndexList {
    pub(crate) indexes: Vec<IndexStatus>,
}

/// `GET /api/index`
#[utoipa::path(get, path = "/api/index", tag = "plugins", responses((status = 200, description = "The followed indexes: what they offer and how each plugin stands", body = IndexList)))]
pub(super) async fn list(State(state): State<AppState>) -> Json<IndexList> {
    Json(IndexList {
        indexes: state.indexes.statuses(),
    })
}

/// `POST /api/index/refresh`
#[utoipa::path(post, path = "/api/index/refresh", tag = "plugins", responses((status = 200, description = "Every index polled now (updates installed as a poll would)", body = IndexList)))]
pub(super) async fn refresh(State(state): State<AppState>) -> Json<IndexList> {
    state.indexes.poll_all().await;
    Json(IndexList {
        indexes: state.indexes.statuses(),
    })
}

/// `POST /api/plugins/install` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct InstallRequest {
    /// The index; may be left out when one is configured.
    #[serde(default)]
    pub(crate) index: Option<String>,
    pub(crate) name: String,
    /// A version; default the newest this host can run.
    #[serde(default)]
    pub(crate) version: Option<String>,
}

/// `POST /api/plugins/install`
#[utoipa::path(post, path = "/api/plugins/install", tag = "plugins", request_body = InstallRequest, responses((status = 200, description = "Installed or already serving", body = InstallResult), (status = 202, description = "Waiting for approval: POST /api/plugins/{name}/approve with the pending difference; or still installing when the answer was due (outcome `installing`: the result follows as an event and in the plugin's history)", body = InstallResult), (status = 404, body = super::error::ErrorBody), (status = 502, body = super::error::ErrorBody)))]
pub(super) async fn install(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<InstallRequest>,
) -> Result<(StatusCode, Json<InstallResult>), ApiError> {
    let follower = state.indexes.get(request.index.as_deref())?.clone();
    let version = request.version.clone();
    let work = async move {
        follower
            .install(&request.name, request.version.as_deref())
            .await
    };
    answer_within(&state, version, work).await
}

/// Runs an install apart from the request, so that the request's end (its timeout, a
/// client that went away) never stops it half-way, and answers with its result, or,
/// when it is not done short of the request timeout, with `installing`.
async fn answer_within(
    state: &AppState,
    version: Option<String>,
    work: impl Future<Output = Result<InstallResult, IndexError>> + Send + 'static,
) -> Result<(StatusCode, Json<InstallResult>), ApiError> {
    let mut running = tokio::spawn(work);
    let result = match tokio::time::timeout(state.max_wait, &mut running).await {
        Ok(Ok(result)) => result?,
        Ok(Err(error)) => return Err(ApiError::internal(format!("install task: {error}"))),
        Err(_) => {
            tracing::info!("install still running when the answer was due: answering `installing`");
            InstallResult::Installing { version }
        }
    };
    Ok(answer(result))
}

fn answer(result: InstallResult) -> (StatusCode, Json<InstallResult>) {
    let status = match result {
        InstallResult::ApprovalRequired { .. } | InstallResult::Installing { .. } => {
            StatusCode::ACCEPTED
        }
        _ => StatusCode::OK,
    };
    (status, Json(result))
}

/// `POST /api/plugins/{name}/approve` body: the pending difference, echoed.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ApproveRequest {
    #[serde(default)]
    pub(crate) index: Option<String>,
    #[serde(flatten)]
    pub(crate) approval: Approval,
}

/// `POST /api/plugins/{name}/approve`
#[utoipa::path(post, path = "/api/plugins/{name}/approve", tag = "plugins", params(("name" = String, Path, description = "Plugin name")), request_body = ApproveRequest, responses((status = 200, description = "Approved and installed", body = InstallResult), (status = 202, description = "Approved, still installing when the answer was due (outcome `installing`: the result follows as an event and in the plugin's history)", body = InstallResult), (status = 409, description = "The approval does not match what is pending", body = super::error::ErrorBody)))]
pub(super) async fn approve(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(request): ApiJson<ApproveRequest>,
) -> Result<(StatusCode, Json<InstallResult>), ApiError> {
    let follower = state.indexes.get(request.index.as_deref())?.clone();
    let version = Some(request.approval.version.clone());
    let work = async move { follower.approve(&name, &request.approval).await };
    answer_within(&state, version, work).await
}

/// `POST /api/plugins/{name}/pin`, `DELETE` the same: the answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Pinned {
    pub(crate) name: String,
    pub(crate) pinned: bool,
}

/// `POST /api/plugins/{name}/pin`
#[utoipa::path(post, path = "/api/plugins/{name}/pin", tag = "plugins", params(("name" = String, Path, description = "Plugin name")), responses((status = 200, description = "Pinned: not updated from its index", body = Pinned), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn pin(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Pinned>, ApiError> {
    set_pinned(&state, name, true).await
}

/// `DELETE /api/plugins/{name}/pin`
#[utoipa::path(delete, path = "/api/plugins/{name}/pin", tag = "plugins", params(("name" = String, Path, description = "Plugin name")), responses((status = 200, description = "Unpinned: updated from its index again", body = Pinned), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn unpin(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Pinned>, ApiError> {
    set_pinned(&state, name, false).await
}

async fn set_pinned(
    state: &AppState,
    name: String,
    pinned: bool,
) -> Result<Json<Pinned>, ApiError> {
    let follower = state
        .indexes
        .following(&name)
        .ok_or_else(|| IndexError::NotFound(format!("{name} was not installed from an index")))?;
    follower.set_pinned(&name, pinned).await?;
    Ok(Json(Pinned { name, pinned }))
}

/// `GET /api/plugins/{name}/history` body.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct History {
    pub(crate) name: String,
    pub(crate) index: Option<String>,
    pub(crate) lines: Vec<HistoryLine>,
}

/// `GET /api/plugins/{name}/history`
#[utoipa::path(get, path = "/api/plugins/{name}/history", tag = "plugins", params(("name" = String, Path, description = "Plugin name")), responses((status = 200, description = "Its installs, updates, approvals and refusals from its index, oldest first", body = History)))]
pub(super) async fn history(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Json<History> {
    let follower = state.indexes.following(&name);
    let lines = match &follower {
        Some(follower) => follower.history(&name).unwrap_or_default(),
        None => Vec::new(),
    };
    Json(History {
        name,
        index: follower.map(|f| f.name().to_owned()),
        lines,
    })
}
