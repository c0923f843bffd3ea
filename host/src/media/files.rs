//! Atomic writes and forgiving deletes: a reader never sees half a file.

use std::io::{self, Write};
use std::path::Path;
use std::time::SystemTime;

use super::{MediaError, Result};

/// Writes `bytes` to `target` through a temporary file in the same directory (so the
/// rename is atomic), fsynced before the rename. `modified`, when given, becomes the file's
/// modification time (thumbnails carry their cover's, see `thumbnail.rs`).
pub(super) fn write_atomic(
    target: &Path,
    bytes: &[u8],
    modified: Option<SystemTime>,
) -> Result<()> {
    let dir = target.parent().ok_or_else(|| MediaError::OutsideRoot {
        path: target.to_owned(),
    })?;
    let io_error = |source: io::Error| MediaError::Io {
        path: target.to_owned(),
        source,
    };
    // Dropping `temp` on any error below deletes it, so failures leave no stray files.
    // 0644 rather than tempfile's 0600: players and file servers read the media
    // directory as other users.
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut temp = builder.tempfile_in(dir).map_err(io_error)?;
    temp.write_all(bytes).map_err(io_error)?;
    if let Some(modified) = modified {
        temp.as_file().set_modified(modified).map_err(io_error)?;
    }
    temp.as_file().sync_all().map_err(io_error)?;
    temp.persist(target)
        .map_err(|error| io_error(error.error))?;
    sync_dir(dir);
    Ok(())
}

/// Removes a file; `Ok(false)` when it was already gone.
pub(super) fn remove_if_exists(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(MediaError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Makes the rename durable. Best effort: the file itself is already synced, and some
/// platforms and file systems cannot open or sync a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(error) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!(dir = %dir.display(), %error, "cannot sync directory");
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn write_atomic_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.jpg");
        write_atomic(&target, b"one", None).unwrap();
        write_atomic(&target, b"two", None).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.jpg"]);
    }

    #[test]
    fn write_atomic_sets_the_modification_time() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.jpg");
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        write_atomic(&target, b"x", Some(when)).unwrap();
        let modified = std::fs::metadata(&target).unwrap().modified().unwrap();
        assert_eq!(modified, when);
    }

    #[test]
    fn remove_if_exists_reports_what_it_did() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        assert!(!remove_if_exists(&path).unwrap());
        std::fs::write(&path, b"x").unwrap();
        assert!(remove_if_exists(&path).unwrap());
    }
}
