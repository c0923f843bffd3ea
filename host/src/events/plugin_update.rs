//! The payloads of the plugin-index events: an update installed, held for approval or
//! refused, and an index that could not be followed.

use serde::{Deserialize, Serialize};

/// `plugin_update_installed`: a release from an index is now serving.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginUpdateInstalledEvent {
    pub(crate) name: String,
    pub(crate) index: String,
    pub(crate) version: String,
    /// The version it replaced; null for a first install.
    pub(crate) previous_version: Option<String>,
    pub(crate) timings: UpdateTimings,
}

/// Where an update's time went, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct UpdateTimings {
    /// Fetching the release file.
    pub(crate) download_ms: f64,
    /// Its length, sha256, author signature and manifest.
    pub(crate) verify_ms: f64,
    /// Compiling (or the compiled cache), the load checks and the offline probes, and
    /// the swap.
    pub(crate) prepare_ms: f64,
    /// The live canary.
    pub(crate) canary_ms: f64,
}

/// `plugin_update_pending`: a release waits for the operator (new hosts or author keys);
/// the running version keeps serving.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginUpdatePendingEvent {
    pub(crate) name: String,
    pub(crate) index: String,
    pub(crate) version: String,
    pub(crate) hosts_added: Vec<String>,
    pub(crate) hosts_removed: Vec<String>,
    pub(crate) author_keys_changed: bool,
}

/// `plugin_update_refused`: a release was not installed (the code says why); the
/// running version keeps serving.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginUpdateRefusedEvent {
    pub(crate) name: String,
    pub(crate) index: String,
    pub(crate) version: String,
    /// A stable error code (`artifact_mismatch`, `author_signature_invalid`, ...).
    pub(crate) code: String,
    pub(crate) error: String,
}

/// `plugin_index_error`: an index could not be read or verified; updates from it pause,
/// nothing is unloaded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginIndexErrorEvent {
    pub(crate) index: String,
    pub(crate) code: String,
    pub(crate) error: String,
}

/// `plugin_update_rolled_back`: an update did worse than the version before it and was
/// rolled back automatically; it is not installed again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginUpdateRolledBackEvent {
    pub(crate) name: String,
    pub(crate) index: String,
    /// The version rolled back.
    pub(crate) version: String,
    /// The version serving again.
    pub(crate) to_version: String,
    pub(crate) reason: String,
}
