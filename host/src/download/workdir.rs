//! The work directory of one download: `joined`, the stream built so far, with its
//! `journal` (see [`super::journal`]); one file per part that arrived ahead of its turn
//! (`seg-N`, `init-K`), written as `NAME.part` and renamed when complete, so a file
//! without `.part` is always whole; and `stream-id`, the fingerprint of the stream the
//! files belong to.
//!
//! On start the directory is reconciled: leftover `.part` files are removed, when the
//! fingerprint names another stream (a different video or variant) everything is
//! discarded rather than mixed into the new download, the journal keeps what it can
//! trust, and after a restart of the machine the part files, never fsynced, are
//! discarded too.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use super::DownloadError;
use super::error::io_error;
use super::journal::{self, JOINED, JOURNAL, Recovered, download_file_options};
use crate::fsio;

/// The file holding the stream fingerprint.
const STREAM_ID: &str = "stream-id";

/// Complete part files found on disk: name to size.
pub(crate) type Existing = HashMap<String, u64>;

/// What an earlier run left that this one keeps.
#[derive(Debug, Default)]
pub(crate) struct Resume {
    /// Complete part files not yet joined.
    pub(crate) parts: Existing,
    /// The joined prefix.
    pub(crate) joined: Recovered,
}

/// Creates `dir` if needed and returns what it holds for the stream with `fingerprint`,
/// whose assembly order names the parts `order`.
pub(crate) async fn prepare(
    dir: &Path,
    fingerprint: &str,
    order: Vec<String>,
) -> Result<Resume, DownloadError> {
    let dir = dir.to_owned();
    let fingerprint = fingerprint.to_owned();
    tokio::task::spawn_blocking(move || prepare_blocking(&dir, &fingerprint, &order))
        .await
        .map_err(|error| DownloadError::Internal(format!("work directory task: {error}")))?
}

fn prepare_blocking(
    dir: &Path,
    fingerprint: &str,
    order: &[String],
) -> Result<Resume, DownloadError> {
    std::fs::create_dir_all(dir).map_err(|error| io_error(dir, error))?;
    let id_path = dir.join(STREAM_ID);
    let same_stream = match std::fs::read_to_string(&id_path) {
        Ok(text) => text.trim() == fingerprint,
        // Parts without a fingerprint (placed by hand, or an older run): trusted.
        Err(error) if error.kind() == io::ErrorKind::NotFound => true,
        Err(error) => return Err(io_error(&id_path, error)),
    };
    if !same_stream {
        tracing::info!(dir = %dir.display(), "work directory held another stream; starting over");
        remove_file(&dir.join(JOINED))?;
        remove_file(&dir.join(JOURNAL))?;
    }
    let names: Vec<&str> = order.iter().map(String::as_str).collect();
    let joined = journal::recover(dir, &names)?;
    // Part files are never fsynced: after the machine restarted they may be short.
    let keep_parts = same_stream && (joined.same_boot || !joined.found);
    let mut parts = Existing::new();
    for entry in std::fs::read_dir(dir).map_err(|error| io_error(dir, error))? {
        let entry = entry.map_err(|error| io_error(dir, error))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let is_part_name = is_part_name(name.trim_end_matches(".part"));
        if name.ends_with(".part") || (is_part_name && !keep_parts) {
            remove_file(&path)?;
            continue;
        }
        if !is_part_name {
            continue;
        }
        let size = entry
            .metadata()
            .map_err(|error| io_error(&path, error))?
            .len();
        if size == 0 {
            // Never counted as complete: fetched again.
            remove_file(&path)?;
        } else {
            parts.insert(name, size);
        }
    }
    write_synced(&id_path, fingerprint.as_bytes())?;
    Ok(Resume { parts, joined })
}

/// Parts an interrupted download in `dir` will not fetch again: those joined (per the
/// journal) and the complete part files waiting for their turn.
pub fn saved_parts(dir: &Path) -> std::collections::BTreeSet<String> {
    let mut saved: std::collections::BTreeSet<String> =
        journal::joined_parts(dir).into_iter().collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        saved.extend(
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| is_part_name(name)),
        );
    }
    saved
}

/// `seg-N` or `init-K`.
fn is_part_name(name: &str) -> bool {
    let digits = name
        .strip_prefix("seg-")
        .or_else(|| name.strip_prefix("init-"));
    digits.is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes the whole work directory (after success).
pub(crate) async fn remove(dir: &Path) {
    if let Err(error) = tokio::fs::remove_dir_all(dir).await {
        tracing::warn!(dir = %dir.display(), %error, "cannot remove the download work directory");
    }
}

fn remove_file(path: &Path) -> Result<(), DownloadError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(path, error)),
    }
}

/// Writes a small file of the work directory atomically and synced.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), DownloadError> {
    fsio::write_atomic(path, bytes, download_file_options()).map_err(|error| io_error(path, error))
}

/// Fsyncs a directory so the renames in it survive a crash; a failure is an error.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), DownloadError> {
    fsio::sync_dir(dir).map_err(|error| io_error(dir, error))
}

/// `dir/NAME` and `dir/NAME.part`.
pub(crate) fn part_paths(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (dir.join(name), dir.join(format!("{name}.part")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_full_is_recognised() {
        for error in [
            io::Error::from_raw_os_error(28),
            io::Error::from(io::ErrorKind::StorageFull),
        ] {
            assert!(matches!(
                io_error(Path::new("/x"), error),
                DownloadError::DiskFull { .. }
            ));
        }
        assert!(matches!(
            io_error(Path::new("/x"), io::Error::from_raw_os_error(13)),
            DownloadError::Io { .. }
        ));
    }

    #[tokio::test]
    async fn prepare_keeps_complete_parts_of_the_same_stream_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path();
        for (name, bytes) in [
            ("seg-0", &b"aaaa"[..]),
            ("seg-1", b""),
            ("seg-2.part", b"half"),
            ("init-0", b"ii"),
            ("notes.txt", b"keep"),
        ] {
            std::fs::write(path.join(name), bytes).expect("write");
        }
        let order = || vec!["init-0".to_owned(), "seg-0".to_owned()];
        let existing = prepare(path, "one", order()).await.expect("prepared").parts;
        let mut names: Vec<_> = existing.keys().cloned().collect();
        names.sort();
        assert_eq!(names, ["init-0", "seg-0"]);
        assert!(!path.join("seg-1").exists() && !path.join("seg-2.part").exists());
        // Same fingerprint: kept; another: discarded.
        let again = prepare(path, "one", order()).await.expect("again");
        assert_eq!(again.parts.len(), 2);
        assert!(
            prepare(path, "two", order())
                .await
                .expect("other")
                .parts
                .is_empty()
        );
        assert!(path.join("notes.txt").exists());
        assert_eq!(
            std::fs::read_to_string(path.join(STREAM_ID)).expect("id"),
            "two"
        );
    }
}
