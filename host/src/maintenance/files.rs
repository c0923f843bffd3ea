//! File helpers of the maintenance jobs: listings with sizes and times, writes through a
//! temporary file that never replace an existing name, copies that keep the time, and
//! retention by the stamp in a name. All blocking.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{MaintenanceError, Result, stamp};
use crate::fsio::{self, WriteOptions};

/// Backups, reports and copies are readable by their owner only.
const PRIVATE_MODE: u32 = 0o600;

/// Files changed more recently than this are left alone (a write may be in flight).
pub(super) const YOUNG_MS: i64 = 10 * 60_000;

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub(crate) name: String,
    pub(crate) is_dir: bool,
    pub(crate) size: u64,
    /// Unix milliseconds.
    pub(crate) modified_ms: i64,
}

pub(super) fn io_error(path: &Path) -> impl Fn(io::Error) -> MaintenanceError + '_ {
    move |source| MaintenanceError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The entries of `dir` (files and directories; symbolic links and names that are not
/// UTF-8 left out); a missing directory is empty.
pub(super) fn list(dir: &Path) -> Result<Vec<Entry>> {
    let reader = match std::fs::read_dir(dir) {
        Ok(reader) => reader,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io_error(dir)(error)),
    };
    let mut entries = Vec::new();
    for entry in reader {
        let entry = entry.map_err(io_error(dir))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            // Gone between the listing and now (a rename of a download, a delete).
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(io_error(&entry.path())(error)),
        };
        if metadata.file_type().is_symlink() {
            continue;
        }
        entries.push(Entry {
            name,
            is_dir: metadata.is_dir(),
            size: metadata.len(),
            modified_ms: metadata
                .modified()
                .map(|time| crate::util::unix_ms(time) as i64)
                .unwrap_or(0),
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// Creates `dir` and any missing parent readable by the owner only (0700 on Unix), for
/// backups; directories that exist keep their mode.
pub(super) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_error(dir))
}

/// Writes `bytes` as `{base}.{extension}` in `dir`, or `{base}-2.{extension}` and so on
/// when the name is taken: through a synced temporary file, never replacing a file.
pub(super) fn write_new(dir: &Path, base: &str, extension: &str, bytes: &[u8]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let mut temp = temp_file(dir)?;
    temp.write_all(bytes).map_err(io_error(dir))?;
    persist_new(temp, dir, base, extension)
}

/// A temporary file in `dir` (mode 0600), removed when dropped.
pub(super) fn temp_file(dir: &Path) -> Result<tempfile::NamedTempFile> {
    fsio::temp_file(dir, PRIVATE_MODE).map_err(io_error(dir))
}

/// Syncs a complete temporary file and renames it to the first free
/// `{base}[-N].{extension}`.
pub(super) fn persist_new(
    mut temp: tempfile::NamedTempFile,
    dir: &Path,
    base: &str,
    extension: &str,
) -> Result<PathBuf> {
    let options = WriteOptions::new(PRIVATE_MODE).create_new();
    for attempt in 1..=100 {
        let name = if attempt == 1 {
            format!("{base}.{extension}")
        } else {
            format!("{base}-{attempt}.{extension}")
        };
        let target = dir.join(name);
        match fsio::persist(temp, &target, options) {
            Ok(()) => return Ok(target),
            Err(fsio::PersistError {
                error,
                file: Some(file),
            }) if error.kind() == io::ErrorKind::AlreadyExists => temp = file,
            Err(failed) => return Err(io_error(&target)(failed.error)),
        }
    }
    Err(MaintenanceError::Refused(format!(
        "no free name for {base}.{extension} in {}",
        dir.display()
    )))
}

/// Replaces `target` with `bytes` atomically (mode 0600).
pub(super) fn replace(target: &Path, bytes: &[u8]) -> Result<()> {
    fsio::write_atomic(target, bytes, WriteOptions::new(PRIVATE_MODE)).map_err(io_error(target))
}

/// Copies `source` to `target` through a temporary file beside `target`, with the
/// source's modification time; returns the bytes copied.
pub(super) fn copy_with_time(source: &Path, target: &Path) -> Result<u64> {
    let dir = target.parent().ok_or_else(|| {
        MaintenanceError::Refused(format!("{} has no directory", target.display()))
    })?;
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let modified = std::fs::metadata(source)
        .and_then(|metadata| metadata.modified())
        .map_err(io_error(source))?;
    let mut input = std::fs::File::open(source).map_err(io_error(source))?;
    let mut temp = temp_file(dir)?;
    let bytes = io::copy(&mut input, &mut temp).map_err(io_error(target))?;
    let options = WriteOptions::new(PRIVATE_MODE).modified(modified);
    fsio::persist(temp, target, options).map_err(|failed| io_error(target)(failed.error))?;
    Ok(bytes)
}

/// Makes removals in `dir` durable; best effort.
fn sync_dir(dir: &Path) {
    if let Err(error) = fsio::sync_dir(dir) {
        tracing::debug!(dir = %dir.display(), %error, "cannot sync directory");
    }
}

/// Removes a file; false when it was already gone.
pub(super) fn remove_file(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(io_error(path)(error)),
    }
}

