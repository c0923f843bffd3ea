//! Maintenance (N-L1..N-L7, T-A3): database and code backups with retention, the sync of
//! backups, reports and logs to another directory, the consistency checks of resources,
//! videos and avatars with their JSON reports, and the guarded database upgrade.
//!
//! The CLI subcommands (`cli/maintenance.rs`) and the task kinds
//! (`tasks/maintenance_kinds.rs`) call the same methods of [`Maintenance`]. Everything
//! here works while a server runs on the same data directory: backups read a consistent
//! snapshot (`VACUUM INTO`, `pg_dump`) while writers go on, checks change one row or
//! file at a time, and every file is written to a temporary name and renamed.
//!
//! Under the data directory: `backups/db/` (`kura-{stamp}.db` or `.dump` with an info
//! file `kura-{stamp}.json`), `backups/codes/` (`codes-{stamp}.json`), `reports/`
//! (`{kind}-{stamp}.json`); logs are in `log.dir` (`logs/`). Stamps are UTC
//! `YYYYMMDDTHHMMSSZ`.

mod avatars;
mod backup;
mod files;
mod postgres;
mod repair;
mod report;
mod resources;
mod stamp;
mod sync;
mod upgrade;
mod videos;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub(crate) use backup::{CodesBackup, DbBackup};
pub(crate) use report::{Report, ReportEntry, ReportSummary, list_reports, read_report};
pub(crate) use sync::SyncReport;
pub use upgrade::UpgradeOutcome;
pub(crate) use upgrade::UpgradeReport;

use crate::config::{Config, MaintenanceConfig};
use crate::media::{MediaError, MediaStore};
use crate::store::{Store, StoreError};

/// A maintenance job that could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no sync target: pass --target PATH or set maintenance.backup_path in the config")]
    NoSyncTarget,
    #[error("the sync target {0} does not exist (is the disk mounted?)")]
    MissingTarget(PathBuf),
    #[error("{tool} failed: {message}")]
    Tool { tool: String, message: String },
    #[error("the backup {file} failed its check: {detail}")]
    BadBackup { file: PathBuf, detail: String },
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Upgrade(Box<UpgradeReport>),
    #[error("cancelled")]
    Cancelled,
    #[error("no report named {0}")]
    ReportNotFound(String),
}

/// Shorthand for maintenance results.
pub(crate) type Result<T, E = MaintenanceError> = std::result::Result<T, E>;

/// How far a long job is, for a progress bar or a task's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Progress {
    /// What is being done: `scanning`, `checking`, `repairing`, `copying`, ...
    pub(crate) stage: &'static str,
    pub(crate) done: u64,
    pub(crate) total: u64,
    /// Bytes done, when the job moves bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bytes: Option<u64>,
}

/// Where progress goes; called often, from any thread.
pub(crate) type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// The switches of a consistency check.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckOptions {
    /// Repair what can be repaired: database fields, thumbnails, stale partial files,
    /// (avatars) missing images through the scrapers.
    pub(crate) apply: bool,
    /// With `apply`, also delete orphan and broken media files. Never without it.
    pub(crate) delete_files: bool,
    /// At most this many items (check-videos).
    pub(crate) limit: Option<u64>,
    /// Also write the report here.
    pub(crate) report_copy: Option<PathBuf>,
}

/// The maintenance jobs over one store, media directory and data directory; cheap to
/// clone.
#[derive(Clone)]
pub struct Maintenance {
    store: Store,
    media: MediaStore,
    data_dir: Arc<Path>,
    /// Unfinished downloads (`library.media_dir`/work/download).
    download_work_dir: Arc<Path>,
    logs_dir: Arc<Path>,
    database_url: Arc<str>,
    settings: MaintenanceConfig,
}

impl Maintenance {
    pub fn new(store: Store, media: MediaStore, config: &Config) -> Self {
        Self {
            store,
            media,
            data_dir: Arc::from(config.data_dir.as_path()),
            download_work_dir: Arc::from(config.download_work_dir().as_path()),
            logs_dir: match &config.log_files {
                Some(files) => Arc::from(files.dir.as_path()),
                None => Arc::from(config.data_dir.join("logs").as_path()),
            },
            database_url: Arc::from(config.database_url.as_str()),
            settings: config.maintenance.clone(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn media(&self) -> &MediaStore {
        &self.media
    }

    /// `<data_dir>/backups/db`
    pub(crate) fn db_backup_dir(&self) -> PathBuf {
        self.data_dir.join("backups").join("db")
    }

    /// `<data_dir>/backups/codes`
    pub(crate) fn codes_backup_dir(&self) -> PathBuf {
        self.data_dir.join("backups").join("codes")
    }

    /// `<data_dir>/reports`
    pub(crate) fn reports_dir(&self) -> PathBuf {
        reports_dir(&self.data_dir)
    }

    /// The log files' directory (`log.dir`, by default `<data_dir>/logs`).
    pub(crate) fn logs_dir(&self) -> PathBuf {
        self.logs_dir.to_path_buf()
    }

    /// The configured retention of backups, or `days`; at least one day.
    fn backup_days(&self, days: Option<u32>) -> Result<u32> {
        match days {
            None => Ok(self.settings.backup_days),
            Some(0) => Err(MaintenanceError::Refused(
                "--days must be at least 1 (the newest backup is always kept)".to_owned(),
            )),
            Some(days) => Ok(days),
        }
    }
}

/// `<data_dir>/reports`: where every report is written and `GET /api/reports` reads.
pub(crate) fn reports_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("reports")
}

/// Fails with [`MaintenanceError::Cancelled`] once `cancel` fired.
fn check_cancelled(cancel: &CancellationToken) -> Result<()> {
    if cancel.is_cancelled() {
        Err(MaintenanceError::Cancelled)
    } else {
        Ok(())
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    crate::media::offload(work)
        .await
        .map_err(|error| MaintenanceError::Refused(format!("a file task failed: {error}")))?
}

/// Now, in unix milliseconds.
fn now_ms() -> i64 {
    crate::util::unix_ms(std::time::SystemTime::now()) as i64
}
