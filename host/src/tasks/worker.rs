//! The workers: per lane, a loop that claims the next task when it has room and runs it
//! with a heartbeat; a reaper that takes back tasks whose worker died; start-up recovery
//! of the tasks this host was running when it stopped.
//!
//! One attempt runs in its own tokio task, so a panic fails that attempt only and the
//! rest of the queue keeps running (the attempt is retried, and after its last attempt
//! the task ends failed).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::kind::{DOWNLOAD_LANE, GENERAL_LANE, ProgressSink, TaskContext, TaskFailure};
use super::{Running, TaskQueue, task_event};
use crate::events::{Event, TaskFailedEvent};
use crate::store::{AttemptEnd, Lease, TaskRow};

/// How long an idle lane waits before looking again (tasks queued elsewhere, retries
/// coming due); a submit here wakes it at once.
const IDLE_POLL: Duration = Duration::from_millis(1000);
/// How often finished tasks past their retention are looked for.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// Finished tasks deleted per statement.
const PURGE_BATCH: i64 = 1000;
/// How long a running attempt gets to stop at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// After a database error, wait this long before claiming again.
const ERROR_PAUSE: Duration = Duration::from_secs(2);

impl TaskQueue {
    /// Takes back this host's tasks from before a restart, then spawns the lane loops
    /// and the reaper on `tracker`; everything stops when `shutdown` fires.
    pub(crate) async fn start_workers(&self, tracker: &TaskTracker, shutdown: CancellationToken) {
        match self.inner.store.take_back_from(&self.inner.holder).await {
            Ok(tasks) if !tasks.is_empty() => {
                tracing::info!(
                    tasks = tasks.len(),
                    "resuming the tasks this host was running"
                );
                for task in &tasks {
                    self.announce_end(task);
                }
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "cannot take back this host's tasks"),
        }
        let lanes = [
            (DOWNLOAD_LANE, 1, true),
            (GENERAL_LANE, self.inner.config.general_concurrency, false),
        ];
        for (lane, concurrency, serial) in lanes {
            let queue = self.clone();
            let token = shutdown.clone();
            let runner = tracker.clone();
            tracker.spawn(async move {
                queue
                    .lane_loop(lane, concurrency, serial, runner, token)
                    .await
            });
        }
        let queue = self.clone();
        tracker.spawn(async move { queue.reaper(shutdown).await });
    }

