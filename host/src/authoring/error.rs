//! What can go wrong while scaffolding, building or recording a plugin.

use std::path::PathBuf;

/// An authoring failure, with what the author can do about it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthoringError {
    #[error("`{0}` is not a plugin name: 1-64 characters of a-z, 0-9 and `-`")]
    BadName(String),
    #[error("{0} exists and is not empty: choose another --dir")]
    NotEmpty(PathBuf),
    #[error("{kind} plugins are not available in {lang}")]
    Unsupported { kind: String, lang: String },
    #[error("{0}: no Cargo.toml, package.json or pyproject.toml: not a plugin project")]
    NotAProject(PathBuf),
    #[error("cannot run `{program}`: {reason}")]
    Tool { program: String, reason: String },
    #[error("`{command}` failed ({status})")]
    BuildFailed { command: String, status: String },
    #[error("the build wrote no .wasm file")]
    NoOutput,
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("{0}")]
    Invalid(String),
}

impl AuthoringError {
    /// An I/O error on `path`.
    pub(crate) fn file(path: impl Into<PathBuf>, error: impl std::fmt::Display) -> Self {
        Self::File {
            path: path.into(),
            reason: error.to_string(),
        }
    }
}
