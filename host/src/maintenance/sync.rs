//! `kura sync-backups` (N-L3): copies `backups/`, `reports/` and `logs/` of the data
//! directory to a target directory (an external disk), under the same relative paths.
//! A file whose copy has the same size and modification time is skipped; copies keep the
//! source's time and are written to a temporary name first, so an interrupted sync never
//! leaves half a file under a real name. Nothing in the target is ever deleted.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{Maintenance, MaintenanceError, Progress, ProgressFn, Result, blocking, files, now_ms};

/// Modification times closer than this are the same (FAT keeps two seconds).
const TIME_TOLERANCE_MS: i64 = 2000;

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct SyncReport {
    pub(crate) target: PathBuf,
    /// Files found in the synced directories.
    pub(crate) files: u64,
    /// Files copied (new or changed), relative to the target.
    pub(crate) copied: Vec<String>,
    /// Files whose copy was already up to date.
    pub(crate) unchanged: u64,
    /// Files left out for being older than `--days`.
    pub(crate) older: u64,
    pub(crate) bytes_copied: u64,
    /// Bytes of every file found.
    pub(crate) bytes_total: u64,
    pub(crate) duration_ms: i64,
}

/// One file to look at: where it is, and its path under the target.
struct Planned {
    source: PathBuf,
    relative: PathBuf,
    size: u64,
    modified_ms: i64,
}

impl Maintenance {
    /// `kura sync-backups [--target PATH] [--days N]`: `target` wins over
    /// `maintenance.backup_path`; with `days`, only files changed in the last `days`
    /// days are copied. The target must exist (an unmounted disk is not silently
    /// replaced by a directory on the system disk).
    pub(crate) async fn sync_backups(
        &self,
        target: Option<&Path>,
        days: Option<u32>,
        cancel: &CancellationToken,
        progress: ProgressFn,
    ) -> Result<SyncReport> {
        let target = target
            .map(Path::to_owned)
            .or_else(|| self.settings.backup_path.clone())
            .ok_or(MaintenanceError::NoSyncTarget)?;
        if days == Some(0) {
            return Err(MaintenanceError::Refused(
                "--days must be at least 1".to_owned(),
            ));
        }
        let sources = [
            (self.data_dir.join("backups"), "backups"),
            (self.reports_dir(), "reports"),
            (self.logs_dir(), "logs"),
        ];
        let cancel = cancel.clone();
        let started = now_ms();
        blocking(move || {
            let mut report = SyncReport {
                target: target.clone(),
                ..SyncReport::default()
            };
            if !target.is_dir() {
                return Err(MaintenanceError::MissingTarget(target));
            }
            let canonical_target = target.canonicalize().map_err(files::io_error(&target))?;
            let mut planned = Vec::new();
            for (dir, name) in &sources {
                if let Ok(canonical) = dir.canonicalize()
                    && (canonical_target.starts_with(&canonical)
                        || canonical.starts_with(&canonical_target))
                {
                    return Err(MaintenanceError::Refused(format!(
                        "the sync target {} overlaps {}",
                        target.display(),
                        dir.display()
                    )));
                }
                walk(dir, Path::new(name), &mut planned)?;
            }
            let cutoff = days.map(|days| now_ms() - i64::from(days) * 86_400_000);
            report.files = planned.len() as u64;
            report.bytes_total = planned.iter().map(|file| file.size).sum();
            planned.retain(|file| {
                let recent = cutoff.is_none_or(|cutoff| file.modified_ms >= cutoff);
                if !recent {
                    report.older += 1;
                }
                recent
            });
            let total = planned.len() as u64;
            for (index, file) in planned.iter().enumerate() {
                super::check_cancelled(&cancel)?;
                let destination = target.join(&file.relative);
                if is_unchanged(&destination, file) {
                    report.unchanged += 1;
                } else {
                    report.bytes_copied += files::copy_with_time(&file.source, &destination)?;
                    report
                        .copied
                        .push(file.relative.to_string_lossy().replace('\\', "/"));
                }
                progress(Progress {
                    stage: "copying",
                    done: index as u64 + 1,
                    total,
                    bytes: Some(report.bytes_copied),
                });
            }
            report.duration_ms = now_ms() - started;
            Ok(report)
        })
        .await
    }
}

/// Every regular file under `dir` (recursively), skipping temporary and hidden files.
fn walk(dir: &Path, relative: &Path, planned: &mut Vec<Planned>) -> Result<()> {
    for entry in files::list(dir)? {
        if entry.name.starts_with('.') || entry.name.ends_with(".tmp") {
            continue;
        }
        let source = dir.join(&entry.name);
        let relative = relative.join(&entry.name);
        if entry.is_dir {
            walk(&source, &relative, planned)?;
        } else {
            planned.push(Planned {
                source,
                relative,
                size: entry.size,
                modified_ms: entry.modified_ms,
            });
        }
    }
    Ok(())
}

fn is_unchanged(destination: &Path, file: &Planned) -> bool {
    let Ok(metadata) = std::fs::metadata(destination) else {
        return false;
    };
    let modified = metadata
        .modified()
        .map(|time| crate::util::unix_ms(time) as i64)
        .unwrap_or(0);
    metadata.len() == file.size && (modified - file.modified_ms).abs() < TIME_TOLERANCE_MS
}
