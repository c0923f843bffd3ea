//! The payloads of the plugin events: loaded or swapped, rejected, rolled back, and the
//! ones that only name the plugin.

use serde::{Deserialize, Serialize};

use crate::plugins::PluginKind;

/// `plugin_loaded`, `plugin_swapped`: the version now serving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginReadyEvent {
    pub(crate) name: String,
    pub(crate) version: String,
    #[schema(value_type = String, example = "source")]
    pub(crate) kind: PluginKind,
    /// The component's sha256, hex.
    pub(crate) sha256: String,
    /// How long preparing it took (compile or cache load, checks, smoke test).
    pub(crate) load_ms: f64,
    /// The version it replaced (`plugin_swapped`); null for `plugin_loaded`.
    pub(crate) previous_version: Option<String>,
}

impl Default for PluginReadyEvent {
    fn default() -> Self {
        Self {
            name: String::new(),
            version: String::new(),
            kind: PluginKind::Source,
            sha256: String::new(),
            load_ms: 0.0,
            previous_version: None,
        }
    }
}

/// `plugin_failed`: a file that was rejected, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginFailedEvent {
    /// The plugin's name, when its manifest could be read.
    pub(crate) name: Option<String>,
    /// The file in the plugins directory; null for an upload.
    pub(crate) file: Option<String>,
    pub(crate) error: String,
}

/// `plugin_rolled_back`: the version serving again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginRolledBackEvent {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) sha256: String,
}

/// `plugin_unloaded`, `plugin_enabled`, `plugin_disabled`: the plugin's name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginEvent {
    pub(crate) name: String,
}
