//! What the registry keeps per plugin name, and a failed load kept for display.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use super::loaded::{LoadedPlugin, PluginStats};

/// A failed load, kept for display.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct LoadFailure {
    pub(crate) error: String,
    pub(crate) at_ms: u64,
    #[schema(value_type = Option<String>)]
    pub(crate) file: Option<PathBuf>,
    pub(crate) version: Option<String>,
    pub(crate) sha256: String,
}

/// One name's versions (current first), its file, its last failed load and its call
/// statistics.
pub(crate) struct Slot {
    pub(crate) versions: VecDeque<Arc<LoadedPlugin>>,
    pub(crate) file: Option<PathBuf>,
    pub(crate) last_error: Option<LoadFailure>,
    pub(crate) stats: Arc<PluginStats>,
    /// Where the current version came from.
    pub(crate) source: Source,
}

/// Where a plugin's current version came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Source {
    /// Built into the `kura` binary.
    BuiltIn,
    /// A file in the plugins directory.
    Local,
    /// Uploaded through the API (and written into the plugins directory).
    Upload,
    /// Installed from a followed index, signed by these author keys (fingerprints).
    Index {
        index: String,
        author_keys: Vec<String>,
    },
}
