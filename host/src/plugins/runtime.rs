//! The plugin runtime: prepares components (compile, check, pre-instantiate, smoke
//! test) and runs calls, each in a fresh store with a memory cap, an epoch deadline
//! and an outer timeout that also covers time spent in host imports.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Semaphore;
use wasmtime::{Engine, Store, Trap, UpdateDeadline};

use super::call::{Answer, Request};
use super::compile::compile_cached;
use super::dispatch::{KindPre, call_export};
use super::engine::{EPOCH_TICK, Linkers, build_engine};
use super::error::{CallError, LoadError};
use super::golden;
use super::loaded::{LoadedPlugin, Outcome, PluginStats};
use super::manifest::Manifest;
use super::output::BoundedOutput;
use super::policy::check_imports;
use super::probes::{ProbeSet, Replay, check_expect, check_live};
use super::state::Fetcher;
use super::state::{CallContext, PluginState};
use super::types::PluginKind;
use crate::config::{Config, PluginEntry, PluginsConfig};
use crate::fetch::{CookieJar, EgressPolicy, FetchClient};

/// Extra time after the deadline before the outer timeout drops a call stuck in a host import.
const OUTER_GRACE: Duration = Duration::from_millis(100);

/// One live probe's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveOutcome {
    pub(crate) probe: String,
    pub(crate) verdict: LiveVerdict,
}

/// How a live probe went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LiveVerdict {
    Passed,
    /// The plugin could not handle what the site answered (or trapped, or ran out).
    PluginFailed(String),
    /// The site could not be reached or refused.
    SiteFailed(String),
}

/// How a probe call differs from a normal one.
#[derive(Default)]
pub(crate) struct Setup {
    /// Fetches answered from these exchanges instead of the network.
    pub(crate) replay: Option<Arc<super::probes::Replay>>,
    /// Settings over the plugin's own.
    pub(crate) settings: BTreeMap<String, String>,
    /// A cookie jar of its own.
    pub(crate) fresh_jar: bool,
    /// The queue and library a task plugin's run reaches.
    pub(crate) task: Option<Arc<dyn super::task_link::TaskLink>>,
    /// Stops the call when cancelled (a task's cancellation).
    pub(crate) cancel: Option<tokio_util::sync::CancellationToken>,
}

/// Engine, linkers, limits and the shared fetch client.
pub(crate) struct PluginRuntime {
    engine: Engine,
    linkers: Linkers,
    permits: Arc<Semaphore>,
    fetch: FetchClient,
    config: PluginsConfig,
    max_requests_per_call: u32,
    entries: BTreeMap<String, PluginEntry>,
    jars: Mutex<HashMap<String, CookieJar>>,
}

impl PluginRuntime {
    /// Builds the engine and linkers from config.
    pub(crate) fn new(config: &Config, fetch: FetchClient) -> Result<Self, LoadError> {
        let plugins = config.plugins.clone();
        let engine = build_engine(plugins.max_concurrent_calls, plugins.memory_bytes)
            .map_err(|error| LoadError::Engine(format!("{error:#}")))?;
        let linkers =
            Linkers::new(&engine).map_err(|error| LoadError::Engine(format!("{error:#}")))?;
        Ok(Self {
            engine,
            linkers,
            permits: Arc::new(Semaphore::new(plugins.max_concurrent_calls as usize)),
            max_requests_per_call: fetch.config().max_requests_per_call,
            fetch,
            config: plugins,
            entries: config.plugin_entries.clone(),
            jars: Mutex::new(HashMap::new()),
        })
    }

    /// Whether a component with this sha256 is in the compiled cache (loads in
    /// milliseconds).
    pub(crate) fn is_compiled(&self, sha256: &str) -> bool {
        super::compile::artifact_path(&self.engine, &self.config.cache_dir, sha256).is_file()
    }

    /// The plugins section of the config.
    pub(crate) fn config(&self) -> &PluginsConfig {
        &self.config
    }

