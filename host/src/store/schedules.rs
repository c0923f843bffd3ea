//! Schedule state: the last tick each schedule fired, claimed with a conditional update
//! so a tick fires once across restarts and across hosts (N-K1..N-K6).

use super::{Result, Store, now_ms};

/// A `schedules` row as selected: name, last fire, last task, last error.
type StateRow = (String, Option<i64>, Option<i64>, Option<String>);

/// What is stored about one schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ScheduleState {
    pub(crate) name: String,
    /// The tick (unix ms) that fired last; None before the first.
    pub(crate) last_fire_at: Option<i64>,
    /// The task that tick queued.
    pub(crate) last_task_id: Option<i64>,
    /// Why the last tick queued nothing, if it failed.
    pub(crate) last_error: Option<String>,
}

impl Store {
    /// The stored state of every schedule.
    pub(crate) async fn schedule_states(&self) -> Result<Vec<ScheduleState>> {
        let rows: Vec<StateRow> = sqlx::query_as(
            "SELECT name, last_fire_at, last_task_id, last_error FROM schedules ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(name, last_fire_at, last_task_id, last_error)| ScheduleState {
                    name,
                    last_fire_at,
                    last_task_id,
                    last_error,
                },
            )
            .collect())
    }

    /// Starts tracking a schedule at `since` (unix ms) if it is new, so ticks before the
    /// schedule existed never fire. Returns the stored state.
    pub(crate) async fn track_schedule(&self, name: &str, since: i64) -> Result<ScheduleState> {
        sqlx::query(
            "INSERT INTO schedules (name, last_fire_at, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(since)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        let row: StateRow = sqlx::query_as(
            "SELECT name, last_fire_at, last_task_id, last_error FROM schedules WHERE name = $1",
        )
        .bind(name)
        .fetch_one(self.pool())
        .await?;
        Ok(ScheduleState {
            name: row.0,
            last_fire_at: row.1,
            last_task_id: row.2,
            last_error: row.3,
        })
    }

    /// Claims `tick` (unix ms) for a schedule: true for exactly one caller per tick, and
    /// only while the tick is newer than the last one claimed.
    pub(crate) async fn claim_tick(&self, name: &str, tick: i64) -> Result<bool> {
        let result = sqlx::query(
            "UPDATE schedules SET last_fire_at = $2, last_task_id = NULL, last_error = NULL, \
             updated_at = $3 WHERE name = $1 AND (last_fire_at IS NULL OR last_fire_at < $2)",
        )
        .bind(name)
        .bind(tick)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Records what a claimed tick did: the task it queued, or why it queued none.
    pub(crate) async fn record_fire(
        &self,
        name: &str,
        tick: i64,
        task_id: Option<i64>,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE schedules SET last_task_id = $3, last_error = $4, updated_at = $5 \
             WHERE name = $1 AND last_fire_at = $2",
        )
        .bind(name)
        .bind(tick)
        .bind(task_id)
        .bind(error)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
