//! Schedules (N-K1..N-K6): cron expressions from config, each queueing a task. The last
//! tick that fired is stored per schedule and claimed with a conditional update, so a tick
//! fires once even when the server restarts across it or several hosts share the
//! database. A tick missed while the server was down runs once at start-up when
//! `schedules.catch_up` says so.
//!
//! Time comes in as an argument ([`Scheduler::fire_due`] takes `now`), so the logic is
//! tested with any clock; [`Scheduler::run`] feeds it the real one.

use std::time::Duration;

use chrono::{DateTime, SubsecRound as _, TimeZone, Utc};
use serde::Serialize;

use tokio_util::sync::CancellationToken;

use crate::config::{JobConfig, SchedulesConfig, Zone};
use crate::events::{Event, EventBus, ScheduleEvent};
use crate::store::{ScheduleState, Store, StoreError, TaskStatus};
use crate::tasks::{TaskError, TaskQueue};

/// A tick older than this when it is noticed counts as missed (the server was down).
const LATE_TOLERANCE_MS: i64 = 120_000;
/// The loop looks at the clock at least this often (clock changes, suspend).
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// A schedule as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ScheduleView {
    pub(crate) name: String,
    pub(crate) cron: String,
    pub(crate) task: String,
    pub(crate) data: serde_json::Value,
    pub(crate) enabled: bool,
    /// RFC 3339, in the configured zone.
    pub(crate) next_run: Option<String>,
    pub(crate) last_run: Option<String>,
    pub(crate) last_task_id: Option<i64>,
    /// The last task's status, or why the last tick queued nothing.
    pub(crate) last_outcome: Option<String>,
}

/// What one tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fired {
    pub(crate) name: String,
    pub(crate) tick_ms: i64,
    /// The queued task, or None when the tick was missed and skipped (catch-up off).
    pub(crate) task_id: Option<i64>,
}

/// The scheduler.
#[derive(Clone)]
pub(crate) struct Scheduler {
    store: Store,
    tasks: TaskQueue,
    events: EventBus,
    config: SchedulesConfig,
}

impl Scheduler {
    pub(crate) fn new(
        store: Store,
        tasks: TaskQueue,
        events: EventBus,
        config: SchedulesConfig,
    ) -> Self {
        Self {
            store,
            tasks,
            events,
            config,
        }
    }

    /// Fires due ticks now and at every following tick until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        loop {
            let now = Utc::now();
            if let Err(error) = self.fire_due(now).await {
                tracing::error!(%error, "schedules not checked");
            }
            let next = self
                .enabled()
                .filter_map(|job| next_after(job, self.config.zone, now))
                .min();
            let wait = next
                .and_then(|next| (next - Utc::now()).to_std().ok())
                .unwrap_or(MAX_SLEEP)
                .min(MAX_SLEEP);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Queues the task of every schedule whose latest tick at or before `now` has not
    /// fired yet. A schedule seen for the first time starts at `now`.
    pub(crate) async fn fire_due(&self, now: DateTime<Utc>) -> Result<Vec<Fired>, StoreError> {
        let now_ms = now.timestamp_millis();
        let mut fired = Vec::new();
        for job in self.enabled() {
            let state = self.store.track_schedule(&job.name, now_ms).await?;
            let Some(tick) = previous_at_or_before(job, self.config.zone, now) else {
                continue;
            };
            let tick_ms = tick.timestamp_millis();
            if state.last_fire_at.is_some_and(|last| last >= tick_ms) {
                continue;
            }
            if !self.store.claim_tick(&job.name, tick_ms).await? {
                continue; // another host (or an earlier run) has it
            }
            let missed = now_ms - tick_ms > LATE_TOLERANCE_MS;
            if missed && !self.config.catch_up {
                tracing::info!(schedule = %job.name, %tick, "missed tick skipped (catch_up is off)");
                fired.push(Fired {
                    name: job.name.clone(),
                    tick_ms,
                    task_id: None,
                });
                continue;
            }
            let task_id = match self
                .tasks
                .submit(&job.task, job.data.clone(), job.priority)
                .await
            {
                Ok(submitted) => {
                    self.store
                        .record_fire(&job.name, tick_ms, Some(submitted.task.id), None)
                        .await?;
                    Some(submitted.task.id)
                }
                Err(TaskError::Store(error)) => return Err(error),
                Err(error) => {
                    let reason = error.to_string();
                    tracing::warn!(schedule = %job.name, %reason, "scheduled task not queued");
                    self.store
                        .record_fire(&job.name, tick_ms, None, Some(&reason))
                        .await?;
                    None
                }
            };
            tracing::info!(schedule = %job.name, %tick, task_id = ?task_id, missed, "schedule fired");
            self.events.publish(Event::ScheduleFired(ScheduleEvent {
                schedule: job.name.clone(),
                tick: tick.to_rfc3339(),
                task_id,
                catch_up: missed,
            }));
            fired.push(Fired {
                name: job.name.clone(),
                tick_ms,
                task_id,
            });
        }
        Ok(fired)
    }