    /// Compiles and checks a component; nothing is published here.
    pub(crate) async fn prepare(
        &self,
        bytes: Arc<[u8]>,
        stats: Arc<PluginStats>,
    ) -> Result<LoadedPlugin, LoadError> {
        let started = Instant::now();
        let manifest = Manifest::from_component(&bytes)?;
        let sha256 = crate::util::sha256_hex(&bytes);
        let (engine, cache_dir) = (self.engine.clone(), self.config.cache_dir.clone());
        let (compile_bytes, compile_sha) = (bytes.clone(), sha256.clone());
        let (component, compiled_from) = tokio::task::spawn_blocking(move || {
            compile_cached(&engine, &cache_dir, &compile_bytes, &compile_sha)
        })
        .await
        .map_err(|error| LoadError::Compile(error.to_string()))?
        .map_err(|error| LoadError::Compile(format!("{error:#}")))?;
        let serving = super::wit_version::serving(&manifest.wit).ok_or_else(|| {
            LoadError::Manifest(super::manifest::ManifestError::IncompatibleWit {
                plugin: manifest.wit.clone(),
            })
        })?;
        check_imports(&self.engine, &component, manifest.kind, serving)
            .map_err(LoadError::Import)?;
        let pre = KindPre::new(&self.linkers, &component, manifest.kind, serving)?;
        let entry = self
            .entries
            .get(&manifest.name)
            .cloned()
            .unwrap_or_default();
        let settings = effective_settings(&manifest, &entry);
        let task_schema = match &manifest.task {
            Some(task) => Some(Arc::new(
                jsonschema::validator_for(&task.payload_schema).map_err(|error| {
                    LoadError::Manifest(super::manifest::ManifestError::Field {
                        field: "task",
                        message: format!("payload_schema is not a usable JSON schema: {error}"),
                    })
                })?,
            )),
            None => None,
        };
        let policy = match manifest.kind {
            PluginKind::Cleaner | PluginKind::PlaylistFilter => EgressPolicy::deny_all(),
            PluginKind::Source | PluginKind::Scraper | PluginKind::Task => EgressPolicy::new(
                manifest.host_patterns()?,
                entry.approved_hosts.clone(),
                entry.domain.as_ref(),
            ),
        };
        let loaded = LoadedPlugin {
            weight: entry.weight.unwrap_or(manifest.default_weight),
            config_enabled: entry.enabled.unwrap_or(true),
            manifest,
            sha256,
            bytes,
            loaded_at: SystemTime::now(),
            load_time: Duration::ZERO,
            compiled_from,
            pre,
            settings: Arc::new(settings),
            policy: Arc::new(policy),
            stats,
            outcomes: Default::default(),
            task_schema,
        };
        self.smoke_test(&loaded).await?;
        self.offline_probes(&loaded).await?;
        Ok(LoadedPlugin {
            load_time: started.elapsed(),
            ..loaded
        })
    }

    /// Every probe the component carries, offline: recorded fetches, the expected answers.
    async fn offline_probes(&self, plugin: &LoadedPlugin) -> Result<(), LoadError> {
        let Some(probes) = plugin.probes()? else {
            return Ok(());
        };
        let mut failures = Vec::new();
        for probe in &probes.probes {
            let setup = Setup {
                replay: Some(Replay::new(&probe.cassette)),
                settings: probe.settings.clone(),
                fresh_jar: true,
                ..Setup::default()
            };
            let result = self
                .invoke_with(plugin, Some(probe.call.request()), false, setup)
                .await;
            if let Err(reason) = check_expect(&probe.expect, &result) {
                failures.push(format!("probe `{}`: {reason}", probe.name));
            }
        }
        match failures.as_slice() {
            [] => Ok(()),
            [first, ..] => Err(LoadError::Probes(format!(
                "{} of {} failed; {first}",
                failures.len(),
                probes.probes.len()
            ))),
        }
    }

    /// Runs the probes that have a `live` rule against the real site (the operator's
    /// settings, the plugin's jar, its egress policy): one outcome per probe.
    pub(crate) async fn live_probes(&self, plugin: &LoadedPlugin) -> Vec<LiveOutcome> {
        match plugin.probes() {
            Ok(Some(probes)) => self.live_probes_of(plugin, &probes).await,
            _ => Vec::new(),
        }
    }

    /// [`Self::live_probes`] with another version's probes: the running version answers
    /// the inputs of the version that would replace it.
    pub(crate) async fn live_probes_of(
        &self,
        plugin: &LoadedPlugin,
        probes: &ProbeSet,
    ) -> Vec<LiveOutcome> {
        let mut outcomes = Vec::new();
        for probe in &probes.probes {
            let Some(rule) = &probe.live else {
                continue;
            };
            let result = self.invoke(plugin, Some(probe.call.request()), false).await;
            let verdict = match check_live(rule, &result) {
                Ok(()) => LiveVerdict::Passed,
                Err(reason) => match &result {
                    Err(error) if !error.plugin_caused() => LiveVerdict::SiteFailed(reason),
                    _ => LiveVerdict::PluginFailed(reason),
                },
            };
            outcomes.push(LiveOutcome {
                probe: probe.name.clone(),
                verdict,
            });
        }
        outcomes
    }

