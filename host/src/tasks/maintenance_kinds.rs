//! The maintenance task kinds (N-K1..N-K6, T-A3): what the schedules and `POST
//! /api/tasks` queue. Each runs the same [`Maintenance`] method as its CLI subcommand,
//! with a payload that mirrors the flags:
//!
//! - `backup_db {days?}`, `backup_codes {days?}`
//! - `sync_backups {days?}` (to `maintenance.backup_path`: a path that reaches the
//!   filesystem comes from the config or the command line, never from a request)
//! - `check_resources {apply?, delete_files?}`
//! - `check_videos {apply?, delete_files?, limit?}`
//! - `check_avatars {apply?, delete_files?}`
//! - `db_upgrade {}`
//!
//! One of each kind is pending or running at a time (dedup key `all`).

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::kind::{Prepared, Registry, TaskContext, TaskFailure, TaskKind};
use crate::library::Library;
use crate::maintenance::{CheckOptions, Maintenance, MaintenanceError, ProgressFn, Report};

/// Registers every maintenance kind.
pub fn maintenance_kinds(registry: &mut Registry, maintenance: &Maintenance, library: &Library) {
    for job in [
        Job::BackupDb,
        Job::BackupCodes,
        Job::SyncBackups,
        Job::CheckResources,
        Job::CheckVideos,
        Job::CheckAvatars,
        Job::DbUpgrade,
    ] {
        registry.register(MaintenanceKind {
            job,
            maintenance: maintenance.clone(),
            library: library.clone(),
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    BackupDb,
    BackupCodes,
    SyncBackups,
    CheckResources,
    CheckVideos,
    CheckAvatars,
    DbUpgrade,
}

impl Job {
    fn name(self) -> &'static str {
        match self {
            Self::BackupDb => "backup_db",
            Self::BackupCodes => "backup_codes",
            Self::SyncBackups => "sync_backups",
            Self::CheckResources => "check_resources",
            Self::CheckVideos => "check_videos",
            Self::CheckAvatars => "check_avatars",
            Self::DbUpgrade => "db_upgrade",
        }
    }

    /// The payload keys the job reads.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Self::BackupDb | Self::BackupCodes => &["days"],
            Self::SyncBackups => &["days"],
            Self::CheckResources | Self::CheckAvatars => &["apply", "delete_files"],
            Self::CheckVideos => &["apply", "delete_files", "limit"],
            Self::DbUpgrade => &[],
        }
    }
}

struct MaintenanceKind {
    job: Job,
    maintenance: Maintenance,
    library: Library,
}

impl TaskKind for MaintenanceKind {
    fn name(&self) -> &'static str {
        self.job.name()
    }

    fn max_attempts(&self) -> Option<u32> {
        // An upgrade that failed was rolled back: running it again would fail the same way.
        (self.job == Job::DbUpgrade).then_some(1)
    }

    fn prepare(&self, payload: Value) -> Result<Prepared, String> {
        let object = match payload {
            Value::Null => Map::new(),
            Value::Object(object) => object,
            _ => return Err("the data is an object".to_owned()),
        };
        if self.job == Job::SyncBackups && object.contains_key("target") {
            return Err(
                "`target` is not accepted: a sync goes to maintenance.backup_path \
                 in the config (or `kura sync-backups --target` on the command line)"
                    .to_owned(),
            );
        }
        let allowed = self.job.keys();
        if let Some(unknown) = object.keys().find(|key| !allowed.contains(&key.as_str())) {
            return Err(format!(
                "unknown key `{unknown}` (allowed: {})",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            ));
        }
        let payload = Value::Object(object);
        // Checked now so a bad payload is refused at submit time.
        days(&payload)?;
        flag(&payload, "apply")?;
        flag(&payload, "delete_files")?;
        limit(&payload)?;
        Ok(Prepared {
            payload,
            dedup_key: Some("all".to_owned()),
        })
    }

    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let (job, maintenance, library) =
            (self.job, self.maintenance.clone(), self.library.clone());
        Box::pin(async move {
            let payload = &context.task.payload;
            let days = days(payload).map_err(TaskFailure::Fatal)?;
            let options = CheckOptions {
                apply: flag(payload, "apply").map_err(TaskFailure::Fatal)?,
                delete_files: flag(payload, "delete_files").map_err(TaskFailure::Fatal)?,
                limit: limit(payload).map_err(TaskFailure::Fatal)?,
                report_copy: None,
            };
            let progress_context = context.clone();
            let progress: ProgressFn =
                Arc::new(move |progress| progress_context.progress(json!(progress)));
            let cancel = &context.cancel;
            let outcome = match job {
                Job::BackupDb => maintenance.backup_db(days).await.map(to_json),
                Job::BackupCodes => maintenance.backup_codes(days).await.map(to_json),
                Job::SyncBackups => maintenance
                    .sync_backups(None, days, cancel, progress)
                    .await
                    .map(to_json),
                Job::CheckResources => maintenance
                    .check_resources(&options, cancel, progress)
                    .await
                    .map(|report| summary(&report)),
                Job::CheckVideos => maintenance
                    .check_videos(&options, cancel, progress)
                    .await
                    .map(|report| summary(&report)),
                Job::CheckAvatars => maintenance
                    .check_avatars(&options, Some(&library), cancel, progress)
                    .await
                    .map(|report| summary(&report)),
                Job::DbUpgrade => {
                    let migrator = maintenance.store().migrator();
                    maintenance.upgrade_database(migrator).await.map(to_json)
                }
            };
            outcome.map_err(failure)
        })
    }
}

