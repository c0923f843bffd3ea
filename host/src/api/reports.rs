//! Maintenance reports (N-L7): the list, newest first, and one report by name. Names
//! are only looked up when they are plain `[A-Za-z0-9._-]` file names; anything else is
//! a 404, never a path.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::Value;

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::extract::ApiQuery;
use super::params::{Params, bad, params, parse_num};
use crate::maintenance::{MaintenanceError, list_reports, read_report};

/// The most reports one list returns.
const MAX_LIMIT: usize = 1000;

impl From<MaintenanceError> for ApiError {
    fn from(error: MaintenanceError) -> Self {
        match error {
            MaintenanceError::ReportNotFound(name) => {
                ApiError::new(ErrorCode::ReportNotFound, format!("no report named {name}"))
            }
            other => ApiError::internal(other),
        }
    }
}

/// `GET /api/reports`'s answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(super) struct ReportList {
    pub(crate) items: Vec<crate::maintenance::ReportEntry>,
}

/// `GET /api/reports?kind=&limit=`
#[utoipa::path(get, path = "/api/reports", tag = "maintenance", params(("kind" = Option<String>, Query, description = "check_resources, check_videos, check_avatars or db_upgrade"), ("limit" = Option<u32>, Query, description = "At most this many (default 100)")), responses((status = 200, description = "Reports, newest first: name, kind, time, size, applied, summary counts", body = ReportList)))]
pub(super) async fn list(
    State(state): State<AppState>,
    ApiQuery(query): Params,
) -> Result<Json<ReportList>, ApiError> {
    let q = params(&query, &["kind", "limit"])?;
    let limit = parse_num::<usize>(q, "limit")?.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad(format!("`limit` must be between 1 and {MAX_LIMIT}")));
    }
    let reports = list_reports(state.reports_dir.clone(), q.get("kind").cloned(), limit).await?;
    Ok(Json(ReportList { items: reports }))
}

/// `GET /api/reports/{name}`
#[utoipa::path(get, path = "/api/reports/{name}", tag = "maintenance", params(("name" = String, Path, description = "A report's file name from the list")), responses((status = 200, description = "The report: summary and every issue", body = crate::maintenance::Report), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(read_report(state.reports_dir.clone(), name).await?))
}
