//! A compiled, checked plugin version ready to be called, and its call statistics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::compile::CompileSource;
use super::dispatch::KindPre;
use super::error::CallError;
use super::manifest::Manifest;
use super::types::PluginKind;
use crate::fetch::EgressPolicy;

/// One loaded version. Calls hold an `Arc` to it, so a swap never disturbs them.
pub struct LoadedPlugin {
    pub(crate) manifest: Manifest,
    pub(crate) sha256: String,
    pub(crate) bytes: Arc<[u8]>,
    pub(crate) loaded_at: SystemTime,
    /// How long compiling (or loading from cache) and checking took.
    pub(crate) load_time: Duration,
    pub(crate) compiled_from: CompileSource,
    /// Lookup order, highest first (config over the manifest's default).
    pub(crate) weight: i32,
    /// Whether the config enables it (a run-time switch may override).
    pub(crate) config_enabled: bool,
    pub(crate) pre: KindPre,
    pub(crate) settings: Arc<BTreeMap<String, String>>,
    pub(crate) policy: Arc<EgressPolicy>,
    pub(crate) stats: Arc<PluginStats>,
    /// This version's own outcomes (the watch after an update compares versions).
    pub(crate) outcomes: VersionOutcomes,
    /// A task plugin's payload schema, compiled once when the version is prepared.
    pub(crate) task_schema: Option<Arc<jsonschema::Validator>>,
}

/// How a call can end, as [`VersionOutcomes`] counts it: `ok`, or [`CallError::kind`].
const OUTCOMES: [&str; 11] = [
    "ok",
    "not-found",
    "blocked",
    "network",
    "parse",
    "invalid-input",
    "unsupported",
    "other",
    "timeout",
    "memory",
    "crashed",
];

/// The calls of one version by how they ended, so an update can be compared with the
/// version before it. Counting takes no lock and allocates nothing (it is on every call).
#[derive(Debug, Default)]
pub(crate) struct VersionOutcomes {
    by_kind: [AtomicU64; OUTCOMES.len()],
    plugin_caused: AtomicU64,
}

impl VersionOutcomes {
    /// Counts one call: `None` when it answered, else how it failed.
    pub(crate) fn record(&self, error: Option<&CallError>) {
        let kind = error.map_or("ok", CallError::kind);
        let slot = OUTCOMES
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(OUTCOMES.len() - 1);
        self.by_kind[slot].fetch_add(1, Ordering::Relaxed);
        if error.is_some_and(CallError::plugin_caused) {
            self.plugin_caused.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// (calls, plugin-caused failures) so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        let calls = self.by_kind.iter().map(|n| n.load(Ordering::Relaxed)).sum();
        (calls, self.plugin_caused.load(Ordering::Relaxed))
    }

    /// Calls by how they ended (kinds with none left out).
    pub(crate) fn by_kind(&self) -> BTreeMap<String, u64> {
        OUTCOMES
            .iter()
            .zip(&self.by_kind)
            .map(|(kind, n)| ((*kind).to_owned(), n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

impl LoadedPlugin {
    /// The manifest's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The manifest's version.
    pub fn version(&self) -> &str {
        &self.manifest.version
    }

    /// The manifest's kind.
    pub(crate) fn kind(&self) -> PluginKind {
        self.manifest.kind
    }

    /// The settings the plugin sees (declared keys with defaults, config values, domain).
    pub(crate) fn settings(&self) -> &BTreeMap<String, String> {
        &self.settings
    }

    /// The probes the component carries, if any.
    pub(crate) fn probes(&self) -> Result<Option<super::probes::ProbeSet>, super::LoadError> {
        let Some(bytes) =
            super::manifest::custom_section(&self.bytes, super::probes::PROBES_SECTION)?
        else {
            return Ok(None);
        };
        super::probes::ProbeSet::parse(&bytes)
            .map(Some)
            .map_err(super::LoadError::Probes)
    }

    /// Call statistics of this plugin across its versions.
    pub(crate) fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }
}

/// Counters per plugin name; shared by all its versions.
#[derive(Default)]
pub(crate) struct PluginStats {
    calls: AtomicU64,
    succeeded: AtomicU64,
    plugin_errors: AtomicU64,
    timeouts: AtomicU64,
    memory_limits: AtomicU64,
    crashes: AtomicU64,
    total_micros: AtomicU64,
    last_failure: Mutex<Option<(String, SystemTime)>>,
}

/// The outcome class of one call, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Succeeded,
    PluginError,
    Timeout,
    MemoryLimit,
    Crashed,
}

impl Outcome {
    /// The outcome's name in metrics.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::PluginError => "plugin_error",
            Outcome::Timeout => "timeout",
            Outcome::MemoryLimit => "memory_limit",
            Outcome::Crashed => "crashed",
        }
    }
}

impl PluginStats {
    pub(crate) fn record(&self, outcome: Outcome, elapsed: Duration, failure: Option<String>) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.total_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        let counter = match outcome {
            Outcome::Succeeded => &self.succeeded,
            Outcome::PluginError => &self.plugin_errors,
            Outcome::Timeout => &self.timeouts,
            Outcome::MemoryLimit => &self.memory_limits,
            Outcome::Crashed => &self.crashes,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if let (Some(message), Ok(mut last)) = (failure, self.last_failure.lock()) {
            *last = Some((message, SystemTime::now()));
        }
    }

    fn snapshot(&self) -> StatsSnapshot {
        let calls = self.calls.load(Ordering::Relaxed);
        let last = self.last_failure.lock().ok().and_then(|last| last.clone());
        StatsSnapshot {
            calls,
            succeeded: self.succeeded.load(Ordering::Relaxed),
            plugin_errors: self.plugin_errors.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            memory_limits: self.memory_limits.load(Ordering::Relaxed),
            crashes: self.crashes.load(Ordering::Relaxed),
            mean_ms: if calls == 0 {
                0.0
            } else {
                self.total_micros.load(Ordering::Relaxed) as f64 / calls as f64 / 1000.0
            },
            last_failure: last.as_ref().map(|(message, _)| message.clone()),
            last_failure_at: last.map(|(_, at)| crate::util::unix_ms(at)),
        }
    }
}

/// Counters as shown by the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct StatsSnapshot {
    pub(crate) calls: u64,
    pub(crate) succeeded: u64,
    pub(crate) plugin_errors: u64,
    pub(crate) timeouts: u64,
    pub(crate) memory_limits: u64,
    pub(crate) crashes: u64,
    pub(crate) mean_ms: f64,
    pub(crate) last_failure: Option<String>,
    pub(crate) last_failure_at: Option<u64>,
}
