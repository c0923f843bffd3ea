//! What can go wrong following or publishing an index, each with its stable error code.

use std::path::{Path, PathBuf};

use crate::error_code::ErrorCode;

/// A key file or key text that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}")]
    Malformed(String),
    #[error("{0}: already exists; a key is never overwritten")]
    Exists(PathBuf),
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
}

impl KeyError {
    pub(crate) fn io(path: &Path, error: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            message: error.to_string(),
        }
    }
}

/// A signature file that does not vouch for what it signs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature file is malformed: {0}")]
    Malformed(String),
    #[error("the key set is unusable: {0}")]
    KeySet(String),
    #[error(
        "{valid} valid signature(s) from distinct trusted keys, {needed} needed (trusted: {trusted}){}",
        if .notes.is_empty() { String::new() } else { format!("; {}", .notes.join("; ")) }
    )]
    Threshold {
        needed: usize,
        valid: usize,
        trusted: String,
        notes: Vec<String>,
    },
}

/// An index, root or release refused, or an index that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("{file}: {message}")]
    Malformed { file: String, message: String },
    #[error("{file}: signature refused: {reason}")]
    Signature {
        file: String,
        reason: SignatureError,
    },
    #[error(
        "{file}: version {offered} is older than version {trusted} already verified (a replayed index is refused)"
    )]
    Rollback {
        file: String,
        trusted: u64,
        offered: u64,
    },
    #[error(
        "{file}: version {version} was verified before with other bytes (refused: one version, one content)"
    )]
    Equivocation { file: String, version: u64 },
    #[error(
        "{file}: expired at {at}; updates are paused until the publisher signs it again (check the system clock if this looks wrong)"
    )]
    Expired { file: String, at: String },
    #[error("{file}: unreachable: {message}")]
    Unreachable { file: String, message: String },
    #[error("{0}")]
    ArtifactMismatch(String),
    #[error("{name} {version}: author signature refused: {reason}")]
    AuthorSignature {
        name: String,
        version: String,
        reason: SignatureError,
    },
    #[error("{0}")]
    ReleaseMismatch(String),
    #[error("{0}")]
    Incompatible(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Stale(String),
    #[error("{0}")]
    NoIndex(String),
    #[error("{0}")]
    Canary(String),
    #[error("{0}")]
    Inconclusive(String),
    #[error("{0}")]
    HostRefused(String),
    #[error("{0}")]
    Io(String),
}

impl IndexError {
    /// The stable code of this error.
    pub(crate) fn code(&self) -> ErrorCode {
        match self {
            Self::Malformed { .. } => ErrorCode::IndexMalformed,
            Self::Signature { .. } => ErrorCode::IndexSignatureInvalid,
            Self::Rollback { .. } => ErrorCode::IndexRollback,
            Self::Equivocation { .. } => ErrorCode::IndexEquivocation,
            Self::Expired { .. } => ErrorCode::IndexExpired,
            Self::Unreachable { .. } => ErrorCode::IndexUnreachable,
            Self::ArtifactMismatch(_) => ErrorCode::ArtifactMismatch,
            Self::AuthorSignature { .. } => ErrorCode::AuthorSignatureInvalid,
            Self::ReleaseMismatch(_) => ErrorCode::ReleaseMismatch,
            Self::Incompatible(_) => ErrorCode::ReleaseIncompatible,
            Self::NotFound(_) => ErrorCode::ReleaseNotFound,
            Self::Refused(_) => ErrorCode::PublishRefused,
            Self::Stale(_) => ErrorCode::ApprovalStale,
            Self::NoIndex(_) => ErrorCode::IndexNotFound,
            Self::Canary(_) => ErrorCode::CanaryFailed,
            Self::Inconclusive(_) => ErrorCode::CanaryInconclusive,
            Self::HostRefused(_) => ErrorCode::PluginRejected,
            Self::Io(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn malformed(file: &str, message: impl std::fmt::Display) -> Self {
        Self::Malformed {
            file: file.to_owned(),
            message: message.to_string(),
        }
    }

    pub(crate) fn io(path: &Path, error: impl std::fmt::Display) -> Self {
        Self::Io(format!("{}: {error}", path.display()))
    }
}