    /// Instantiates once; a cleaner must also pass every golden case.
    async fn smoke_test(&self, plugin: &LoadedPlugin) -> Result<(), LoadError> {
        if plugin.kind() != PluginKind::Cleaner {
            return self
                .invoke(plugin, None, false)
                .await
                .map(|_| ())
                .map_err(|error| LoadError::SmokeTest(error.to_string()));
        }
        let cases = golden::cases().map_err(LoadError::Golden)?;
        let mut failures = Vec::new();
        for case in &cases {
            match self
                .invoke(plugin, Some(Request::Clean(&case.input)), false)
                .await
            {
                Ok(Some(Answer::Clean(out))) if out == case.expected => {}
                Ok(Some(Answer::Clean(out))) => failures.push(format!(
                    "{}: {:?} gave {:?}, expected {:?}",
                    case.rule, case.input, out, case.expected
                )),
                Ok(_) => failures.push(format!("{}: no answer", case.rule)),
                Err(error) => failures.push(format!("{}: {error}", case.rule)),
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(LoadError::Golden(format!(
                "{} of {} golden cases failed; first: {}",
                failures.len(),
                cases.len(),
                failures[0]
            )))
        }
    }

    /// Runs one request in a fresh instance. `None` only instantiates.
    pub(crate) async fn invoke(
        &self,
        plugin: &LoadedPlugin,
        request: Option<Request<'_>>,
        record: bool,
    ) -> Result<Option<Answer>, CallError> {
        self.invoke_with(plugin, request, record, Setup::default())
            .await
    }

    /// [`Self::invoke`] with a probe's setup: recorded fetches, settings over the
    /// plugin's own.
    pub(crate) async fn invoke_with(
        &self,
        plugin: &LoadedPlugin,
        request: Option<Request<'_>>,
        record: bool,
        setup: Setup,
    ) -> Result<Option<Answer>, CallError> {
        let timeout = match plugin.kind() {
            PluginKind::Cleaner | PluginKind::PlaylistFilter => self.config.cleaner_timeout,
            PluginKind::Source | PluginKind::Scraper => self.config.call_timeout,
            // A task's own deadline is for its run; loading checks (instantiation, probes)
            // get a call's.
            PluginKind::Task if request.is_some() && setup.replay.is_none() => {
                self.config.task_timeout
            }
            PluginKind::Task => self.config.call_timeout,
        };
        let cancel = setup.cancel.clone().unwrap_or_default();
        // A cancelled task does not wait for a permit either.
        let _permit = tokio::select! {
            permit = self.permits.acquire() => permit.map_err(|_| CallError::ShuttingDown)?,
            () = cancel.cancelled() => return Err(CallError::Cancelled),
        };
        let started = Instant::now();
        let deadline = started + timeout;
        let output = BoundedOutput::new(self.config.max_log_bytes_per_call);
        let ctx = CallContext {
            plugin: Arc::from(plugin.name()),
            fetch: matches!(
                plugin.kind(),
                PluginKind::Source | PluginKind::Scraper | PluginKind::Task
            )
            .then(|| match setup.replay {
                Some(replay) => Fetcher::Replay(replay),
                None => Fetcher::Live(self.fetch.clone()),
            }),
            policy: plugin.policy.clone(),
            // A probe offline gets a jar of its own: nothing it replays reaches the real one.
            cookies: if setup.fresh_jar {
                CookieJar::default()
            } else {
                self.jar(plugin.name())
            },
            settings: if setup.settings.is_empty() {
                plugin.settings.clone()
            } else {
                let mut settings = (*plugin.settings).clone();
                settings.extend(setup.settings);
                Arc::new(settings)
            },
            deadline,
            max_requests: self.max_requests_per_call,
            task: setup.task,
        };
        let mut store = Store::new(
            &self.engine,
            PluginState::new(ctx, self.config.memory_bytes, output.clone()),
        );
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                // `yield_now` lets tokio poll its I/O driver before the guest runs again;
                // a plain self-wake would starve sockets for dozens of ticks.
                UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now()))
            })
        });
        store.set_epoch_deadline(1);
        let call = tokio::time::timeout(
            timeout + OUTER_GRACE + EPOCH_TICK,
            call_export(&mut store, &plugin.pre, request),
        );
        // A cancelled task drops its call (and the instance with it) at once; that is the
        // caller's doing, so it is not counted against the plugin.
        let outcome = tokio::select! {
            outcome = call => outcome,
            () = cancel.cancelled() => {
                output.flush_to_log(plugin.name());
                return Err(CallError::Cancelled);
            }
        };
        output.flush_to_log(plugin.name());
        let memory_cap_hit = store.data().limiter.memory_cap_hit;
        let result = match outcome {
            Err(_elapsed) => Err(CallError::Timeout(timeout)),
            Ok(Ok(Ok(answer))) => Ok(answer),
            Ok(Ok(Err(error))) => Err(CallError::Plugin(error)),
            Ok(Err(trap)) => Err(classify_trap(
                &trap,
                memory_cap_hit,
                timeout,
                self.config.memory_bytes,
            )),
        };
        if record {
            let (class, failure) = match &result {
                Ok(_) => (Outcome::Succeeded, None),
                Err(error @ CallError::Plugin(_)) => {
                    (Outcome::PluginError, Some(error.to_string()))
                }
                Err(error @ CallError::Timeout(_)) => (Outcome::Timeout, Some(error.to_string())),
                Err(error @ CallError::MemoryLimit(_)) => {
                    (Outcome::MemoryLimit, Some(error.to_string()))
                }
                Err(error) => (Outcome::Crashed, Some(error.to_string())),
            };
            if let Some(message) = &failure
                && class != Outcome::PluginError
            {
                tracing::warn!(plugin = plugin.name(), version = plugin.version(), error = %message, "plugin call failed");
            }
            if crate::telemetry::enabled() {
                count_call(plugin, class, started.elapsed());
            }
            plugin.stats.record(class, started.elapsed(), failure);
            plugin.outcomes.record(result.as_ref().err());
        }
        result
    }

    /// Fetches on a plugin's behalf (a cover or avatar it named): its egress policy and
    /// cookie jar apply, as if the plugin had fetched it.
    pub(crate) async fn fetch_for(
        &self,
        plugin: &LoadedPlugin,
        request: crate::fetch::FetchRequest,
    ) -> Result<crate::fetch::FetchResponse, crate::fetch::FetchError> {
        let jar = self.jar(plugin.name());
        let scope = crate::fetch::FetchScope {
            caller: plugin.name(),
            policy: &plugin.policy,
            cookies: &jar,
            deadline: None,
        };
        self.fetch.fetch(&scope, request).await
    }

    /// The plugin's cookie jar; it outlives versions.
    pub(crate) fn jar(&self, plugin: &str) -> CookieJar {
        match self.jars.lock() {
            Ok(mut jars) => jars.entry(plugin.to_owned()).or_default().clone(),
            Err(_) => CookieJar::default(),
        }
    }
}

