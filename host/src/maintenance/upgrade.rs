//! `kura db upgrade` and the `db_upgrade` task (T-A3): back up, apply the pending
//! migrations, validate, and put the backup back if any step fails.
//!
//! Validation: `PRAGMA integrity_check` (SQLite), every migration applied and the schema
//! at the newest known version, and no table that existed before holding fewer rows
//! (migrations never lose rows). The restore happens inside the live database (SQLite:
//! one transaction, see `Store::restore_sqlite_from`; PostgreSQL: the objects are
//! dropped and `pg_restore` puts the archive back in one transaction), then the restored
//! schema version and integrity are checked again. Writes other processes made between
//! the backup and a restore are lost with it: stop servers before an upgrade.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use serde_json::json;
use sqlx::migrate::Migrator;

use super::backup::EmptyDatabase;
use super::report::{Issue, Report};
use super::{Maintenance, MaintenanceError, Result};
use crate::store::{Backend, SchemaStatus, StoreError};

/// How an upgrade ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpgradeOutcome {
    /// Nothing was pending.
    UpToDate,
    /// A step before the migrations failed; nothing was changed.
    Aborted,
    /// The pending migrations were applied and validated.
    Upgraded,
    /// A step failed and the backup was put back.
    RolledBack,
    /// A step failed and putting the backup back failed too: restore it by hand.
    RestoreFailed,
}

/// What an upgrade did.
#[derive(Debug, Clone, Serialize)]
pub struct UpgradeReport {
    pub outcome: UpgradeOutcome,
    pub(crate) from_version: i64,
    /// The version the database is at now.
    pub(crate) to_version: i64,
    /// The migrations that were pending.
    pub(crate) pending: Vec<i64>,
    /// The backup taken before.
    pub backup: Option<PathBuf>,
    /// Each step: name, whether it passed, detail, milliseconds.
    pub(crate) steps: Vec<Step>,
    /// The report file in the reports directory.
    pub report: String,
}

/// One step of an upgrade.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub(crate) ok: bool,
    pub(crate) detail: String,
    pub(crate) ms: u64,
}

impl UpgradeReport {
    /// The failed step, if any.
    pub fn failure(&self) -> Option<&Step> {
        self.steps.iter().find(|step| !step.ok)
    }
}

impl std::fmt::Display for UpgradeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let step = self.failure();
        let (name, detail) = step.map_or(("?", ""), |s| (s.name, s.detail.as_str()));
        let backup = self
            .backup
            .as_ref()
            .map(|path| path.display().to_string())
            .unwrap_or_default();
        match self.outcome {
            UpgradeOutcome::RestoreFailed => {
                let restore = self
                    .steps
                    .iter()
                    .find(|step| step.name == "restore")
                    .map_or("", |step| step.detail.as_str());
                write!(
                    f,
                    "the database upgrade failed at `{name}`: {detail}; putting the backup \
                     back failed too ({restore}): restore {backup} by hand (report {})",
                    self.report
                )
            }
            UpgradeOutcome::Aborted => write!(
                f,
                "the database upgrade failed at `{name}`: {detail}; nothing was changed \
                 (report {})",
                self.report
            ),
            _ => write!(
                f,
                "the database upgrade failed at `{name}`: {detail}; the database was restored \
                 from {backup} (schema version {}, report {})",
                self.to_version, self.report
            ),
        }
    }
}

impl Maintenance {
    /// Upgrades the database to the newest migration of `migrator` (the binary's own,
    /// `Store::migrator`, or another set in tests). A failed upgrade is an
    /// [`MaintenanceError::Upgrade`] after the database was put back.
    pub async fn upgrade_database(&self, migrator: &Migrator) -> Result<UpgradeReport> {
        let mut report = Report::start("db_upgrade", true);
        let status = self.store.schema_status(migrator).await?;
        refuse_unsafe(&status)?;
        let mut upgrade = UpgradeReport {
            outcome: UpgradeOutcome::UpToDate,
            from_version: status.version(),
            to_version: status.version(),
            pending: status.pending.clone(),
            backup: None,
            steps: Vec::new(),
            report: String::new(),
        };
        if !status.pending.is_empty() {
            self.run_upgrade(migrator, &mut upgrade).await;
        }
        if let Some(step) = upgrade.failure() {
            report.issues.push(Issue::new(
                "upgrade_failed",
                format!("{}: {}", step.name, step.detail),
            ));
        }
        report.summary.checked =
            BTreeMap::from([("pending_migrations".to_owned(), status.pending.len() as u64)]);
        report.details = json!(upgrade);
        self.save_report(&mut report, None).await?;
        upgrade.report = report.name;
        match upgrade.outcome {
            UpgradeOutcome::UpToDate | UpgradeOutcome::Upgraded => Ok(upgrade),
            UpgradeOutcome::Aborted
            | UpgradeOutcome::RolledBack
            | UpgradeOutcome::RestoreFailed => Err(MaintenanceError::Upgrade(Box::new(upgrade))),
        }
    }

