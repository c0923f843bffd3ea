//! The maintenance task kinds (N-K1..N-K6, T-A3): what the schedules and `POST
//! /api/tasks` queue. Each runs the same [`Maintenance`] method as its CLI subcommand,
//! with a payload that mirrors the flags:
//!
//! - `backup_db {days?}`, `backup_codes {days?}`
//! - `sync_backups {days?}`: the target is `maintenance.backup_path` from the
//!   configuration; a request never names a directory
//! - `check_resources {apply?, delete_files?}`
//! - `check_videos {apply?, delete_files?, limit?}`
//! - `check_avatars {apply?, delete_files?}`
//! - `db_upgrade {}`
//!
//! One of each kind is pending or running at a time (dedup key `all`).

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::kind::{Registry, TaskContext, TaskFailure, TaskKind};
use crate::library::Library;
use crate::maintenance::{
    CheckOptions, CodesBackup, DbBackup, Maintenance, MaintenanceError, ProgressFn, Report,
    ReportSummary, SyncReport, UpgradeReport,
};

/// Registers every maintenance kind.
pub(crate) fn maintenance_kinds(
    registry: &mut Registry,
    maintenance: &Maintenance,
    library: &Library,
) {
    for backup in [Backup::Database, Backup::Codes] {
        registry.register(BackupKind {
            backup,
            maintenance: maintenance.clone(),
        });
    }
    registry.register(SyncBackupsKind(maintenance.clone()));
    registry.register(CheckKind {
        check: Check::Resources,
        maintenance: maintenance.clone(),
        library: library.clone(),
    });
    registry.register(CheckKind {
        check: Check::Avatars,
        maintenance: maintenance.clone(),
        library: library.clone(),
    });
    registry.register(CheckVideosKind(maintenance.clone()));
    registry.register(DbUpgradeKind(maintenance.clone()));
}

/// Days of backups to keep: 1 to 36500, or the configured default.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RetentionPayload {
    /// Keep this many days (1 to 36500); absent: `maintenance.backup_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) days: Option<u32>,
}

fn check_days(days: Option<u32>) -> Result<(), String> {
    match days {
        Some(days) if !(1..=36_500).contains(&days) => {
            Err("`days` must be a number from 1 to 36500".to_owned())
        }
        _ => Ok(()),
    }
}

/// `check_resources` and `check_avatars`: the flags of their CLI commands.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckPayload {
    /// Repair what can be repaired (default false: report only).
    #[serde(default)]
    pub(crate) apply: bool,
    /// With `apply`, also delete media files (default false).
    #[serde(default)]
    pub(crate) delete_files: bool,
}

/// `check_videos`: the check's flags and how many videos to look at.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckVideosPayload {
    #[serde(default)]
    pub(crate) apply: bool,
    #[serde(default)]
    pub(crate) delete_files: bool,
    /// Look at this many videos at most (1 or more); absent: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) limit: Option<u64>,
}

/// `db_upgrade` takes nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NoPayload {}

/// A check's result: the report's name and counts (the issues stay in the report).
#[derive(Debug, Clone, Serialize)]
pub(super) struct CheckSummary {
    pub(crate) report: String,
    pub(crate) applied: bool,
    pub(crate) summary: ReportSummary,
}

impl From<Report> for CheckSummary {
    fn from(report: Report) -> Self {
        Self {
            report: report.name,
            applied: report.applied,
            summary: report.summary,
        }
    }
}

/// A progress callback that reports through the task.
fn progress_of(context: &TaskContext) -> ProgressFn {
    let context = context.clone();
    Arc::new(move |progress| context.progress(json!(progress)))
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
        | MaintenanceError::ReportNotFound(_) => TaskFailure::fatal(error.to_string()),
        MaintenanceError::Store(
            crate::store::StoreError::SchemaTooNew { .. }
            | crate::store::StoreError::UnknownMigration(_),
        ) => TaskFailure::fatal(error.to_string()),
        MaintenanceError::Store(_)
        | MaintenanceError::Media(_)
        | MaintenanceError::Io { .. }
        | MaintenanceError::Tool { .. } => TaskFailure::retry(error.to_string()),
    }
}

/// One of each maintenance kind at a time.
fn one_at_a_time() -> Option<String> {
    Some("all".to_owned())
}

/// Which backup a backup kind makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backup {
    Database,
    Codes,
}

/// What a backup task reports: the backup it made, as the CLI prints it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum BackupMade {
    Database(DbBackup),
    Codes(CodesBackup),
}

/// `backup_db` and `backup_codes`.
struct BackupKind {
    backup: Backup,
    maintenance: Maintenance,
}

impl TaskKind for BackupKind {
    type Payload = RetentionPayload;
    type Output = BackupMade;

    fn name(&self) -> &'static str {
        match self.backup {
            Backup::Database => "backup_db",
            Backup::Codes => "backup_codes",
        }
    }

    fn check(&self, payload: &RetentionPayload) -> Result<(), String> {
        check_days(payload.days)
    }

    fn dedup_key(&self, _payload: &RetentionPayload) -> Option<String> {
        one_at_a_time()
    }

    fn run(
        &self,
        payload: RetentionPayload,
        _context: TaskContext,
    ) -> BoxFuture<'static, Result<BackupMade, TaskFailure>> {
        let (backup, maintenance) = (self.backup, self.maintenance.clone());
        Box::pin(async move {
            let made = match backup {
                Backup::Database => maintenance
                    .backup_db(payload.days)
                    .await
                    .map(BackupMade::Database),
                Backup::Codes => maintenance
                    .backup_codes(payload.days)
                    .await
                    .map(BackupMade::Codes),
            };
            made.map_err(failure)
        })
    }
}