/// One call in the metrics: by plugin, version and outcome, with its time.
fn count_call(plugin: &LoadedPlugin, class: Outcome, elapsed: std::time::Duration) {
    metrics::counter!(
        crate::telemetry::PLUGIN_CALLS,
        "plugin" => plugin.name().to_owned(),
        "version" => plugin.version().to_owned(),
        "outcome" => class.as_str(),
    )
    .increment(1);
    metrics::histogram!(
        crate::telemetry::PLUGIN_SECONDS,
        "plugin" => plugin.name().to_owned(),
        "version" => plugin.version().to_owned(),
    )
    .record(elapsed.as_secs_f64());
}

fn classify_trap(
    error: &wasmtime::Error,
    memory_cap_hit: bool,
    timeout: Duration,
    memory: usize,
) -> CallError {
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::Timeout(timeout),
        _ if memory_cap_hit => CallError::MemoryLimit(memory >> 20),
        Some(Trap::UnreachableCodeReached) => {
            CallError::Crashed("the plugin panicked or aborted (wasm `unreachable`)".to_owned())
        }
        Some(trap) => CallError::Crashed(format!("trap: {trap}")),
        None => CallError::Crashed(first_line(&format!("{error:#}"))),
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text);
    line.chars().take(500).collect()
}

/// Declared settings with their defaults, then the config's values for declared keys,
/// then `domain` from config.
fn effective_settings(manifest: &Manifest, entry: &PluginEntry) -> BTreeMap<String, String> {
    let mut settings: BTreeMap<String, String> = manifest
        .settings
        .iter()
        .filter_map(|spec| Some((spec.key.clone(), spec.default.clone()?)))
        .collect();
    for (key, value) in &entry.settings {
        if manifest.settings.iter().any(|spec| &spec.key == key) {
            settings.insert(key.clone(), value.clone());
        } else {
            tracing::warn!(plugin = %manifest.name, key, "config sets a setting the plugin does not declare; ignored");
        }
    }
    if let Some(domain) = &entry.domain {
        settings.insert(
            "domain".to_owned(),
            domain.as_str().trim_end_matches('/').to_owned(),
        );
    }
    settings
}
