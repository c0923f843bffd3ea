//! The durable task queue (T-A1, T-A7, N-E1, N-E2): enqueue with dedup by a unique index,
//! claim by priority then age, leases renewed by heartbeat and fenced by the attempt
//! number, retries, cancellation, and the reaper that takes back tasks whose worker died.
//!
//! The claim is one statement on SQLite (writers are serialised by the database). On
//! PostgreSQL it runs in a transaction that takes an advisory lock for a serial lane (so
//! two hosts never both start a download) and skips rows other claimers hold.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::bind::{Sql, Value, fetch_page};
use super::{
    AttemptEnd, Backend, Enqueued, Lease, NewTask, Page, Priority, Result, Store, StoreError,
    TaskQuery, TaskRow, TaskStatus, now_ms,
};
use crate::error_code::ErrorCode;

const TASK_COLUMNS: &str = "id, kind, lane, priority, dedup_key, payload, status, attempts, \
     max_attempts, run_after, progress, result, error, error_code, lease_holder, lease_expires_at, \
     cancel_requested, created_at, started_at, finished_at, updated_at";

/// How many times an enqueue retries when its duplicate finished between the insert and
/// the look-up (each retry is a fresh insert, so this ends quickly).
const ENQUEUE_ATTEMPTS: usize = 5;

