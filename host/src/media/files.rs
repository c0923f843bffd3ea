//! Atomic writes and forgiving deletes: a reader never sees half a file.

use std::io;
use std::path::Path;
use std::time::SystemTime;

use super::{MediaError, Result};
use crate::fsio::{self, WriteOptions};

/// Writes `bytes` to `target` atomically (see [`fsio::write_atomic`]), 0644 rather than
/// 0600: players and file servers read the media directory as other users. `modified`,
/// when given, becomes the file's modification time (thumbnails carry their cover's, see
/// `thumbnail.rs`). A failed directory sync is only logged.
pub(super) fn write_atomic(
    target: &Path,
    bytes: &[u8],
    modified: Option<SystemTime>,
) -> Result<()> {
    if target.parent().is_none() {
        return Err(MediaError::OutsideRoot {
            path: target.to_owned(),
        });
    }
    let mut options = WriteOptions::new(0o644);
    if let Some(modified) = modified {
        options = options.modified(modified);
    }
    fsio::write_atomic(target, bytes, options).map_err(|source| MediaError::Io {
        path: target.to_owned(),
        source,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn write_atomic_replaces_with_a_readable_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.jpg");
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        write_atomic(&target, b"one", None).unwrap();
        write_atomic(&target, b"two", Some(when)).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        let metadata = std::fs::metadata(&target).unwrap();
        assert_eq!(metadata.modified().unwrap(), when);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(metadata.permissions().mode() & 0o644, 0o644);
        }
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
