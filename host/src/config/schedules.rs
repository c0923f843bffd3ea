//! `schedules:`: cron schedules that each queue a task, with the defaults of N-K1..N-K6.
//! A configured job overrides the default of the same name field by field; a new name
//! needs `cron` and `task`.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ConfigError, invalid};
use crate::types::Priority;

/// `schedules:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawSchedules {
    /// The zone cron times are read in: `UTC`, `local` (the machine's), or an IANA name
    /// such as `Asia/Tokyo`.
    pub(crate) timezone: String,
    /// A tick missed while the server was down runs once at start-up.
    pub(crate) catch_up: bool,
    /// Jobs by name; see the template for the defaults.
    pub(crate) jobs: BTreeMap<String, RawJob>,
}

impl Default for RawSchedules {
    fn default() -> Self {
        Self {
            timezone: "UTC".to_owned(),
            catch_up: true,
            jobs: BTreeMap::new(),
        }
    }
}

/// One job under `schedules.jobs`; absent fields keep the default job's.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJob {
    /// Five fields (minute hour day month weekday), or six with seconds first.
    pub(crate) cron: Option<String>,
    /// The task type it queues.
    pub(crate) task: Option<String>,
    /// The task's data.
    pub(crate) data: Option<Value>,
    pub(crate) enabled: Option<bool>,
    /// low, normal, high or urgent.
    pub(crate) priority: Option<String>,
}

/// The zone schedules are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    Local,
    Named(chrono_tz::Tz),
}

/// `schedules:` validated.
#[derive(Debug, Clone)]
pub(crate) struct SchedulesConfig {
    pub(crate) zone: Zone,
    pub(crate) catch_up: bool,
    pub(crate) jobs: Vec<JobConfig>,
}

/// One validated job.
#[derive(Debug, Clone)]
pub(crate) struct JobConfig {
    pub(crate) name: String,
    pub(crate) cron_text: String,
    pub(crate) cron: croner::Cron,
    pub(crate) task: String,
    pub(crate) data: Value,
    pub(crate) enabled: bool,
    pub(crate) priority: Priority,
}

/// The default jobs (N-K1..N-K6): name, cron, task, data, enabled.
fn defaults() -> Vec<(&'static str, &'static str, &'static str, Value, bool)> {
    vec![
        (
            "backup_db",
            "30 1 * * *",
            "backup_db",
            json!({ "days": 30 }),
            true,
        ),
        (
            "backup_codes",
            "0 2 * * *",
            "backup_codes",
            json!({ "days": 30 }),
            true,
        ),
        (
            "check_resources",
            "0 3 * * *",
            "check_resources",
            json!({ "apply": true }),
            true,
        ),
        // Off until `maintenance.backup_path` names where backups go.
        (
            "sync_backups",
            "0 4 * * *",
            "sync_backups",
            json!({ "days": 30 }),
            false,
        ),
        ("check_videos", "0 7 * * *", "check_videos", json!({}), true),
        (
            "check_avatars",
            "5 7 * * *",
            "check_avatars",
            json!({ "apply": true }),
            true,
        ),
    ]
}

/// Parses a cron expression of five fields, or six with seconds first.
pub(crate) fn parse_cron(text: &str) -> Result<croner::Cron, String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .build()
        .parse(text)
        .map_err(|error| error.to_string())
}

pub(super) fn validate_schedules(raw: &RawSchedules) -> Result<SchedulesConfig, ConfigError> {
    let zone = match raw.timezone.as_str() {
        "local" | "Local" => Zone::Local,
        name => Zone::Named(chrono_tz::Tz::from_str(name).map_err(|_| {
            invalid(
                "schedules.timezone",
                format!(
                    "unknown time zone `{name}` (UTC, local, or an IANA name such as Asia/Tokyo)"
                ),
            )
        })?),
    };
    let mut merged: BTreeMap<String, RawJob> = BTreeMap::new();
    for (name, cron, task, data, enabled) in defaults() {
        merged.insert(
            name.to_owned(),
            RawJob {
                cron: Some(cron.to_owned()),
                task: Some(task.to_owned()),
                data: Some(data),
                enabled: Some(enabled),
                priority: None,
            },
        );
    }
    for (name, job) in &raw.jobs {
        let entry = merged.entry(name.clone()).or_default();
        if job.cron.is_some() {
            entry.cron = job.cron.clone();
        }
        if job.task.is_some() {
            entry.task = job.task.clone();
        }
        if job.data.is_some() {
            entry.data = job.data.clone();
        }
        if job.enabled.is_some() {
            entry.enabled = job.enabled;
        }
        if job.priority.is_some() {
            entry.priority = job.priority.clone();
        }
    }
    let mut jobs = Vec::new();
    for (name, job) in merged {
        let key = |field: &str| format!("schedules.jobs.{name}.{field}");
        let cron_text = job
            .cron
            .ok_or_else(|| invalid(key("cron"), "is required"))?;
        let cron = parse_cron(&cron_text).map_err(|error| invalid(key("cron"), error))?;
        let task = job
            .task
            .ok_or_else(|| invalid(key("task"), "is required"))?;
        let priority = match job.priority.as_deref() {
            None => Priority::Normal,
            Some(text) => Priority::parse(text)
                .ok_or_else(|| invalid(key("priority"), "must be low, normal, high or urgent"))?,
        };
        let data = job.data.unwrap_or_else(|| json!({}));
        if !data.is_object() {
            return Err(invalid(key("data"), "must be a mapping"));
        }
        jobs.push(JobConfig {
            name,
            cron_text,
            cron,
            task,
            data,
            enabled: job.enabled.unwrap_or(true),
            priority,
        });
    }
    Ok(SchedulesConfig {
        zone,
        catch_up: raw.catch_up,
        jobs,
    })
}