/// A check's result: the report's name and counts (the issues stay in the report).
fn summary(report: &Report) -> Value {
    json!({
        "report": report.name,
        "applied": report.applied,
        "summary": report.summary,
    })
}

fn to_json(value: impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Trouble that may pass (a busy database, a full disk, a tool that failed) is retried;
/// a refusal or a missing target is not.
fn failure(error: MaintenanceError) -> TaskFailure {
    match error {
        MaintenanceError::Cancelled => TaskFailure::Cancelled,
        MaintenanceError::NoSyncTarget
        | MaintenanceError::MissingTarget(_)
        | MaintenanceError::Refused(_)
        | MaintenanceError::BadBackup { .. }
        | MaintenanceError::Upgrade(_)
        | MaintenanceError::ReportNotFound(_) => TaskFailure::Fatal(error.to_string()),
        MaintenanceError::Store(
            crate::store::StoreError::SchemaTooNew { .. }
            | crate::store::StoreError::UnknownMigration(_),
        ) => TaskFailure::Fatal(error.to_string()),
        MaintenanceError::Store(_)
        | MaintenanceError::Media(_)
        | MaintenanceError::Io { .. }
        | MaintenanceError::Tool { .. } => TaskFailure::Retry(error.to_string()),
    }
}

fn days(payload: &Value) -> Result<Option<u32>, String> {
    match &payload["days"] {
        Value::Null => Ok(None),
        value => value
            .as_u64()
            .filter(|days| (1..=36_500).contains(days))
            .map(|days| Some(days as u32))
            .ok_or_else(|| "`days` must be a number from 1 to 36500".to_owned()),
    }
}

fn flag(payload: &Value, key: &str) -> Result<bool, String> {
    match &payload[key] {
        Value::Null => Ok(false),
        Value::Bool(value) => Ok(*value),
        _ => Err(format!("`{key}` must be true or false")),
    }
}

fn limit(payload: &Value) -> Result<Option<u64>, String> {
    match &payload["limit"] {
        Value::Null => Ok(None),
        value => value
            .as_u64()
            .filter(|limit| *limit >= 1)
            .map(Some)
            .ok_or_else(|| "`limit` must be a positive number".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_values_are_checked() {
        assert_eq!(days(&json!({})), Ok(None));
        assert_eq!(days(&json!({"days": 30})), Ok(Some(30)));
        for bad in [
            json!({"days": 0}),
            json!({"days": "7"}),
            json!({"days": -1}),
        ] {
            assert!(days(&bad).is_err(), "{bad}");
        }
        assert_eq!(flag(&json!({"apply": true}), "apply"), Ok(true));
        assert_eq!(flag(&json!({}), "apply"), Ok(false));
        assert!(flag(&json!({"apply": "yes"}), "apply").is_err());
        assert_eq!(limit(&json!({"limit": 5})), Ok(Some(5)));
        assert!(limit(&json!({"limit": 0})).is_err());
    }

    #[test]
    fn no_payload_names_a_path() {
        for job in [
            Job::BackupDb,
            Job::BackupCodes,
            Job::SyncBackups,
            Job::CheckResources,
            Job::CheckVideos,
            Job::CheckAvatars,
            Job::DbUpgrade,
        ] {
            for key in job.keys() {
                assert!(
                    !["target", "path", "dir", "file", "output"].contains(key),
                    "{}: {key}",
                    job.name()
                );
            }
        }
    }

    #[test]
    fn every_job_has_a_distinct_name() {
        let names: std::collections::BTreeSet<&str> = [
            Job::BackupDb,
            Job::BackupCodes,
            Job::SyncBackups,
            Job::CheckResources,
            Job::CheckVideos,
            Job::CheckAvatars,
            Job::DbUpgrade,
        ]
        .into_iter()
        .map(Job::name)
        .collect();
        assert_eq!(names.len(), 7);
    }
}