    async fn lane_loop(
        self,
        lane: &'static str,
        concurrency: usize,
        serial: bool,
        tracker: TaskTracker,
        shutdown: CancellationToken,
    ) {
        let room = Arc::new(Semaphore::new(concurrency));
        let lease_ms = self.inner.config.lease.as_millis() as i64;
        loop {
            let permit = tokio::select! {
                permit = room.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => return,
                },
                () = shutdown.cancelled() => return,
            };
            // Registered before the claim, so a submit between the claim and the wait
            // is not missed.
            let woken = self.inner.wake.notified();
            match self
                .inner
                .store
                .claim(lane, &self.inner.holder, lease_ms, serial)
                .await
            {
                Ok(Some(task)) => {
                    let queue = self.clone();
                    let stop = shutdown.clone();
                    tracker.spawn(async move {
                        queue.run_attempt(task, stop).await;
                        drop(permit);
                    });
                }
                Ok(None) => {
                    drop(permit);
                    tokio::select! {
                        () = woken => {}
                        () = tokio::time::sleep(IDLE_POLL) => {}
                        () = shutdown.cancelled() => return,
                    }
                }
                Err(error) => {
                    drop(permit);
                    tracing::error!(%lane, %error, "cannot claim a task");
                    tokio::select! {
                        () = tokio::time::sleep(ERROR_PAUSE) => {}
                        () = shutdown.cancelled() => return,
                    }
                }
            }
        }
    }

    /// Runs one claimed attempt to its end and records the outcome.
    async fn run_attempt(self, task: TaskRow, shutdown: CancellationToken) {
        let started = Instant::now();
        let lease = Lease {
            task_id: task.id,
            attempt: task.attempts,
            holder: self.inner.holder.clone(),
        };
        let cancel = CancellationToken::new();
        let progress = Arc::new(ProgressSink::new(
            lease.clone(),
            &task,
            self.inner.store.clone(),
            self.inner.events.clone(),
        ));
        if let Ok(mut running) = self.inner.running.lock() {
            running.insert(
                task.id,
                Running {
                    cancel: cancel.clone(),
                    progress: progress.clone(),
                },
            );
        }
        tracing::info!(task_id = task.id, kind = %task.kind, attempt = task.attempts, "task started");
        self.inner
            .events
            .publish(Event::TaskStarted(task_event(&task)));
        self.publish_status().await;

        let heartbeat = self.heartbeat(lease.clone(), cancel.clone());
        let outcome = match self.handler(&task.kind) {
            Some(kind) => {
                let context = TaskContext::new(task.clone(), cancel.clone(), progress);
                let mut attempt = tokio::spawn(kind.run(context));
                let joined = tokio::select! {
                    joined = &mut attempt => joined,
                    () = shutdown.cancelled() => {
                        // Let the attempt stop between steps (a download keeps its
                        // segments), then let go of it.
                        cancel.cancel();
                        match tokio::time::timeout(SHUTDOWN_GRACE, &mut attempt).await {
                            Ok(joined) => joined,
                            Err(_) => {
                                attempt.abort();
                                Ok(Err(TaskFailure::Cancelled))
                            }
                        }
                    }
                };
                match joined {
                    Ok(outcome) => outcome,
                    Err(error) => Err(TaskFailure::retry(format!(
                        "the task panicked: {}",
                        panic_text(error)
                    ))),
                }
            }
            // A task plugin's kind may be back soon (compiling in the background after a
            // restart, being swapped): retried with backoff like any other failure.
            None => Err(TaskFailure::retry(format!(
                "unknown task type `{}`",
                task.kind
            ))),
        };
        heartbeat.cancel();
        if let Ok(mut running) = self.inner.running.lock() {
            running.remove(&task.id);
        }

        if shutdown.is_cancelled() && outcome.is_err() {
            // Not the task's fault: back to the queue, this attempt uncounted.
            match self.inner.store.release_attempt(&lease).await {
                Ok(_) => tracing::info!(task_id = task.id, "task given back at shutdown"),
                Err(error) => tracing::warn!(task_id = task.id, %error, "task not given back"),
            }
            return;
        }
        let end = match outcome {
            Ok(result) => AttemptEnd::Completed {
                result: result.to_string(),
            },
            Err(TaskFailure::Cancelled) => AttemptEnd::Cancelled {
                error: "cancelled".to_owned(),
            },
            Err(TaskFailure::Fatal { code, message }) => AttemptEnd::Failed {
                code,
                error: message,
                retry_at: None,
                details: None,
            },
            Err(TaskFailure::Retry { code, message }) => AttemptEnd::Failed {
                code,
                error: message,
                retry_at: Some(crate::store::now_ms() + self.backoff_ms(task.attempts)),
                details: None,
            },
            Err(TaskFailure::WithDetails {
                code,
                message,
                retry,
                details,
            }) => AttemptEnd::Failed {
                code,
                error: message,
                retry_at: retry.then(|| crate::store::now_ms() + self.backoff_ms(task.attempts)),
                details: Some(details.to_string()),
            },
        };
        match self.inner.store.finish_attempt(&lease, &end).await {
            Ok(Some(row)) => {
                count_attempt(&row, started.elapsed());
                self.announce_end(&row);
            }
            Ok(None) => tracing::warn!(
                task_id = task.id,
                attempt = task.attempts,
                "attempt outcome not recorded: the task was taken by another attempt"
            ),
            Err(error) => {
                tracing::error!(task_id = task.id, %error, "cannot record the task's outcome")
            }
        }
        self.publish_status().await;
    }

    /// Events for a task that left the running state.
    fn announce_end(&self, task: &TaskRow) {
        let event = match task.status {
            crate::store::TaskStatus::Completed => Event::TaskCompleted(task_event(task)),
            crate::store::TaskStatus::Failed => Event::TaskFailed(TaskFailedEvent {
                task: task_event(task),
                will_retry: false,
                retry_at: None,
            }),
            crate::store::TaskStatus::Cancelled => Event::TaskCancelled(task_event(task)),
            // Pending again: it failed this attempt and will be retried. Clients that take
            // `task_failed` as final are right to.
            _ => Event::TaskRetrying(TaskFailedEvent {
                task: task_event(task),
                will_retry: true,
                retry_at: Some(task.run_after),
            }),
        };
        tracing::info!(task_id = task.id, kind = %task.kind, status = %task.status, error = ?task.error, "task ended");
        self.inner.events.publish(event);
        if task.status == crate::store::TaskStatus::Pending {
            self.inner.wake.notify_waiters();
        }
    }

    /// Renews the lease every third of its length; stops the attempt (through `cancel`)
    /// when the lease is lost or a cancel was requested through the database.
    fn heartbeat(&self, lease: Lease, cancel: CancellationToken) -> CancellationToken {
        let stop = CancellationToken::new();
        let every = self.inner.config.lease / 3;
        let lease_ms = self.inner.config.lease.as_millis() as i64;
        let store = self.inner.store.clone();
        let done = stop.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    () = done.cancelled() => return,
                }
                match store.renew(&lease, lease_ms).await {
                    Ok(Some(false)) => {}
                    Ok(Some(true)) => {
                        tracing::info!(task_id = lease.task_id, "cancel requested");
                        cancel.cancel();
                    }
                    Ok(None) => {
                        tracing::warn!(task_id = lease.task_id, "lease lost; stopping the attempt");
                        cancel.cancel();
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(task_id = lease.task_id, %error, "lease not renewed")
                    }
                }
            }
        });
        stop
    }

    /// Takes back tasks whose worker died (their lease expired), every half lease.
    async fn reaper(self, shutdown: CancellationToken) {
        let every = self.inner.config.lease / 2;
        let mut last_purge: Option<std::time::Instant> = None;
        loop {
            if last_purge.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                last_purge = Some(std::time::Instant::now());
                self.purge_old_tasks().await;
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = shutdown.cancelled() => return,
            }
            match self.inner.store.reap_expired().await {
                Ok(tasks) => {
                    for task in &tasks {
                        tracing::warn!(task_id = task.id, holder = ?task.lease_holder, "lease expired; task taken back");
                        self.announce_end(task);
                    }
                }
                Err(error) => tracing::error!(%error, "cannot reap expired leases"),
            }
        }
    }

    /// Deletes the finished tasks older than `tasks.retention_days`, in batches so the
    /// table is never locked for long.
    async fn purge_old_tasks(&self) {
        let Some(retention) = self.inner.config.retention else {
            return;
        };
        let before = crate::store::now_ms() - retention.as_millis() as i64;
        let mut deleted = 0;
        loop {
            match self
                .inner
                .store
                .purge_finished_tasks(before, PURGE_BATCH)
                .await
            {
                Ok(0) => break,
                Ok(count) => deleted += count,
                Err(error) => {
                    tracing::warn!(%error, "cannot delete old finished tasks");
                    break;
                }
            }
        }
        if deleted > 0 {
            tracing::info!(deleted, "finished tasks past their retention deleted");
        }
    }

    /// Exponential backoff with ±25% jitter: base × 2^(attempt-1), at most the maximum.
    fn backoff_ms(&self, attempt: u32) -> i64 {
        let base = self.inner.config.retry_base.as_millis() as f64;
        let max = self.inner.config.retry_max.as_millis() as f64;
        let exponent = attempt.saturating_sub(1).min(30) as i32;
        let delay = (base * 2f64.powi(exponent)).min(max);
        let unit = f64::from(getrandom::u32().unwrap_or(u32::MAX / 2)) / f64::from(u32::MAX);
        let jitter = 0.75 + unit * 0.5;
        (delay * jitter) as i64
    }
}

fn panic_text(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned()),
        Err(error) => error.to_string(),
    }
}

/// An ended attempt in the metrics: its kind, how it ended, how long it ran.
fn count_attempt(task: &TaskRow, elapsed: Duration) {
    let outcome = match task.status {
        crate::store::TaskStatus::Completed => "completed",
        crate::store::TaskStatus::Failed => "failed",
        crate::store::TaskStatus::Cancelled => "cancelled",
        _ => "retrying",
    };
    metrics::counter!(
        crate::telemetry::TASK_ATTEMPTS,
        "kind" => task.kind.clone(),
        "outcome" => outcome,
    )
    .increment(1);
    metrics::histogram!(crate::telemetry::TASK_SECONDS, "kind" => task.kind.clone())
        .record(elapsed.as_secs_f64());
}
