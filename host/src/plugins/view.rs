//! Read-only views of the registry for the API and the CLI.

use std::path::PathBuf;

use serde::Serialize;

use super::compile::CompileSource;
use super::loaded::{LoadedPlugin, StatsSnapshot};
use super::slot::{LoadFailure, Slot};
use super::types::PluginKind;

/// One plugin as `GET /api/plugins` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PluginView {
    pub name: String,
    pub(crate) kind: PluginKind,
    pub version: String,
    pub(crate) description: String,
    pub enabled: bool,
    pub(crate) weight: i32,
    pub(crate) sha256: String,
    pub(crate) size_bytes: usize,
    #[schema(value_type = Option<String>)]
    pub(crate) file: Option<PathBuf>,
    /// Where the current version came from: `built_in`, `local`, `upload`, `index`.
    pub(crate) origin: super::slot::Source,
    pub(crate) loaded_at_ms: u64,
    pub load_ms: f64,
    pub from_cache: bool,
    pub(crate) wit: String,
    pub(crate) allowed_hosts: Vec<String>,
    /// For a playlist filter: the sources whose streams it rewrites (none: every source's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) sources: Vec<String>,
    pub(crate) settings: Vec<String>,
    /// Older versions kept for rollback, newest first.
    pub(crate) previous_versions: Vec<VersionView>,
    pub(crate) stats: StatsSnapshot,
    /// This version's calls by how they ended (`ok` or the error kind).
    pub(crate) outcomes: std::collections::BTreeMap<String, u64>,
    /// The last file for this plugin that failed to load, if it failed after the
    /// current version was loaded.
    pub(crate) last_error: Option<LoadFailure>,
}

/// A kept version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct VersionView {
    pub(crate) version: String,
    pub(crate) sha256: String,
    /// Its calls by how they ended, while it was current.
    pub(crate) outcomes: std::collections::BTreeMap<String, u64>,
}

/// A file in the plugins directory that failed to load.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileFailure {
    #[schema(value_type = Option<String>)]
    pub(crate) file: Option<PathBuf>,
    pub(crate) version: Option<String>,
    pub(crate) sha256: String,
    pub(crate) error: String,
    pub(crate) at_ms: u64,
}

impl From<LoadFailure> for FileFailure {
    fn from(f: LoadFailure) -> Self {
        Self {
            file: f.file,
            version: f.version,
            sha256: f.sha256,
            error: f.error,
            at_ms: f.at_ms,
        }
    }
}

impl PluginView {
    /// The view of one slot; None when it holds no version. `is_enabled` is the
    /// registry's switch for a version.
    pub(crate) fn new(
        name: &str,
        slot: &Slot,
        is_enabled: impl Fn(&LoadedPlugin) -> bool,
    ) -> Option<Self> {
        let current = slot.versions.front()?;
        Some(Self {
            name: name.to_owned(),
            kind: current.kind(),
            version: current.version().to_owned(),
            description: current.manifest.description.clone(),
            enabled: is_enabled(current),
            weight: current.weight,
            sha256: current.sha256.clone(),
            size_bytes: current.bytes.len(),
            file: slot.file.clone(),
            origin: slot.source.clone(),
            loaded_at_ms: crate::util::unix_ms(current.loaded_at),
            load_ms: current.load_time.as_secs_f64() * 1000.0,
            from_cache: current.compiled_from == CompileSource::Cache,
            wit: current.manifest.wit.clone(),
            sources: current.manifest.sources.clone(),
            allowed_hosts: current.manifest.allowed_hosts.clone(),
            settings: current.settings().keys().cloned().collect(),
            previous_versions: slot
                .versions
                .iter()
                .skip(1)
                .map(|v| VersionView {
                    version: v.version().to_owned(),
                    sha256: v.sha256.clone(),
                    outcomes: v.outcomes.by_kind(),
                })
                .collect(),
            stats: current.stats(),
            outcomes: current.outcomes.by_kind(),
            last_error: slot.last_error.clone(),
        })
    }
}
