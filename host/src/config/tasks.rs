//! `tasks:`: the queue's lanes, leases and retries, as written and as validated.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// `tasks:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawTasks {
    /// Tasks of the `general` lane (adding, refreshing, avatars, batches) that run at
    /// once. The `download` lane always runs one at a time across the deployment.
    pub(crate) general_concurrency: u32,
    /// How long a running task's lease lasts without a heartbeat; a task whose worker
    /// died is taken again after this long. Heartbeats renew it every third of it.
    pub(crate) lease_seconds: u64,
    /// First retry delay; doubled each attempt, with ±25% jitter.
    pub(crate) retry_base_seconds: u64,
    /// Longest retry delay.
    pub(crate) retry_max_seconds: u64,
    /// Attempts per task before it ends failed, unless a kind sets its own.
    pub(crate) max_attempts: u32,
    /// Allow the debug-only `mock_download` task (N-D7): a fake download that only
    /// sleeps and reports progress.
    pub(crate) mock_downloads: bool,
    /// Finished tasks (completed, failed, cancelled) are deleted this many days after
    /// they finished, so the tasks table does not grow without bound; 0 keeps them.
    pub(crate) retention_days: u32,
}

impl Default for RawTasks {
    fn default() -> Self {
        Self {
            general_concurrency: 3,
            lease_seconds: 30,
            retry_base_seconds: 5,
            retry_max_seconds: 600,
            max_attempts: 3,
            mock_downloads: false,
            retention_days: 30,
        }
    }
}

/// `tasks:` validated.
#[derive(Debug, Clone)]
pub(crate) struct TasksConfig {
    pub(crate) general_concurrency: usize,
    pub(crate) lease: Duration,
    pub(crate) retry_base: Duration,
    pub(crate) retry_max: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) mock_downloads: bool,
    /// How long finished tasks are kept; `None`: for ever.
    pub(crate) retention: Option<Duration>,
}

pub(super) fn validate_tasks(raw: &RawTasks) -> Result<TasksConfig, ConfigError> {
    if !(1..=64).contains(&raw.general_concurrency) {
        return Err(invalid(
            "tasks.general_concurrency",
            "must be between 1 and 64",
        ));
    }
    if !(3..=3600).contains(&raw.lease_seconds) {
        return Err(invalid("tasks.lease_seconds", "must be between 3 and 3600"));
    }
    if raw.retry_base_seconds == 0 || raw.retry_base_seconds > raw.retry_max_seconds {
        return Err(invalid(
            "tasks.retry_base_seconds",
            "must be at least 1 and at most tasks.retry_max_seconds",
        ));
    }
    if !(1..=100).contains(&raw.max_attempts) {
        return Err(invalid("tasks.max_attempts", "must be between 1 and 100"));
    }
    if raw.retention_days > 36_500 {
        return Err(invalid(
            "tasks.retention_days",
            "must be at most 36500 (0 keeps finished tasks for ever)",
        ));
    }
    Ok(TasksConfig {
        general_concurrency: raw.general_concurrency as usize,
        lease: Duration::from_secs(raw.lease_seconds),
        retry_base: Duration::from_secs(raw.retry_base_seconds),
        retry_max: Duration::from_secs(raw.retry_max_seconds),
        max_attempts: raw.max_attempts,
        mock_downloads: raw.mock_downloads,
        retention: (raw.retention_days > 0)
            .then(|| Duration::from_secs(u64::from(raw.retention_days) * 86_400)),
    })
}
