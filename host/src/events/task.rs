//! The payloads of the task events: a task as a queue shows it, a failure, progress and
//! the queue's status.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;
use crate::store::{Priority, TaskStatus};

/// A task as a client shows it in a queue (`task_queued`, `task_started`,
/// `task_completed`, `task_cancelled`, and within `task_failed` and `queue_status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskEvent {
    pub task_id: i64,
    /// The task's kind (`add_resource`, `download`, ...).
    pub kind: String,
    pub lane: String,
    #[schema(value_type = String, example = "running")]
    pub status: TaskStatus,
    /// 1 low, 2 normal, 3 high, 4 urgent.
    #[schema(value_type = i64, example = 2)]
    pub priority: Priority,
    /// The catalog code the task is about, when its payload names one.
    pub code: Option<String>,
    pub attempts: u32,
    pub max_attempts: u32,
    pub error: Option<String>,
    pub error_code: Option<ErrorCode>,
    /// The kind's last progress report.
    #[schema(value_type = Option<Object>)]
    pub progress: Option<serde_json::Value>,
    /// The kind's result, once completed.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
}

/// `task_failed` (failed for good) and `task_retrying` (an attempt failed, another comes
/// at `retry_at`): the task, and whether it will be tried again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskFailedEvent {
    #[serde(flatten)]
    pub task: TaskEvent,
    /// Attempts remain: the task is pending again until `retry_at`.
    pub will_retry: bool,
    /// Unix ms of the next attempt; null when the task failed for good.
    pub retry_at: Option<i64>,
}

/// `progress_update`: what a running task reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProgressEvent {
    pub task_id: i64,
    pub kind: String,
    pub code: Option<String>,
    /// The kind's own progress (a download: `segments_done`, `segments_total`, `bytes`,
    /// `bytes_per_second`, `eta_seconds`, `percent`, `speed`).
    #[schema(value_type = Object)]
    pub progress: serde_json::Value,
    /// The code again, where clients of the system Kura replaces read it (`data.avid`).
    pub avid: Option<String>,
    /// The progress's `percent` (0 to 100, one decimal), when the kind reports one.
    pub percent: Option<f64>,
    /// The progress's `speed` (`12.3 MB/s`), when the kind reports one.
    pub speed: Option<String>,
}

/// `queue_status`: the queue after a change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueStatusEvent {
    pub(crate) running: Vec<TaskEvent>,
    /// How many tasks wait.
    pub(crate) pending: usize,
    /// Tasks by status (`pending`, `running`, `completed`, `failed`, `cancelled`).
    pub(crate) counts: BTreeMap<String, u64>,
}
