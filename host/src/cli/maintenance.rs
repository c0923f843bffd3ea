//! Maintenance commands of the CLI (N-L1..N-L7, T-A3): `backup-db`, `backup-codes`,
//! `sync-backups`, `check-resources`, `check-videos`, `check-avatars`, `db upgrade` and
//! `db status`. They take the same `--config` and `--data-dir` as `kura serve`, open the
//! store and media directory directly, and call the same [`Maintenance`] methods as the
//! task kinds, so they also work while a server runs on the same data directory.
//!
//! Exit codes: 0 done (a check found nothing left to repair), 2 a check left issues, 1
//! an error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::events::EventBus;
use crate::library::Library;
use crate::maintenance::{CheckOptions, Maintenance, Progress, ProgressFn, Report};
use crate::media::MediaStore;
use crate::store::Store;

/// Issue lines a check prints before pointing at the report.
const MAX_PRINTED_ISSUES: usize = 200;

/// The maintenance subcommands, flattened into `kura`'s.
#[derive(Debug, Subcommand)]
pub(crate) enum MaintenanceCommand {
    /// Back up the database: a consistent copy taken while a server writes
    /// (SQLite `VACUUM INTO`, PostgreSQL `pg_dump`), checked, with an info file, into
    /// <data-dir>/backups/db; then removes backups older than --days.
    BackupDb(DaysArgs),
    /// Back up every code as JSON with the time and count into
    /// <data-dir>/backups/codes; then removes backups older than --days.
    BackupCodes(DaysArgs),
    /// Copy backups, reports and logs to --target or maintenance.backup_path,
    /// keeping modification times and skipping unchanged files.
    SyncBackups(SyncArgs),
    /// Check covers, videos, thumbnails, orphan files and stale partial files against
    /// the database; --apply repairs.
    CheckResources(CheckArgs),
    /// Check the video files: present, the recorded size, playable headers.
    CheckVideos(VideoCheckArgs),
    /// Check the people's avatars; --apply also fetches missing ones through the
    /// scraper plugins.
    CheckAvatars(CheckArgs),
    /// The database schema: status and guarded upgrades.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Debug, Args)]
pub(crate) struct DaysArgs {
    /// Keep backups this many days (default: maintenance.backup_days). The newest is
    /// always kept.
    #[arg(long)]
    days: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Directory to copy to (wins over maintenance.backup_path); must exist.
    #[arg(long)]
    target: Option<PathBuf>,
    /// Only copy files changed in the last N days.
    #[arg(long)]
    days: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Repair: database fields, thumbnails, stale partial files (and, for avatars,
    /// fetch missing ones). Media files are never deleted without --delete-files.
    #[arg(long)]
    apply: bool,
    /// With --apply, also delete orphan and broken media files.
    #[arg(long, requires = "apply")]
    delete_files: bool,
    /// Also write the JSON report here (it always goes to <data-dir>/reports).
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct VideoCheckArgs {
    #[command(flatten)]
    check: CheckArgs,
    /// Check at most N recorded videos, the most recently saved first.
    #[arg(long)]
    limit: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Back up, apply the pending migrations, validate (integrity, schema version, row
    /// counts); put the backup back if any step fails. Stop servers first.
    Upgrade,
    /// Show the schema version and the pending migrations (exit 2 when not current).
    Status,
}

/// Runs one maintenance command.
pub(super) async fn run(
    config: &Config,
    command: MaintenanceCommand,
    silent: bool,
) -> anyhow::Result<ExitCode> {
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        super::shutdown_signal().await;
        on_signal.cancel();
    });
    match command {
        MaintenanceCommand::BackupDb(args) => {
            let maintenance = open(config, false).await?;
            let backup = maintenance.backup_db(args.days).await;
            maintenance.store().close().await;
            let backup = backup?;
            println!(
                "backup written: {} ({}, schema version {}, integrity {}) in {} ms",
                backup.file.display(),
                HumanBytes(backup.bytes),
                backup.schema_version,
                backup.integrity,
                backup.duration_ms
            );
            println!("info: {}", backup.info_file.display());
            print_removed(&backup.removed);
            Ok(ExitCode::SUCCESS)
        }
        MaintenanceCommand::BackupCodes(args) => {
            let maintenance = open(config, false).await?;
            let backup = maintenance.backup_codes(args.days).await;
            maintenance.store().close().await;
            let backup = backup?;
            println!(
                "{} codes written to {} ({})",
                backup.count,
                backup.file.display(),
                HumanBytes(backup.bytes)
            );
            print_removed(&backup.removed);
            Ok(ExitCode::SUCCESS)
        }
        MaintenanceCommand::SyncBackups(args) => {
            let maintenance = open(config, false).await?;
            let bar = bar(silent, "files");
            let synced = maintenance
                .sync_backups(args.target.as_deref(), args.days, &cancel, progress(&bar))
                .await;
            bar.finish_and_clear();
            maintenance.store().close().await;
            let synced = synced?;
            for file in &synced.copied {
                println!("  copied {file}");
            }
            println!(
                "synced to {}: {} copied ({}), {} unchanged, {} older than --days; {} files, {} in all, in {} ms",
                synced.target.display(),
                synced.copied.len(),
                HumanBytes(synced.bytes_copied),
                synced.unchanged,
                synced.older,
                synced.files,
                HumanBytes(synced.bytes_total),
                synced.duration_ms
            );
            Ok(ExitCode::SUCCESS)
        }
        MaintenanceCommand::CheckResources(args) => {
            let maintenance = open(config, true).await?;
            let bar = bar(silent, "items");
            let report = maintenance
                .check_resources(&options(&args, None), &cancel, progress(&bar))
                .await;
            bar.finish_and_clear();
            maintenance.store().close().await;
            Ok(print_report(&maintenance, &report?))
        }
        MaintenanceCommand::CheckVideos(args) => {
            let maintenance = open(config, true).await?;
            let bar = bar(silent, "videos");
            let report = maintenance
                .check_videos(&options(&args.check, args.limit), &cancel, progress(&bar))
                .await;
            bar.finish_and_clear();
            maintenance.store().close().await;
            Ok(print_report(&maintenance, &report?))
        }
        MaintenanceCommand::CheckAvatars(args) => {
            let maintenance = open(config, true).await?;
            let library = if args.apply {
                let plugins = super::offline_host(config).await?;
                Some(Library::new(
                    maintenance.store().clone(),
                    plugins,
                    maintenance.media().clone(),
                    EventBus::default(),
                ))
            } else {
                None
            };
            let bar = bar(silent, "people");
            let report = maintenance
                .check_avatars(
                    &options(&args, None),
                    library.as_ref(),
                    &cancel,
                    progress(&bar),
                )
                .await;
            bar.finish_and_clear();
            maintenance.store().close().await;
            let report = report?;
            if let Some(fetched) = report.details.get("fetched_avatars") {
                println!(
                    "avatars fetched: {} of {} people without one ({} unknown to the scrapers, {} failed)",
                    fetched["fetched"],
                    fetched["people"],
                    fetched["none"],
                    fetched["failed"].as_array().map_or(0, Vec::len)
                );
            }
            Ok(print_report(&maintenance, &report))
        }
        MaintenanceCommand::Db(DbCommand::Upgrade) => {
            let maintenance = open_for_upgrade(config).await?;
            let migrator = maintenance.store().migrator();
            let upgraded = maintenance.upgrade_database(migrator).await;
            maintenance.store().close().await;
            let upgraded = upgraded?;
            match upgraded.pending.as_slice() {
                [] => println!(
                    "the database is up to date (schema version {})",
                    upgraded.to_version
                ),
                pending => println!(
                    "upgraded from schema version {} to {} (applied {pending:?}); backup before: {}",
                    upgraded.from_version,
                    upgraded.to_version,
                    upgraded
                        .backup
                        .as_ref()
                        .map(|path| path.display().to_string())
                        .unwrap_or_default()
                ),
            }
            println!("report: {}", upgraded.report);
            Ok(ExitCode::SUCCESS)
        }
        MaintenanceCommand::Db(DbCommand::Status) => {
            let maintenance = open(config, false).await?;
            let store = maintenance.store();
            let status = store.schema_status(store.migrator()).await;
            store.close().await;
            let status = status?;
            println!(
                "schema version {} (this kura knows {}); pending {:?}; unknown {:?}",
                status.version(),
                status.known,
                status.pending,
                status.unknown
            );
            Ok(if status.is_current() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
    }
}

/// The store (without migrating: only `db upgrade` changes the schema) and media.
/// `current` refuses a schema with pending or unknown migrations.
async fn open(config: &Config, current: bool) -> anyhow::Result<Maintenance> {
    let store = super::database::open_existing(config, current).await?;
    maintenance(config, store)
}

/// `db upgrade` may create the database (a new installation).
async fn open_for_upgrade(config: &Config) -> anyhow::Result<Maintenance> {
    let store = super::database::open_as_is(config).await?;
    maintenance(config, store)
}

fn maintenance(config: &Config, store: Store) -> anyhow::Result<Maintenance> {
    let media = MediaStore::new(config.media_dir()).with_context(|| {
        format!(
            "cannot open the media directory {}",
            config.media_dir().display()
        )
    })?;
    Ok(Maintenance::new(store, media, config))
}

fn options(args: &CheckArgs, limit: Option<u64>) -> CheckOptions {
    CheckOptions {
        apply: args.apply,
        delete_files: args.delete_files,
        limit,
        report_copy: args.report.clone(),
    }
}

fn bar(silent: bool, what: &str) -> ProgressBar {
    if silent {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template(&format!(
        "{{msg:10}} {{bar:40}} {{pos}}/{{len}} {what} ({{eta}})"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn progress(bar: &ProgressBar) -> ProgressFn {
    let bar = bar.clone();
    Arc::new(move |progress: Progress| {
        bar.set_message(match progress.bytes {
            Some(bytes) => format!("{} {}", progress.stage, HumanBytes(bytes)),
            None => progress.stage.to_owned(),
        });
        bar.set_length(progress.total);
        bar.set_position(progress.done);
    })
}

fn print_removed(removed: &[String]) {
    if !removed.is_empty() {
        println!("removed {} old backup files:", removed.len());
        for name in removed {
            println!("  {name}");
        }
    }
}

/// Prints a check's outcome; exit code 2 when issues remain.
fn print_report(maintenance: &Maintenance, report: &Report) -> ExitCode {
    let summary = &report.summary;
    let checked: Vec<String> = summary
        .checked
        .iter()
        .map(|(name, count)| format!("{count} {name}"))
        .collect();
    let by_kind: Vec<String> = summary
        .by_kind
        .iter()
        .map(|(kind, count)| format!("{count} {kind}"))
        .collect();
    println!("{}: checked {}", report.kind, checked.join(", "));
    println!(
        "{} issues{}; {} repaired, {} failed, {} remaining",
        summary.issues,
        if by_kind.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_kind.join(", "))
        },
        summary.repaired,
        summary.failed,
        summary.remaining
    );
    for issue in report.issues.iter().take(MAX_PRINTED_ISSUES) {
        let subject = issue
            .code
            .clone()
            .or_else(|| issue.person_id.map(|id| format!("person {id}")))
            .unwrap_or_default();
        let state = match (&issue.error, issue.repaired, &issue.action) {
            (Some(error), _, _) => format!("failed: {error}"),
            (None, true, Some(action)) => format!("done: {action}"),
            (None, false, Some(action)) if report.applied => format!("not done: {action}"),
            (None, false, Some(action)) => format!("--apply would {action}"),
            _ => String::new(),
        };
        println!(
            "  {:<18} {:<12} {} {} [{}]",
            issue.kind,
            subject,
            issue.file.as_deref().unwrap_or_default(),
            issue.detail,
            state
        );
    }
    if report.issues.len() > MAX_PRINTED_ISSUES {
        println!(
            "  ... and {} more",
            report.issues.len() - MAX_PRINTED_ISSUES
        );
    }
    println!(
        "report: {}",
        maintenance.reports_dir().join(&report.name).display()
    );
    if summary.remaining == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
