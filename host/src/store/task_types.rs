//! The task queue's plain structs: what callers write to and read from the `tasks` table.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The lower-case name stored and shown.
    pub fn as_str(self) -> &'static str {
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

/// Task priority (T-G2): low 1, normal 2, high 3, urgent 4; FIFO within one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Priority {
    Low = 1,
    #[default]
    Normal = 2,
    High = 3,
    Urgent = 4,
}

impl Priority {
    /// From the stored number or a client's number; None outside 1..=4.
    pub fn from_number(number: i64) -> Option<Self> {
        match number {
            1 => Some(Self::Low),
            2 => Some(Self::Normal),
            3 => Some(Self::High),
            4 => Some(Self::Urgent),
            _ => None,
        }
    }

    /// From a number or a name (`low`, `normal`, `high`, `urgent`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "low" => Some(Self::Low),
            "normal" => Some(Self::Normal),
            "high" => Some(Self::High),
            "urgent" => Some(Self::Urgent),
            other => other.parse().ok().and_then(Self::from_number),
        }
    }

    pub fn number(self) -> i64 {
        self as i64
    }
}

impl Serialize for Priority {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.number())
    }
}

impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = i64::deserialize(deserializer)?;
        Self::from_number(number).ok_or_else(|| {
            serde::de::Error::custom(format!("priority {number} is not one of 1 to 4"))
        })
    }
}

/// In the API's schema: the number (1 low to 4 urgent) it is written as.
impl utoipa::PartialSchema for Priority {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(4))
            .description(Some("1 low, 2 normal, 3 high, 4 urgent"))
            .into()
    }
}

impl utoipa::ToSchema for Priority {}

/// A task to put in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub kind: String,
    pub lane: String,
    pub priority: Priority,
    /// At most one pending-or-running task per (kind, key); None: no dedup.
    pub dedup_key: Option<String>,
    /// JSON.
    pub payload: String,
    pub max_attempts: u32,
    /// Unix ms; now or later.
    pub run_after: i64,
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskRow {
    pub id: i64,
    pub kind: String,
    pub lane: String,
    pub priority: Priority,
    pub dedup_key: Option<String>,
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
    pub lease_holder: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub cancel_requested: bool,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub updated_at: i64,
}

impl TaskRow {
    /// The catalog code the task is about, when its payload names one (events and the
    /// queue status show it).
    pub fn subject_code(&self) -> Option<String> {
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
pub enum Enqueued {
    Created(TaskRow),
    Existing(TaskRow),
}

impl Enqueued {
    pub fn task(&self) -> &TaskRow {
        match self {
            Self::Created(task) | Self::Existing(task) => task,
        }
    }

    pub fn into_task(self) -> TaskRow {
        match self {
            Self::Created(task) | Self::Existing(task) => task,
        }
    }
}

/// The proof a worker holds a running task: writes carrying it touch the row only while
/// the worker still owns that attempt (a stale worker's late writes change nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub task_id: i64,
    pub attempt: u32,
    pub holder: String,
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
pub enum AttemptEnd {
    Completed {
        result: String,
    },
    /// Tried again at `retry_at` when attempts remain, else failed.
    Failed {
        /// The stable code clients branch on.
        code: ErrorCode,
        error: String,
        retry_at: Option<i64>,
    },
    Cancelled {
        error: String,
    },
}
