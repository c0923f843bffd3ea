//! Errors of the plugin runtime: failing to load a file, failing a call, and registry
//! operations.

use std::time::Duration;

use super::manifest::ManifestError;
use super::types::{PluginError, PluginKind};

/// Why a plugin file was not loaded; the running version, if any, stays in place.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Manifest(#[from] ManifestError),
    #[error("compile failed: {0}")]
    Compile(String),
    #[error("forbidden import: {0}")]
    Import(String),
    #[error("does not fit the WIT world: {0}")]
    Link(String),
    #[error("failed its smoke test: {0}")]
    SmokeTest(String),
    #[error("failed the cleaner golden tests: {0}")]
    Golden(String),
    #[error("failed its probes: {0}")]
    Probes(String),
    #[error("failed its live canary: {0}")]
    Canary(String),
    #[error("cannot read or write {0}")]
    Io(String),
    #[error("plugin engine: {0}")]
    Engine(String),
    /// The file changed or went away while this version compiled: a newer pass has it.
    #[error("superseded while compiling")]
    Superseded,
}

/// Why a call produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("plugin `{0}` is not loaded")]
    NotLoaded(String),
    #[error("plugin `{0}` is disabled")]
    Disabled(String),
    #[error("plugin `{name}` is a {actual} plugin, not a {expected}")]
    WrongKind {
        name: String,
        expected: PluginKind,
        actual: PluginKind,
    },
    /// The plugin answered with an expected failure.
    #[error("{0}")]
    Plugin(PluginError),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("exceeded its memory cap of {0} MiB")]
    MemoryLimit(usize),
    #[error("crashed: {0}")]
    Crashed(String),
    #[error("the server is shutting down")]
    ShuttingDown,
    /// The caller cancelled the call (a cancelled task): not the plugin's doing.
    #[error("cancelled")]
    Cancelled,
}

impl CallError {
    /// How the call ended, as probes and per-version counts name it: the WIT error kind
    /// (`not-found`, `blocked`, `network`, `parse`, `invalid-input`, `unsupported`,
    /// `other`), or `timeout`, `memory`, `crashed`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Plugin(error) => match error {
                PluginError::NotFound(_) => "not-found",
                PluginError::Blocked(_) => "blocked",
                PluginError::Network(_) => "network",
                PluginError::Parse(_) => "parse",
                PluginError::InvalidInput(_) => "invalid-input",
                PluginError::Unsupported(_) => "unsupported",
                PluginError::Other(_) => "other",
            },
            Self::Timeout(_) => "timeout",
            Self::MemoryLimit(_) => "memory",
            _ => "crashed",
        }
    }

    /// Whether the call failed through the plugin's own doing (it cannot read what it
    /// got, it trapped, ran out of time or memory), as opposed to the site's (not
    /// reachable, blocked, nothing there).
    pub(crate) fn plugin_caused(&self) -> bool {
        match self {
            Self::Plugin(error) => matches!(
                error,
                PluginError::Parse(_) | PluginError::Other(_) | PluginError::Unsupported(_)
            ),
            Self::Timeout(_) | Self::MemoryLimit(_) | Self::Crashed(_) => true,
            _ => false,
        }
    }
}

/// A registry operation that could not be done.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum RegistryError {
    #[error("plugin `{0}` is not loaded")]
    NotLoaded(String),
    #[error("plugin `{0}` has no previous version to roll back to")]
    NoPrevious(String),
    #[error("plugin `{0}` was replaced meanwhile; nothing was rolled back")]
    Replaced(String),
    #[error(transparent)]
    Load(#[from] LoadError),
}
