//! The task queue's plain structs: what callers write to and read from the `tasks` table.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::types::Priority;

use crate::error_code::ErrorCode;

/// Where a task stands (T-G1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    #[default]
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl TaskStatus {
    pub(crate) const ALL: [Self; 5] = [
        Self::Pending,
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The lower-case name stored and shown.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether the task will not change any more.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaskStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown task status `{s}` (pending, running, completed, failed, cancelled)"
                )
            })
    }
}

/// A task to put in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewTask {
    pub(crate) kind: String,
    pub(crate) lane: String,
    pub(crate) priority: Priority,
    /// At most one pending-or-running task per (kind, key); None: no dedup.
    pub(crate) dedup_key: Option<String>,
    /// JSON.
    pub(crate) payload: String,
    pub(crate) max_attempts: u32,
    /// Unix ms; now or later.
    pub(crate) run_after: i64,
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskRow {
    pub id: i64,
    pub(crate) kind: String,
    pub(crate) lane: String,
    pub(crate) priority: Priority,
    pub(crate) dedup_key: Option<String>,
    pub payload: serde_json::Value,
    pub status: TaskStatus,
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_after: i64,
    pub progress: Option<serde_json::Value>,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    /// The stable code of a failed or cancelled task.
    pub error_code: Option<ErrorCode>,
    pub(crate) lease_holder: Option<String>,
    pub(crate) lease_expires_at: Option<i64>,
    pub(crate) cancel_requested: bool,
    pub(crate) created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub(crate) updated_at: i64,
}

impl TaskRow {
    /// The catalog code the task is about, when its payload names one (events and the
    /// queue status show it).
    pub(crate) fn subject_code(&self) -> Option<String> {
        /// The one field every code-bearing payload shares.
        #[derive(Deserialize)]
        struct Subject {
            code: Option<String>,
        }
        Subject::deserialize(&self.payload).ok()?.code
    }
}

/// Whether an enqueue made a new task or found the one already queued or running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Enqueued {
    Created(TaskRow),
    Existing(TaskRow),
}

impl Enqueued {
    #[cfg(test)]
    pub(crate) fn task(&self) -> &TaskRow {
        match self {
            Self::Created(task) | Self::Existing(task) => task,
        }
    }

    #[cfg(test)]
    pub(crate) fn into_task(self) -> TaskRow {
        match self {
            Self::Created(task) | Self::Existing(task) => task,
        }
    }
}

/// The proof a worker holds a running task: writes carrying it touch the row only while
/// the worker still owns that attempt (a stale worker's late writes change nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lease {
    pub(crate) task_id: i64,
    pub(crate) attempt: u32,
    pub(crate) holder: String,
}

/// A task list request; `None` matches everything. Newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskQuery {
    pub status: Option<TaskStatus>,
    pub kind: Option<String>,
    pub lane: Option<String>,
    pub page: u32,
    pub page_size: u32,
}

/// How a running attempt ended, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttemptEnd {
    Completed {
        result: String,
    },
    /// Tried again at `retry_at` when attempts remain, else failed.
    Failed {
        /// The stable code clients branch on.
        code: ErrorCode,
        error: String,
        retry_at: Option<i64>,
        /// JSON kept as the task's result: what the attempt found before it failed
        /// (the lookups of a code no source knows), for clients to show.
        details: Option<String>,
    },
    Cancelled {
        error: String,
    },
}