    /// Every configured schedule with its next and last run and last outcome.
    pub(crate) async fn views(&self, now: DateTime<Utc>) -> Result<Vec<ScheduleView>, StoreError> {
        let states = self.store.schedule_states().await?;
        let mut views = Vec::new();
        for job in &self.config.jobs {
            let state = states.iter().find(|state| state.name == job.name);
            views.push(ScheduleView {
                name: job.name.clone(),
                cron: job.cron_text.clone(),
                task: job.task.clone(),
                data: job.data.clone(),
                enabled: job.enabled,
                next_run: job
                    .enabled
                    .then(|| next_after(job, self.config.zone, now))
                    .flatten()
                    .map(|time| in_zone(time, self.config.zone)),
                last_run: state
                    .and_then(|state| state.last_fire_at)
                    .filter(|_| {
                        state.is_some_and(|s| s.last_task_id.is_some() || s.last_error.is_some())
                    })
                    .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
                    .map(|time| in_zone(time, self.config.zone)),
                last_task_id: state.and_then(|state| state.last_task_id),
                last_outcome: self.outcome(state).await,
            });
        }
        Ok(views)
    }

    async fn outcome(&self, state: Option<&ScheduleState>) -> Option<String> {
        let state = state?;
        if let Some(error) = &state.last_error {
            return Some(format!("not queued: {error}"));
        }
        let task = self.tasks.get(state.last_task_id?).await.ok()?;
        Some(match (task.status, &task.error) {
            (TaskStatus::Failed, Some(error)) => format!("failed: {error}"),
            (status, _) => status.as_str().to_owned(),
        })
    }

    fn enabled(&self) -> impl Iterator<Item = &JobConfig> {
        self.config.jobs.iter().filter(|job| job.enabled)
    }
}

/// The first tick strictly after `now`.
pub(crate) fn next_after(job: &JobConfig, zone: Zone, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // Whole seconds: the search keeps the start's fraction, and a tick must be the same
    // instant whenever it is computed.
    let now = now.trunc_subsecs(0);
    match zone {
        Zone::Local => job
            .cron
            .find_next_occurrence(&now.with_timezone(&chrono::Local), false)
            .ok()
            .map(|time| time.with_timezone(&Utc)),
        Zone::Named(tz) => job
            .cron
            .find_next_occurrence(&now.with_timezone(&tz), false)
            .ok()
            .map(|time| time.with_timezone(&Utc)),
    }
}

/// The latest tick at or before `now`.
pub(crate) fn previous_at_or_before(
    job: &JobConfig,
    zone: Zone,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let now = now.trunc_subsecs(0);
    match zone {
        Zone::Local => job
            .cron
            .find_previous_occurrence(&now.with_timezone(&chrono::Local), true)
            .ok()
            .map(|time| time.with_timezone(&Utc)),
        Zone::Named(tz) => job
            .cron
            .find_previous_occurrence(&now.with_timezone(&tz), true)
            .ok()
            .map(|time| time.with_timezone(&Utc)),
    }
}

fn in_zone(time: DateTime<Utc>, zone: Zone) -> String {
    match zone {
        Zone::Local => time.with_timezone(&chrono::Local).to_rfc3339(),
        Zone::Named(tz) => time.with_timezone(&tz).to_rfc3339(),
    }
}

#[cfg(test)]
mod tests;