/// Removes this module's temporary files in `dir` older than `older_than_ms` (left by a
/// killed run); returns how many.
pub(super) fn remove_stale_temps(dir: &Path, older_than_ms: i64) -> Result<usize> {
    let mut removed = 0;
    for entry in list(dir)? {
        if !entry.is_dir
            && entry.name.starts_with(fsio::TEMP_PREFIX)
            && entry.name.ends_with(fsio::TEMP_SUFFIX)
            && entry.modified_ms < older_than_ms
            && remove_file(&dir.join(&entry.name))?
        {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Retention: removes the files of `dir` whose name starts with `prefix` and holds a
/// stamp older than `days` before `now_ms`. Files with the newest stamp are always kept,
/// so retention never removes the last backup. A name with no stamp, or with digits that
/// name no real time (February 31), is never removed. Returns the names removed.
pub(super) fn prune(dir: &Path, prefix: &str, days: u32, now_ms: i64) -> Result<Vec<String>> {
    let now = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
    let cutoff = now
        .checked_sub_signed(chrono::TimeDelta::days(i64::from(days)))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let stamped: Vec<(String, chrono::DateTime<chrono::Utc>)> = list(dir)?
        .into_iter()
        .filter(|entry| !entry.is_dir && entry.name.starts_with(prefix))
        .filter_map(|entry| {
            let at = stamp::find_compact(&entry.name[prefix.len()..])?;
            Some((entry.name, at))
        })
        .collect();
    let Some(newest) = stamped.iter().map(|(_, at)| *at).max() else {
        return Ok(Vec::new());
    };
    let mut removed = Vec::new();
    for (name, at) in stamped {
        if at < cutoff && at != newest && remove_file(&dir.join(&name))? {
            removed.push(name);
        }
    }
    if !removed.is_empty() {
        sync_dir(dir);
    }
    Ok(removed)
}

/// The modification time of a path in unix milliseconds; None when it is gone.
#[cfg(test)]
fn modified_ms(path: &Path) -> Option<i64> {
    std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .ok()
        .map(|time| crate::util::unix_ms(time) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_never_replaces_a_name() {
        let dir = tempfile::tempdir().unwrap();
        let first = write_new(dir.path(), "report", "json", b"1").unwrap();
        let second = write_new(dir.path(), "report", "json", b"2").unwrap();
        assert_eq!(first.file_name().unwrap(), "report.json");
        assert_eq!(second.file_name().unwrap(), "report-2.json");
        assert_eq!(std::fs::read(&first).unwrap(), b"1");
        let names: Vec<String> = list(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["report-2.json", "report.json"]);
    }

    #[test]
    fn prune_removes_old_stamps_but_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let day = 86_400_000;
        let now = stamp::parse_compact("20250301T000000Z")
            .unwrap()
            .timestamp_millis();
        for name in [
            "kura-20250101T000000Z.db",
            "kura-20250101T000000Z.json",
            "kura-20250225T000000Z.db",
            "kura-20250225T000000Z.json",
            "notes-20240101T000000Z.txt",
            "kura.db",
            "kura-20240231T000000Z.db",
            "kura-20241301T000000Z.db",
            "kura-20240101T250000Z.db",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let mut removed = prune(dir.path(), "kura-", 30, now).unwrap();
        removed.sort();
        assert_eq!(
            removed,
            ["kura-20250101T000000Z.db", "kura-20250101T000000Z.json"]
        );
        // Everything is old now, but the newest backup stays.
        let removed = prune(dir.path(), "kura-", 1, now + 60 * day).unwrap();
        assert!(removed.is_empty(), "{removed:?}");
        assert!(dir.path().join("kura-20250225T000000Z.db").is_file());
        assert!(dir.path().join("notes-20240101T000000Z.txt").is_file());
        assert!(dir.path().join("kura.db").is_file());
        for impossible in [
            "kura-20240231T000000Z.db",
            "kura-20241301T000000Z.db",
            "kura-20240101T250000Z.db",
        ] {
            assert!(dir.path().join(impossible).is_file(), "{impossible}");
        }
    }

    #[test]
    fn copy_keeps_the_modification_time() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("a.json");
        std::fs::write(&source, b"hello").unwrap();
        let when =
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
        std::fs::File::options()
            .write(true)
            .open(&source)
            .unwrap()
            .set_modified(when)
            .unwrap();
        let target = dir.path().join("copy/sub/a.json");
        assert_eq!(copy_with_time(&source, &target).unwrap(), 5);
        assert_eq!(std::fs::read(&target).unwrap(), b"hello");
        assert_eq!(modified_ms(&target), Some(1_600_000_000_000));
    }
}
