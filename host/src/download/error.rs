//! Why a download stopped, and the one mapping of I/O errors (a full disk is its own).

use std::io;
use std::path::{Path, PathBuf};

/// Why a download stopped. Parts completed so far stay in the work directory, so
/// running the same request again resumes.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DownloadError {
    #[error("playlist {url}: {reason}")]
    Playlist { url: String, reason: String },
    #[error("AES-128 key {url}: {reason}")]
    Key { url: String, reason: String },
    #[error("segment {name} ({url}): {reason}")]
    Segment {
        name: String,
        url: String,
        reason: String,
    },
    #[error("stream URL expired: {url} answered HTTP {status}, and no fresh URL was had")]
    Expired { url: String, status: u16 },
    #[error("cannot refresh the stream URL: {0}")]
    Refresh(String),
    #[error("the refreshed stream is not the same video: {0}")]
    StreamChanged(String),
    #[error("disk full writing {path}")]
    DiskFull { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("part {missing} is missing from the work directory")]
    Incomplete { missing: String },
    #[error("download cancelled")]
    Cancelled,
    #[error("invalid download request: {0}")]
    InvalidRequest(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Maps an I/O error on `path`: a full disk (or quota) gets its own error.
pub(crate) fn io_error(path: &Path, error: io::Error) -> DownloadError {
    if is_disk_full(&error) {
        DownloadError::DiskFull {
            path: path.to_owned(),
        }
    } else {
        DownloadError::Io {
            path: path.to_owned(),
            source: error,
        }
    }
}

fn is_disk_full(error: &io::Error) -> bool {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    matches!(
        error.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    ) || matches!(error.raw_os_error(), Some(ENOSPC | EDQUOT))
}