    /// Backup, migrate, validate; restore when a step after the backup fails.
    async fn run_upgrade(&self, migrator: &Migrator, upgrade: &mut UpgradeReport) {
        let started = Instant::now();
        let rows = self.store.table_row_counts().await.map_err(Into::into);
        let rows = rows.map(|rows| (format!("{} tables", rows.len()), rows));
        let Some(rows_before) = record(&mut upgrade.steps, "count rows", started, rows) else {
            upgrade.outcome = UpgradeOutcome::Aborted;
            return;
        };
        let started = Instant::now();
        let label = format!("pre-upgrade-v{}", upgrade.from_version);
        let backup = self.snapshot_db(Some(&label), EmptyDatabase::Allowed).await;
        let backup = backup.map(|backup| (backup.file.display().to_string(), backup.file));
        // Nothing changed yet when the backup fails: no restore needed.
        let Some(backup) = record(&mut upgrade.steps, "backup", started, backup) else {
            upgrade.outcome = UpgradeOutcome::Aborted;
            return;
        };
        upgrade.backup = Some(backup.clone());
        let started = Instant::now();
        let migrated = self.store.migrate(migrator).await.map_err(Into::into);
        let migrated = migrated.map(|()| (format!("applied {:?}", upgrade.pending), ()));
        let mut valid = record(&mut upgrade.steps, "migrate", started, migrated).is_some();
        if valid {
            let started = Instant::now();
            let validated = self.validate(migrator, &rows_before).await;
            valid = record(&mut upgrade.steps, "validate", started, validated).is_some();
        }
        if valid {
            upgrade.outcome = UpgradeOutcome::Upgraded;
            upgrade.to_version = upgrade
                .pending
                .last()
                .copied()
                .unwrap_or(upgrade.from_version);
            return;
        }
        let started = Instant::now();
        let restored = self
            .restore_checked(&backup, migrator, upgrade.from_version)
            .await;
        upgrade.outcome = match record(&mut upgrade.steps, "restore", started, restored) {
            Some(()) => UpgradeOutcome::RolledBack,
            None => UpgradeOutcome::RestoreFailed,
        };
        upgrade.to_version = self
            .store
            .schema_status(migrator)
            .await
            .map(|status| status.version())
            .unwrap_or(-1);
    }

    /// Puts the backup back and checks the schema version and integrity after.
    async fn restore_checked(
        &self,
        backup: &std::path::Path,
        migrator: &Migrator,
        from: i64,
    ) -> Result<(String, ())> {
        self.restore(backup).await?;
        let status = self.store.schema_status(migrator).await?;
        let integrity = self.store.integrity_check().await?;
        if status.version() != from || integrity != "ok" {
            return Err(MaintenanceError::Refused(format!(
                "after the restore the schema is at version {} (expected {from}) and the \
                 integrity check says {integrity}",
                status.version()
            )));
        }
        Ok((format!("back at schema version {from}"), ()))
    }

    /// Integrity, schema version and row counts after the migrations.
    async fn validate(
        &self,
        migrator: &Migrator,
        rows_before: &BTreeMap<String, i64>,
    ) -> Result<(String, ())> {
        let integrity = self.store.integrity_check().await?;
        if integrity != "ok" {
            return Err(MaintenanceError::Refused(format!(
                "integrity check: {integrity}"
            )));
        }
        let status = self.store.schema_status(migrator).await?;
        if !status.is_current() || status.version() != status.known {
            return Err(MaintenanceError::Refused(format!(
                "the schema is at version {} with {:?} pending, expected {}",
                status.version(),
                status.pending,
                status.known
            )));
        }
        let rows_after = self.store.table_row_counts().await?;
        for (table, before) in rows_before {
            match rows_after.get(table) {
                None => {
                    return Err(MaintenanceError::Refused(format!("table {table} is gone")));
                }
                Some(after) if after < before => {
                    return Err(MaintenanceError::Refused(format!(
                        "table {table} has {after} rows, {before} before"
                    )));
                }
                Some(_) => {}
            }
        }
        Ok((
            format!("integrity ok, schema version {}", status.version()),
            (),
        ))
    }

    /// Puts a backup of [`Self::snapshot_db`] back into the live database.
    async fn restore(&self, backup: &std::path::Path) -> Result<()> {
        match self.store.backend() {
            Backend::Sqlite => Ok(self.store.restore_sqlite_from(backup).await?),
            Backend::Postgres => {
                self.store.drop_postgres_objects().await?;
                self.pg_tools().restore(&self.database_url, backup).await
            }
        }
    }
}

/// A database this binary must not touch: migrations it does not know (a newer kura),
/// changed since applied, or half applied.
fn refuse_unsafe(status: &SchemaStatus) -> Result<()> {
    if let Some(newest) = status.unknown.iter().max() {
        return Err(if *newest > status.known {
            StoreError::SchemaTooNew {
                database: status.version(),
                known: status.known,
            }
        } else {
            StoreError::UnknownMigration(*newest)
        }
        .into());
    }
    if !status.modified.is_empty() {
        return Err(MaintenanceError::Refused(format!(
            "migrations {:?} changed since they were applied; this build does not match the \
             database",
            status.modified
        )));
    }
    if let Some(version) = status.dirty {
        return Err(MaintenanceError::Refused(format!(
            "migration {version} failed half-way earlier; restore a backup first"
        )));
    }
    Ok(())
}

/// Records one step that started at `started`; its value, or None when it failed.
fn record<T>(
    steps: &mut Vec<Step>,
    name: &'static str,
    started: Instant,
    outcome: Result<(String, T)>,
) -> Option<T> {
    let ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok((detail, value)) => {
            tracing::info!(step = name, %detail, ms, "database upgrade step done");
            steps.push(Step {
                name,
                ok: true,
                detail,
                ms,
            });
            Some(value)
        }
        Err(error) => {
            tracing::error!(step = name, %error, ms, "database upgrade step failed");
            steps.push(Step {
                name,
                ok: false,
                detail: error.to_string(),
                ms,
            });
            None
        }
    }
}