impl Store {
    /// Queues a task, or returns the pending-or-running task with the same kind and
    /// dedup key (race-free: the unique index decides, not a check-then-insert).
    pub(crate) async fn enqueue(&self, task: &NewTask) -> Result<Enqueued> {
        let now = now_ms();
        for _ in 0..ENQUEUE_ATTEMPTS {
            let inserted = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO tasks (kind, lane, priority, dedup_key, payload, max_attempts, \
                 run_after, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (kind, dedup_key) WHERE status IN ('pending', 'running') \
                 AND dedup_key IS NOT NULL DO NOTHING RETURNING {TASK_COLUMNS}"
            )))
            .bind(&task.kind)
            .bind(&task.lane)
            .bind(task.priority.number())
            .bind(&task.dedup_key)
            .bind(&task.payload)
            .bind(i64::from(task.max_attempts))
            .bind(task.run_after.max(now))
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
            if let Some(row) = inserted {
                return Ok(Enqueued::Created(task_row(&row)?));
            }
            let existing = sqlx::query(AssertSqlSafe(format!(
                "SELECT {TASK_COLUMNS} FROM tasks WHERE kind = $1 AND dedup_key = $2 \
                 AND status IN ('pending', 'running')"
            )))
            .bind(&task.kind)
            .bind(&task.dedup_key)
            .fetch_optional(self.pool())
            .await?;
            if let Some(row) = existing {
                return Ok(Enqueued::Existing(task_row(&row)?));
            }
        }
        Err(StoreError::Conflict(format!(
            "task {} {:?} kept finishing while being queued",
            task.kind, task.dedup_key
        )))
    }

    /// One task, or None.
    pub(crate) async fn get_task(&self, id: i64) -> Result<Option<TaskRow>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(task_row)
        .transpose()
    }

    /// The pending-or-running task of `kind` for `key`, if any.
    pub(crate) async fn active_task(&self, kind: &str, key: &str) -> Result<Option<TaskRow>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE kind = $1 AND dedup_key = $2 \
             AND status IN ('pending', 'running')"
        )))
        .bind(kind)
        .bind(key)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(task_row)
        .transpose()
    }

    /// A page of tasks, newest first.
    pub(crate) async fn list_tasks(&self, query: &TaskQuery) -> Result<Page<TaskRow>> {
        let mut filter = Sql::new(" WHERE 1 = 1");
        if let Some(status) = query.status {
            filter
                .push(" AND status = ")
                .bind(Value::Text(status.as_str().to_owned()));
        }
        if let Some(kind) = &query.kind {
            filter.push(" AND kind = ").bind(Value::Text(kind.clone()));
        }
        if let Some(lane) = &query.lane {
            filter.push(" AND lane = ").bind(Value::Text(lane.clone()));
        }
        fetch_page(
            self.pool(),
            &filter,
            (
                "SELECT COUNT(*) FROM tasks",
                &format!("SELECT {TASK_COLUMNS} FROM tasks"),
            ),
            "id DESC",
            (query.page, query.page_size),
            task_row,
        )
        .await
    }

    /// Running tasks (oldest first) and pending ones in the order they will run.
    pub(crate) async fn queue_snapshot(
        &self,
        pending_limit: u32,
    ) -> Result<(Vec<TaskRow>, Vec<TaskRow>)> {
        let running = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE status = 'running' ORDER BY started_at, id"
        )))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(task_row)
        .collect::<Result<Vec<_>>>()?;
        let pending = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE status = 'pending' \
             ORDER BY lane, priority DESC, id LIMIT $1"
        )))
        .bind(i64::from(pending_limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(task_row)
        .collect::<Result<Vec<_>>>()?;
        Ok((running, pending))
    }

    /// Counts by status.
    pub(crate) async fn task_counts(&self) -> Result<Vec<(TaskStatus, u64)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM tasks GROUP BY status ORDER BY status")
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|(status, count)| {
                let status = status.parse().map_err(StoreError::Corrupt)?;
                Ok((status, count.max(0) as u64))
            })
            .collect()
    }

    /// Per lane: how many tasks wait, and since when the oldest waits (unix ms).
    pub(crate) async fn pending_by_lane(&self) -> Result<Vec<(String, u64, i64)>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT lane, COUNT(*), MIN(created_at) FROM tasks WHERE status = 'pending' \
             GROUP BY lane ORDER BY lane",
        )
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(lane, count, oldest)| (lane, count.max(0) as u64, oldest))
            .collect())
    }

    /// Takes the next runnable task of `lane` for `holder`, with a lease until
    /// `now + lease_ms`. A serial lane gives nothing while one of its tasks runs.
    pub(crate) async fn claim(
        &self,
        lane: &str,
        holder: &str,
        lease_ms: i64,
        serial: bool,
    ) -> Result<Option<TaskRow>> {
        let now = now_ms();
        let lock = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let text = format!(
            "UPDATE tasks SET status = 'running', attempts = attempts + 1, lease_holder = $1, \
             lease_expires_at = $2, started_at = $3, updated_at = $3, progress = NULL \
             WHERE id = (SELECT id FROM tasks WHERE lane = $4 AND status = 'pending' \
             AND run_after <= $3 ORDER BY priority DESC, id LIMIT 1{lock}) \
             AND ($5 = 0 OR NOT EXISTS (SELECT 1 FROM tasks r WHERE r.lane = $4 AND r.status = 'running')) \
             RETURNING {TASK_COLUMNS}"
        );
        let mut tx = self.begin_write().await?;
        if serial && self.backend() == Backend::Postgres {
            // Serialises claims of this lane across hosts until the transaction ends.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))::text")
                .bind(format!("kura-lane-{lane}"))
                .fetch_one(&mut *tx)
                .await?;
        }
        let row = sqlx::query(AssertSqlSafe(text))
            .bind(holder)
            .bind(now + lease_ms)
            .bind(now)
            .bind(lane)
            .bind(i64::from(serial))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.as_ref().map(task_row).transpose()
    }

    /// Extends a lease. Ok(None) when the lease is no longer held (another attempt took
    /// the task, or it was reaped); Ok(Some(cancel_requested)) otherwise.
    pub(crate) async fn renew(&self, lease: &Lease, lease_ms: i64) -> Result<Option<bool>> {
        let now = now_ms();
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE tasks SET lease_expires_at = $4, updated_at = $5 \
             WHERE id = $1 AND attempts = $2 AND lease_holder = $3 AND status = 'running' \
             RETURNING cancel_requested",
        )
        .bind(lease.task_id)
        .bind(i64::from(lease.attempt))
        .bind(&lease.holder)
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(cancel,)| cancel != 0))
    }

    /// Records progress (JSON) while the lease is held; false when it is not.
    pub(crate) async fn set_task_progress(&self, lease: &Lease, progress: &str) -> Result<bool> {
        let result = sqlx::query(
            "UPDATE tasks SET progress = $4, updated_at = $5 \
             WHERE id = $1 AND attempts = $2 AND lease_holder = $3 AND status = 'running'",
        )
        .bind(lease.task_id)
        .bind(i64::from(lease.attempt))
        .bind(&lease.holder)
        .bind(progress)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Ends an attempt: completed, failed (retried at `retry_at` while attempts remain)
    /// or cancelled. None when the lease is no longer held: the write is fenced out.
    pub(crate) async fn finish_attempt(
        &self,
        lease: &Lease,
        end: &AttemptEnd,
    ) -> Result<Option<TaskRow>> {
        let now = Value::Int(now_ms());
        let mut sql = Sql::new("UPDATE tasks SET ");
        match end {
            AttemptEnd::Completed { result } => {
                sql.push("status = 'completed', error = NULL, error_code = NULL, result = ")
                    .bind(Value::Text(result.clone()))
                    .push(", finished_at = ")
                    .bind(now.clone());
            }
            AttemptEnd::Failed {
                code,
                error,
                retry_at: Some(at),
                details,
            } => {
                sql.push(
                    "status = CASE WHEN attempts < max_attempts THEN 'pending' ELSE 'failed' END, \
                     finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE ",
                )
                .bind(now.clone())
                .push(" END, error = ")
                .bind(Value::Text(error.clone()))
                .push(", error_code = ")
                .bind(Value::Text(code.as_str().to_owned()))
                .push(", result = ")
                .bind(Value::OptText(details.clone()))
                .push(", run_after = ")
                .bind(Value::Int(*at));
            }
            AttemptEnd::Failed {
                code,
                error,
                retry_at: None,
                details,
            } => {
                sql.push("status = 'failed', error = ")
                    .bind(Value::Text(error.clone()))
                    .push(", result = ")
                    .bind(Value::OptText(details.clone()))
                    .push(", error_code = ")
                    .bind(Value::Text(code.as_str().to_owned()))
                    .push(", finished_at = ")
                    .bind(now.clone());
            }
            AttemptEnd::Cancelled { error } => {
                sql.push("status = 'cancelled', error_code = 'task_cancelled', error = ")
                    .bind(Value::Text(error.clone()))
                    .push(", finished_at = ")
                    .bind(now.clone());
            }
        }
        // A completed task keeps the progress it last reported (what a download fetched),
        // for the history to show; any other end clears it.
        if !matches!(end, AttemptEnd::Completed { .. }) {
            sql.push(", progress = NULL");
        }
        sql.push(", lease_holder = NULL, lease_expires_at = NULL, updated_at = ")
            .bind(now);
        fence(&mut sql, lease);
        sql.push(&format!(" RETURNING {TASK_COLUMNS}"));
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref().map(task_row).transpose()
    }

    /// Gives a running task back to the queue without counting the attempt (the server is
    /// shutting down; the task did nothing wrong). Fenced like every worker write.
    pub(crate) async fn release_attempt(&self, lease: &Lease) -> Result<bool> {
        let now = Value::Int(now_ms());
        let mut sql = Sql::new(
            "UPDATE tasks SET status = 'pending', attempts = attempts - 1, lease_holder = NULL, \
             lease_expires_at = NULL, progress = NULL, run_after = ",
        );
        sql.bind(now.clone()).push(", updated_at = ").bind(now);
        fence(&mut sql, lease);
        Ok(sql.query().execute(self.pool()).await?.rows_affected() > 0)
    }

    /// Cancels a task: a pending one at once (returned as cancelled), a running one by
    /// request (its worker stops it). None when there is no such task.
    pub(crate) async fn cancel_task(&self, id: i64) -> Result<Option<TaskRow>> {
        let now = now_ms();
        sqlx::query(
            "UPDATE tasks SET status = 'cancelled', error = 'cancelled before it started', \
             error_code = 'task_cancelled', \
             finished_at = $2, updated_at = $2 WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await?;
        sqlx::query(
            "UPDATE tasks SET cancel_requested = 1, updated_at = $2 \
             WHERE id = $1 AND status = 'running'",
        )
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await?;
        self.get_task(id).await
    }

    /// Removes a finished task; false when it is not finished or not there.
    pub(crate) async fn delete_task(&self, id: i64) -> Result<bool> {
        let result = sqlx::query(
            "DELETE FROM tasks WHERE id = $1 AND status IN ('completed', 'failed', 'cancelled')",
        )
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Deletes finished tasks (completed, failed, cancelled) that finished before
    /// `before_ms`, at most `batch` of them, oldest first; how many were deleted.
    pub(crate) async fn purge_finished_tasks(&self, before_ms: i64, batch: i64) -> Result<u64> {
        let result = sqlx::query(
            "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks \
             WHERE status IN ('completed', 'failed', 'cancelled') AND finished_at < $1 \
             ORDER BY id LIMIT $2)",
        )
        .bind(before_ms)
        .bind(batch)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected())
    }

    /// Takes back running tasks whose lease expired (their worker died): pending again
    /// while attempts remain, failed otherwise. Returns the tasks changed.
    pub(crate) async fn reap_expired(&self) -> Result<Vec<TaskRow>> {
        let now = now_ms();
        let mut condition = Sql::new(" AND lease_expires_at < ");
        condition.bind(Value::Int(now));
        self.take_back(condition, now).await
    }

    /// At start-up: the tasks this host was running when it stopped are taken back at
    /// once, without waiting for their leases to expire.
    pub(crate) async fn take_back_from(&self, holder: &str) -> Result<Vec<TaskRow>> {
        let mut condition = Sql::new(" AND lease_holder = ");
        condition.bind(Value::Text(holder.to_owned()));
        self.take_back(condition, now_ms()).await
    }

    async fn take_back(&self, condition: Sql, now: i64) -> Result<Vec<TaskRow>> {
        let mut sql = condition.with_text(String::new());
        sql.push(
            "UPDATE tasks SET \
             status = CASE WHEN attempts < max_attempts THEN 'pending' ELSE 'failed' END, \
             error = CASE WHEN attempts < max_attempts THEN error \
                     ELSE 'the worker stopped during every attempt' END, \
             error_code = CASE WHEN attempts < max_attempts THEN error_code \
                     ELSE 'task_failed' END, \
             lease_holder = NULL, lease_expires_at = NULL, progress = NULL, \
             finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE ",
        )
        .bind(Value::Int(now))
        .push(" END, run_after = ")
        .bind(Value::Int(now))
        .push(", updated_at = ")
        .bind(Value::Int(now))
        .push(" WHERE status = 'running'")
        .push(&condition.text)
        .push(&format!(" RETURNING {TASK_COLUMNS}"));
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(task_row).collect()
    }
}

/// The fence of every write by a worker: the row, the attempt and the holder it claimed.
fn fence(sql: &mut Sql, lease: &Lease) {
    sql.push(" WHERE id = ")
        .bind(Value::Int(lease.task_id))
        .push(" AND attempts = ")
        .bind(Value::Int(i64::from(lease.attempt)))
        .push(" AND lease_holder = ")
        .bind(Value::Text(lease.holder.clone()))
        .push(" AND status = 'running'");
}

fn task_row(row: &AnyRow) -> Result<TaskRow> {
    let status: String = row.try_get("status")?;
    let priority: i64 = row.try_get("priority")?;
    let payload: String = row.try_get("payload")?;
    let json = |text: Option<String>, what: &str| -> Result<Option<serde_json::Value>> {
        text.map(|text| {
            serde_json::from_str(&text)
                .map_err(|error| StoreError::Corrupt(format!("task {what}: {error}")))
        })
        .transpose()
    };
    Ok(TaskRow {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        lane: row.try_get("lane")?,
        priority: Priority::from_number(priority)
            .ok_or_else(|| StoreError::Corrupt(format!("task priority {priority}")))?,
        dedup_key: row.try_get("dedup_key")?,
        payload: json(Some(payload), "payload")?.unwrap_or_default(),
        status: status.parse().map_err(StoreError::Corrupt)?,
        attempts: row
            .try_get::<i64, _>("attempts")?
            .clamp(0, i64::from(u32::MAX)) as u32,
        max_attempts: row
            .try_get::<i64, _>("max_attempts")?
            .clamp(0, i64::from(u32::MAX)) as u32,
        run_after: row.try_get("run_after")?,
        progress: json(row.try_get("progress")?, "progress")?,
        result: json(row.try_get("result")?, "result")?,
        error: row.try_get("error")?,
        // A code this build does not know (written by a newer one) reads as a failure.
        error_code: row
            .try_get::<Option<String>, _>("error_code")?
            .map(|code| code.parse().unwrap_or(ErrorCode::TaskFailed)),
        lease_holder: row.try_get("lease_holder")?,
        lease_expires_at: row.try_get("lease_expires_at")?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
