//! The payload of `schedule_fired`.

use serde::{Deserialize, Serialize};

/// `schedule_fired`: a schedule's tick and the task it queued.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScheduleEvent {
    /// The schedule's name in the config.
    pub(crate) schedule: String,
    /// The tick, RFC 3339.
    #[schema(example = "2025-01-01T03:00:00+00:00")]
    pub(crate) tick: String,
    /// The task queued; null when it could not be (the reason is in the schedule's view).
    pub(crate) task_id: Option<i64>,
    /// A tick missed while the server was down, fired at start-up.
    pub(crate) catch_up: bool,
}
