//! Durable file writes for the whole host: atomic writes through a synced temporary file
//! in the target's directory, and the fsync helpers. All blocking.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::time::SystemTime;

use tempfile::NamedTempFile;

/// Temporary files of [`write_atomic`] and [`temp_file`] start with this.
pub(crate) const TEMP_PREFIX: &str = ".kura-";

/// Temporary files of [`write_atomic`] and [`temp_file`] end with this.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

/// The prefix of the temporary files earlier versions wrote into the media directory.
const OLD_MEDIA_TEMP_PREFIX: &str = ".tmp";

/// Whether `name` is a temporary file of this module, or one an earlier version left.
pub(crate) fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) || name.starts_with(OLD_MEDIA_TEMP_PREFIX)
}

/// What a failed directory sync after the rename means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirSync {
    /// Logged only: the file itself is synced, and some platforms and file systems cannot
    /// open or sync a directory.
    BestEffort,
    /// An error of the write.
    Required,
}

/// How [`write_atomic`] and [`persist`] write a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WriteOptions {
    mode: u32,
    modified: Option<SystemTime>,
    replace: bool,
    dir_sync: DirSync,
}

impl WriteOptions {
    /// A file with `mode` (Unix permission bits, before the umask) that replaces an
    /// existing one, with a best-effort directory sync.
    pub(crate) fn new(mode: u32) -> Self {
        Self {
            mode,
            modified: None,
            replace: true,
            dir_sync: DirSync::BestEffort,
        }
    }

    /// Sets the file's modification time before it gets its name.
    pub(crate) fn modified(mut self, modified: SystemTime) -> Self {
        self.modified = Some(modified);
        self
    }

    /// Only creates a new name: an existing file is left alone and the write fails with
    /// [`io::ErrorKind::AlreadyExists`].
    pub(crate) fn create_new(mut self) -> Self {
        self.replace = false;
        self
    }

    /// Sets what a failed directory sync means.
    pub(crate) fn dir_sync(mut self, dir_sync: DirSync) -> Self {
        self.dir_sync = dir_sync;
        self
    }
}

/// A failed [`persist`]: the error, and the temporary file when it is still there (a
/// create-new write that found the name taken gives it back, to try another name).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub(crate) struct PersistError {
    /// What went wrong.
    pub(crate) error: io::Error,
    /// The temporary file, when the rename did not happen.
    pub(crate) file: Option<NamedTempFile>,
}

/// Writes `bytes` to `target` through a temporary file in the same directory (so the
/// rename is atomic), synced before the rename, then syncs the directory. A reader sees
/// the old file or the new one, never half of one; on failure no temporary file is left.
/// The directory must exist.
pub(crate) fn write_atomic(target: &Path, bytes: &[u8], options: WriteOptions) -> io::Result<()> {
    let dir = parent(target)?;
    let mut temp = temp_file(dir, options.mode)?;
    temp.write_all(bytes)?;
    persist(temp, target, options).map_err(|failed| failed.error)
}

/// A temporary file in `dir` with `mode`, named `{TEMP_PREFIX}…{TEMP_SUFFIX}`, removed
/// when dropped; [`persist`] gives it its name.
pub(crate) fn temp_file(dir: &Path, mode: u32) -> io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder.tempfile_in(dir)
}

/// Completes a temporary file of `target`'s directory: sets its modification time when
/// asked, syncs it, renames it to `target` (or, with `create_new`, only to a free name)
/// and syncs the directory. A temporary file that was not renamed is removed when
/// dropped, so failures leave no stray files.
pub(crate) fn persist(
    temp: NamedTempFile,
    target: &Path,
    options: WriteOptions,
) -> Result<(), PersistError> {
    let kept = |error: io::Error, file: NamedTempFile| PersistError {
        error,
        file: Some(file),
    };
    if let Some(modified) = options.modified
        && let Err(error) = temp.as_file().set_modified(modified)
    {
        return Err(kept(error, temp));
    }
    if let Err(error) = sync_open_file(temp.as_file()) {
        return Err(kept(error, temp));
    }
    let renamed = if options.replace {
        temp.persist(target)
    } else {
        temp.persist_noclobber(target)
    };
    if let Err(failed) = renamed {
        return Err(kept(failed.error, failed.file));
    }
    let dir = parent(target).map_err(|error| PersistError { error, file: None })?;
    match (sync_dir(dir), options.dir_sync) {
        (Ok(()), _) => Ok(()),
        (Err(error), DirSync::BestEffort) => {
            tracing::debug!(dir = %dir.display(), %error, "cannot sync directory");
            Ok(())
        }
        (Err(error), DirSync::Required) => Err(PersistError { error, file: None }),
    }
}

/// Syncs the file at `path` (data and metadata) to stable storage.
pub(crate) fn sync_file(path: &Path) -> io::Result<()> {
    sync_open_file(&File::open(path)?)
}

/// Syncs an open file (data and metadata) to stable storage.
pub(crate) fn sync_open_file(file: &File) -> io::Result<()> {
    file.sync_all()
}

/// Syncs an open file's data (and the metadata needed to read it back, such as its
/// length) to stable storage.
pub(crate) fn sync_file_data(file: &File) -> io::Result<()> {
    file.sync_data()
}

/// Syncs a directory, so the renames, creations and removals in it survive a crash.
/// Off Unix, where a directory cannot be opened for it, this does nothing.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The directory of `target` (`.` for a bare name).
fn parent(target: &Path) -> io::Result<&Path> {
    match target.parent() {
        Some(dir) if dir.as_os_str().is_empty() => Ok(Path::new(".")),
        Some(dir) => Ok(dir),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no file in a directory", target.display()),
        )),
    }
}

#[cfg(test)]
mod tests;
