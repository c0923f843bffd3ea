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