/// Copies backups, reports and logs to `maintenance.backup_path`, never to a directory a
/// request names.
struct SyncBackupsKind(Maintenance);

impl TaskKind for SyncBackupsKind {
    type Payload = RetentionPayload;
    type Output = SyncReport;

    fn name(&self) -> &'static str {
        "sync_backups"
    }

    fn check(&self, payload: &RetentionPayload) -> Result<(), String> {
        check_days(payload.days)
    }

    fn dedup_key(&self, _payload: &RetentionPayload) -> Option<String> {
        one_at_a_time()
    }

    fn run(
        &self,
        payload: RetentionPayload,
        context: TaskContext,
    ) -> BoxFuture<'static, Result<SyncReport, TaskFailure>> {
        let maintenance = self.0.clone();
        Box::pin(async move {
            maintenance
                .sync_backups(None, payload.days, &context.cancel, progress_of(&context))
                .await
                .map_err(failure)
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Resources,
    Avatars,
}

/// `check_resources` and `check_avatars`.
struct CheckKind {
    check: Check,
    maintenance: Maintenance,
    library: Library,
}

impl TaskKind for CheckKind {
    type Payload = CheckPayload;
    type Output = CheckSummary;

    fn name(&self) -> &'static str {
        match self.check {
            Check::Resources => "check_resources",
            Check::Avatars => "check_avatars",
        }
    }

    fn dedup_key(&self, _payload: &CheckPayload) -> Option<String> {
        one_at_a_time()
    }

    fn run(
        &self,
        payload: CheckPayload,
        context: TaskContext,
    ) -> BoxFuture<'static, Result<CheckSummary, TaskFailure>> {
        let (check, maintenance, library) =
            (self.check, self.maintenance.clone(), self.library.clone());
        Box::pin(async move {
            let options = CheckOptions {
                apply: payload.apply,
                delete_files: payload.delete_files,
                limit: None,
                report_copy: None,
            };
            let (cancel, progress) = (&context.cancel, progress_of(&context));
            let report = match check {
                Check::Resources => {
                    maintenance
                        .check_resources(&options, cancel, progress)
                        .await
                }
                Check::Avatars => {
                    maintenance
                        .check_avatars(&options, Some(&library), cancel, progress)
                        .await
                }
            };
            report.map(CheckSummary::from).map_err(failure)
        })
    }
}

struct CheckVideosKind(Maintenance);

impl TaskKind for CheckVideosKind {
    type Payload = CheckVideosPayload;
    type Output = CheckSummary;

    fn name(&self) -> &'static str {
        "check_videos"
    }

    fn check(&self, payload: &CheckVideosPayload) -> Result<(), String> {
        if payload.limit == Some(0) {
            return Err("`limit` must be a positive number".to_owned());
        }
        Ok(())
    }

    fn dedup_key(&self, _payload: &CheckVideosPayload) -> Option<String> {
        one_at_a_time()
    }

    fn run(
        &self,
        payload: CheckVideosPayload,
        context: TaskContext,
    ) -> BoxFuture<'static, Result<CheckSummary, TaskFailure>> {
        let maintenance = self.0.clone();
        Box::pin(async move {
            let options = CheckOptions {
                apply: payload.apply,
                delete_files: payload.delete_files,
                limit: payload.limit,
                report_copy: None,
            };
            maintenance
                .check_videos(&options, &context.cancel, progress_of(&context))
                .await
                .map(CheckSummary::from)
                .map_err(failure)
        })
    }
}

struct DbUpgradeKind(Maintenance);

impl TaskKind for DbUpgradeKind {
    type Payload = NoPayload;
    type Output = UpgradeReport;

    fn name(&self) -> &'static str {
        "db_upgrade"
    }

    fn max_attempts(&self) -> Option<u32> {
        // An upgrade that failed was rolled back: running it again would fail the same way.
        Some(1)
    }

    fn dedup_key(&self, _payload: &NoPayload) -> Option<String> {
        one_at_a_time()
    }

    fn run(
        &self,
        _payload: NoPayload,
        _context: TaskContext,
    ) -> BoxFuture<'static, Result<UpgradeReport, TaskFailure>> {
        let maintenance = self.0.clone();
        Box::pin(async move {
            let migrator = maintenance.store().migrator();
            maintenance
                .upgrade_database(migrator)
                .await
                .map_err(failure)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::kind::parse_payload;

    #[test]
    fn payloads_are_read_as_types_and_bad_ones_name_the_field() {
        let days = |value| parse_payload::<RetentionPayload>(value).map(|p| p.days);
        assert_eq!(days(json!({})), Ok(None));
        assert_eq!(days(serde_json::Value::Null), Ok(None));
        assert_eq!(days(json!({"days": 30})), Ok(Some(30)));
        for (bad, field) in [
            (json!({"days": "7"}), "days"),
            (json!({"days": -1}), "days"),
            (json!({"target": "/tmp"}), "target"),
        ] {
            let error = days(bad.clone()).expect_err("refused");
            assert!(error.contains(field), "{bad}: {error}");
        }
        assert_eq!(
            check_days(Some(0)),
            Err("`days` must be a number from 1 to 36500".into())
        );
        let check = parse_payload::<CheckPayload>(json!({"apply": true})).expect("check");
        assert!(check.apply && !check.delete_files);
        let error = parse_payload::<CheckPayload>(json!({"apply": "yes"})).expect_err("bad");
        assert!(error.starts_with("`apply`"), "{error}");
        let videos = parse_payload::<CheckVideosPayload>(json!({"limit": 5})).expect("videos");
        assert_eq!(videos.limit, Some(5));
        assert!(parse_payload::<NoPayload>(json!({"x": 1})).is_err());
    }
}
