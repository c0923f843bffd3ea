//! The registry of loaded plugins: one slot per name with its current version and the
//! previous ones, swapped atomically. Calls take an `Arc` of the current version, so
//! calls in flight finish on the version they started with.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use futures_util::StreamExt as _;

use super::compile::write_file_atomically;
use super::error::{CallError, LoadError, RegistryError};
use super::loaded::LoadedPlugin;
use super::runtime::PluginRuntime;
use super::slot::{LoadFailure, Slot};
use super::types::PluginKind;
use super::view::{FileFailure, PluginView};
use crate::events::{
    Event, EventBus, PluginEvent, PluginFailedEvent, PluginReadyEvent, PluginRolledBackEvent,
};

/// Where a plugin file came from.
#[derive(Debug, Clone)]
pub enum Origin {
    File(PathBuf),
    Upload,
    /// A release from a followed index (verified before it gets here).
    Index {
        index: String,
        version: String,
        /// Fingerprints of the author keys that signed it.
        author_keys: Vec<String>,
    },
    /// Built into the `kura` binary.
    BuiltIn,
}

impl Origin {
    /// Where the version came from, as the API shows it.
    fn source(&self) -> super::slot::Source {
        match self {
            Origin::File(_) => super::slot::Source::Local,
            Origin::Upload => super::slot::Source::Upload,
            Origin::Index {
                index, author_keys, ..
            } => super::slot::Source::Index {
                index: index.clone(),
                author_keys: author_keys.clone(),
            },
            Origin::BuiltIn => super::slot::Source::BuiltIn,
        }
    }
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallOutcome {
    Loaded,
    Swapped { from: String },
    Unchanged,
}

/// All plugins, by name.
pub struct Registry {
    runtime: Arc<PluginRuntime>,
    events: EventBus,
    slots: RwLock<BTreeMap<String, Slot>>,
    /// sha256 of each file in the plugins directory as last seen, loaded or not.
    known_files: Mutex<HashMap<PathBuf, String>>,
    /// What each file in the plugins directory looked like when last read.
    stamps: Mutex<HashMap<PathBuf, FileStamp>>,
    file_failures: RwLock<BTreeMap<PathBuf, LoadFailure>>,
    enabled_overrides: RwLock<BTreeMap<String, bool>>,
    /// Told when an operator changed the plugins (the other hosts of a deployment).
    peers: std::sync::OnceLock<Arc<dyn PluginPeers>>,
    install_lock: tokio::sync::Mutex<()>,
    /// One lock per plugin name, held from prepare to publish: versions of one plugin go
    /// live in the order they arrived, while different plugins prepare in parallel.
    name_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Whether the built-in plugins load where nothing else has their name.
    builtins: bool,
    /// Files compiling in the background (large, not in the compiled cache), by path and
    /// sha256: they never hold up a directory pass or the server's start.
    compiling: Mutex<BTreeMap<PathBuf, String>>,
}

/// A component this large and not compiled yet (JavaScript, Python: 12-20 MB) takes
/// seconds of Cranelift: it is prepared off the directory pass.
const SLOW_COMPILE_BYTES: usize = 4 << 20;

impl Registry {
    /// An empty registry; run-time enable/disable switches are read from the state file.
    pub(crate) fn new(runtime: Arc<PluginRuntime>, events: EventBus, builtins: bool) -> Self {
        let overrides = std::fs::read(state_file(&runtime))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self {
            runtime,
            events,
            slots: RwLock::new(BTreeMap::new()),
            known_files: Mutex::new(HashMap::new()),
            stamps: Mutex::new(HashMap::new()),
            file_failures: RwLock::new(BTreeMap::new()),
            enabled_overrides: RwLock::new(overrides),
            peers: std::sync::OnceLock::new(),
            install_lock: tokio::sync::Mutex::new(()),
            name_locks: Mutex::new(HashMap::new()),
            builtins,
            compiling: Mutex::new(BTreeMap::new()),
        }
    }

    /// Tells `peers` of every change an operator makes (an upload, a switch, a
    /// rollback); set once at start-up.
    pub(crate) fn set_peers(&self, peers: Arc<dyn PluginPeers>) {
        let _ = self.peers.set(peers);
    }

    fn tell_peers(&self) {
        if let Some(peers) = self.peers.get() {
            peers.changed();
        }
    }

    /// Reads the run-time switches again from the state file another host of the
    /// deployment wrote (the plugins directory, and the file beside it, are shared).
    pub(crate) fn reload_switches(&self) {
        let Some(overrides) = std::fs::read(state_file(&self.runtime))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<BTreeMap<String, bool>>(&bytes).ok())
        else {
            return;
        };
        *self
            .enabled_overrides
            .write()
            .unwrap_or_else(|e| e.into_inner()) = overrides;
    }

    /// The runtime that prepares and calls plugins.
    pub(crate) fn runtime(&self) -> &Arc<PluginRuntime> {
        &self.runtime
    }

    /// Loads a component and, if it passes every check, makes it the current version.
    ///
    /// Preparing (compile, checks, smoke test) holds only its plugin's own lock, so
    /// several plugins load in parallel while versions of one plugin go live in the order
    /// they arrived; publishing is serialised.
    pub async fn install(
        &self,
        bytes: Vec<u8>,
        origin: Origin,
    ) -> Result<(Arc<LoadedPlugin>, InstallOutcome), LoadError> {
        self.install_checked(bytes, origin, async |_| Ok(())).await
    }

    /// [`Self::install`] with one more check between preparing and publishing (an index
    /// update's live canary): its error is recorded like any other failed load.
    pub(crate) async fn install_checked(
        &self,
        bytes: Vec<u8>,
        origin: Origin,
        check: impl AsyncFnOnce(&Arc<LoadedPlugin>) -> Result<(), LoadError>,
    ) -> Result<(Arc<LoadedPlugin>, InstallOutcome), LoadError> {
        let bytes: Arc<[u8]> = bytes.into();
        let sha256 = crate::util::sha256_hex(&bytes);
        let name = super::manifest::Manifest::from_component(&bytes)
            .ok()
            .map(|m| m.name);
        let name_lock = name.as_deref().map(|name| self.name_lock(name));
        let _name_guard = match &name_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        if let Some(unchanged) = self.unchanged(name.as_deref(), &sha256, &origin) {
            return Ok(unchanged);
        }
        let stats = name
            .as_deref()
            .and_then(|name| self.read_slots().get(name).map(|slot| slot.stats.clone()))
            .unwrap_or_default();
        let prepared = self.runtime.prepare(bytes.clone(), stats).await;
        let loaded = match prepared {
            Ok(loaded) => Arc::new(loaded),
            Err(error) => {
                self.record_failure(&origin, name.as_deref(), &sha256, &bytes, &error);
                return Err(error);
            }
        };
        if let Err(error) = check(&loaded).await {
            self.record_failure(&origin, name.as_deref(), &sha256, &bytes, &error);
            return Err(error);
        }
        let _guard = self.install_lock.lock().await;
        // The same bytes may have been published while these were being prepared.
        if let Some(unchanged) = self.unchanged(name.as_deref(), &sha256, &origin) {
            return Ok(unchanged);
        }
        if matches!(origin, Origin::Upload | Origin::Index { .. }) {
            self.persist_upload(&loaded)?;
        }
        let outcome = self.publish(loaded.clone(), &origin);
        self.remember_file(&origin, &sha256, Some(loaded.name()));
        if matches!(origin, Origin::Upload) {
            self.tell_peers();
        }
        Ok((loaded, outcome))
    }

    /// The lock of one plugin name.
    fn name_lock(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.name_locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name.to_owned())
            .or_default()
            .clone()
    }

    /// The current version when it already has these bytes.
    fn unchanged(
        &self,
        name: Option<&str>,
        sha256: &str,
        origin: &Origin,
    ) -> Option<(Arc<LoadedPlugin>, InstallOutcome)> {
        let current = self.current(name?)?;
        if current.sha256 != sha256 {
            return None;
        }
        // The same bytes as a built-in, now as a file: the file is what serves (its
        // removal unloads it, and the built-in comes back).
        if let Origin::File(path) = origin
            && let Some(slot) = self.write_slots().get_mut(current.name())
            && slot.file.is_none()
        {
            slot.file = Some(path.clone());
            slot.source = origin.source();
        }
        self.remember_file(origin, sha256, Some(current.name()));
        Some((current, InstallOutcome::Unchanged))
    }

    fn publish(&self, loaded: Arc<LoadedPlugin>, origin: &Origin) -> InstallOutcome {
        let keep = self.runtime.config().keep_versions;
        let mut slots = self.write_slots();
        let slot = slots
            .entry(loaded.name().to_owned())
            .or_insert_with(|| Slot {
                versions: VecDeque::new(),
                file: None,
                last_error: None,
                stats: loaded.stats.clone(),
                source: origin.source(),
            });
        let previous = slot.versions.front().map(|v| v.version().to_owned());
        slot.versions.retain(|v| v.sha256 != loaded.sha256);
        slot.versions.push_front(loaded.clone());
        slot.versions.truncate(keep);
        slot.last_error = None;
        slot.source = origin.source();
        if let Origin::File(path) = origin {
            slot.file = Some(path.clone());
        }
        drop(slots);
        let ready = PluginReadyEvent {
            name: loaded.name().to_owned(),
            version: loaded.version().to_owned(),
            kind: loaded.kind(),
            sha256: loaded.sha256.clone(),
            load_ms: loaded.load_time.as_secs_f64() * 1000.0,
            previous_version: previous.clone(),
        };
        tracing::info!(
            plugin = loaded.name(), version = loaded.version(), previous = ?previous,
            load_ms = loaded.load_time.as_millis() as u64, from = ?loaded.compiled_from,
            "plugin ready"
        );
        match previous {
            Some(from) => {
                self.events.publish(Event::PluginSwapped(ready));
                InstallOutcome::Swapped { from }
            }
            None => {
                self.events.publish(Event::PluginLoaded(ready));
                InstallOutcome::Loaded
            }
        }
    }

    /// An upload (or an index release) is written into the plugins directory, so it
    /// survives a restart; it replaces the file the plugin came from, if any.
    fn persist_upload(&self, loaded: &LoadedPlugin) -> Result<(), LoadError> {
        let path = self.slot_file(loaded.name());
        write_file_atomically(&path, &loaded.bytes)
            .map_err(|error| LoadError::Io(format!("{}: {error}", path.display())))?;
        if let Some(slot) = self.write_slots().get_mut(loaded.name()) {
            slot.file = Some(path.clone());
        }
        self.remember_file(&Origin::File(path), &loaded.sha256, Some(loaded.name()));
        Ok(())
    }

    fn slot_file(&self, name: &str) -> PathBuf {
        self.read_slots()
            .get(name)
            .and_then(|slot| slot.file.clone())
            .unwrap_or_else(|| self.runtime.config().dir.join(format!("{name}.wasm")))
    }

    fn record_failure(
        &self,
        origin: &Origin,
        name: Option<&str>,
        sha256: &str,
        bytes: &[u8],
        error: &LoadError,
    ) {
        if matches!(error, LoadError::Superseded) {
            // Not a failure of the file: the version that replaced it is loading.
            return;
        }
        let version = super::manifest::Manifest::from_component(bytes)
            .ok()
            .map(|m| m.version);
        let file = match origin {
            Origin::File(path) => Some(path.clone()),
            Origin::Upload | Origin::Index { .. } | Origin::BuiltIn => None,
        };
        let failure = LoadFailure {
            error: error.to_string(),
            at_ms: crate::util::unix_ms(SystemTime::now()),
            file: file.clone(),
            version,
            sha256: sha256.to_owned(),
        };
        tracing::warn!(plugin = ?name, file = ?file, %error, "plugin file rejected; the running version, if any, keeps serving");
        self.events.publish(Event::PluginFailed(PluginFailedEvent {
            name: name.map(str::to_owned),
            file: file.as_ref().map(|path| path.display().to_string()),
            error: error.to_string(),
        }));
        if let Some(name) = name
            && let Some(slot) = self.write_slots().get_mut(name)
        {
            slot.last_error = Some(failure.clone());
        }
        if let Some(path) = file {
            self.write_failures().insert(path.clone(), failure);
            self.remember_file(&Origin::File(path), sha256, None);
        }
    }

    fn remember_file(&self, origin: &Origin, sha256: &str, loaded_name: Option<&str>) {
        if let Origin::File(path) = origin {
            if let Ok(mut known) = self.known_files.lock() {
                known.insert(path.clone(), sha256.to_owned());
            }
            if loaded_name.is_some() {
                self.write_failures().remove(path);
            }
        }
    }

    /// Brings the registry in line with the plugins directory: new or changed files are
    /// installed (in parallel), plugins whose file disappeared are unloaded. A file whose
    /// size, inode and change time are as last seen is not read again.
    pub(crate) async fn sync_dir(self: &Arc<Self>) {
        let dir = self.runtime.config().dir.clone();
        let listing = tokio::task::spawn_blocking(move || list_plugin_files(&dir)).await;
        let present = match listing {
            Ok(Ok(present)) => present,
            Ok(Err(error)) => {
                // An unreadable directory (unmounted, permissions) unloads nothing.
                tracing::warn!(dir = %self.runtime.config().dir.display(), %error, "cannot read the plugins directory");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "plugin directory listing failed");
                return;
            }
        };
        let unread: Vec<(PathBuf, FileStamp)> = {
            let stamps = self.stamps.lock().unwrap_or_else(|e| e.into_inner());
            present
                .iter()
                .filter(|(path, stamp)| stamps.get(path) != Some(stamp))
                .cloned()
                .collect()
        };
        let mut changed = Vec::new();
        for (path, stamp) in unread {
            // Reading and hashing are blocking work: off the async threads.
            let file = path.clone();
            let read = tokio::task::spawn_blocking(move || {
                std::fs::read(&file).map(|bytes| {
                    let sha256 = crate::util::sha256_hex(&bytes);
                    (bytes, sha256)
                })
            })
            .await;
            let Ok(Ok((bytes, sha256))) = read else {
                continue;
            };
            // A file changed within the clock's granularity of this read may change again
            // without its stamp moving (git's "racy" case): it is read again next time.
            if !stamp.is_recent() {
                self.stamps
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(path.clone(), stamp);
            }
            let known = self
                .known_files
                .lock()
                .ok()
                .and_then(|k| k.get(&path).cloned());
            if known.as_deref() == Some(sha256.as_str()) || self.is_compiling(&path, &sha256) {
                continue;
            }
            if bytes.len() > SLOW_COMPILE_BYTES && !self.runtime.is_compiled(&sha256) {
                self.install_in_background(path, bytes, sha256);
            } else {
                // An older version of this file still compiling must not go live after it.
                self.lock_compiling().remove(&path);
                changed.push((path, bytes));
            }
        }
        let parallel = std::thread::available_parallelism().map_or(2, usize::from);
        futures_util::stream::iter(changed)
            // Failures are recorded and reported by `install`.
            .for_each_concurrent(parallel, |(path, bytes)| async move {
                let _ = self.install(bytes, Origin::File(path)).await;
            })
            .await;
        let paths: Vec<PathBuf> = present.into_iter().map(|(path, _)| path).collect();
        self.forget_removed(&paths);
        // A built-in stands in for a name whose file failed or was removed.
        if self.builtins {
            self.load_builtins().await;
        }
    }

    fn lock_compiling(&self) -> std::sync::MutexGuard<'_, BTreeMap<PathBuf, String>> {
        self.compiling.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this version of `path` is being prepared in the background.
    fn is_compiling(&self, path: &Path, sha256: &str) -> bool {
        self.lock_compiling()
            .get(path)
            .is_some_and(|sha| sha == sha256)
    }

    /// The files being compiled in the background, for the API.
    pub(crate) fn compiling(&self) -> Vec<PathBuf> {
        self.compiling
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// Waits until nothing compiles in the background.
    pub(crate) async fn compiled(&self) {
        while !self.compiling().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Installs a slow-to-compile file off the directory pass; it goes live when ready,
    /// unless by then the file changed or went away (a later pass has taken over).
    fn install_in_background(self: &Arc<Self>, path: PathBuf, bytes: Vec<u8>, sha256: String) {
        tracing::info!(file = %path.display(), bytes = bytes.len(), "compiling a large plugin in the background");
        self.lock_compiling().insert(path.clone(), sha256.clone());
        let registry = self.clone();
        tokio::spawn(async move {
            /// Clears this compile's entry however the install ends (a panic included),
            /// unless a newer version of the file has replaced it.
            struct Done<'a>(&'a Registry, &'a Path, &'a str);
            impl Drop for Done<'_> {
                fn drop(&mut self) {
                    let mut compiling = self.0.lock_compiling();
                    if compiling.get(self.1).is_some_and(|sha| sha == self.2) {
                        compiling.remove(self.1);
                    }
                }
            }
            let _done = Done(&registry, &path, &sha256);
            let current =
                |registry: &Registry| registry.is_compiling(&path, &sha256) && path.is_file();
            // Failures are recorded and reported by `install`.
            let _ = registry
                .install_checked(bytes, Origin::File(path.clone()), async |_| {
                    if current(&registry) {
                        Ok(())
                    } else {
                        Err(LoadError::Superseded)
                    }
                })
                .await;
        });
    }

    /// Loads every built-in whose name nothing else has taken.
    async fn load_builtins(&self) {
        for (name, bytes) in super::builtin::components() {
            if self.current(name).is_some() {
                continue;
            }
            if let Err(error) = self.install(bytes.to_vec(), Origin::BuiltIn).await {
                tracing::warn!(plugin = %name, %error, "built-in plugin not loaded");
            }
        }
    }

    fn forget_removed(&self, present: &[PathBuf]) {
        // A file removed while it compiles must not go live when the compile ends.
        self.lock_compiling()
            .retain(|path, _| present.contains(path));
        let removed: Vec<PathBuf> = match self.known_files.lock() {
            Ok(mut known) => {
                let gone: Vec<PathBuf> = known
                    .keys()
                    .filter(|p| !present.contains(p))
                    .cloned()
                    .collect();
                let mut stamps = self.stamps.lock().unwrap_or_else(|e| e.into_inner());
                for path in &gone {
                    known.remove(path);
                    stamps.remove(path);
                }
                gone
            }
            Err(_) => Vec::new(),
        };
        for path in removed {
            self.write_failures().remove(&path);
            let mut slots = self.write_slots();
            let names: Vec<String> = slots
                .iter()
                .filter(|(_, slot)| slot.file.as_deref() == Some(path.as_path()))
                .map(|(name, _)| name.clone())
                .collect();
            for name in names {
                slots.remove(&name);
                tracing::info!(plugin = %name, file = %path.display(), "plugin file removed; plugin unloaded");
                self.events
                    .publish(Event::PluginUnloaded(PluginEvent { name }));
            }
        }
    }

    /// Makes the previous version current again, and writes it back to the plugin's file.
    pub(crate) async fn rollback(&self, name: &str) -> Result<Arc<LoadedPlugin>, RegistryError> {
        self.rollback_from(name, None).await
    }

    /// Rolls back only while the current version is the one with `sha256` (checked
    /// under the publish lock, so a version installed meanwhile is not the one undone).
    pub(crate) async fn rollback_if_current(
        &self,
        name: &str,
        sha256: &str,
    ) -> Result<Arc<LoadedPlugin>, RegistryError> {
        self.rollback_from(name, Some(sha256)).await
    }

    async fn rollback_from(
        &self,
        name: &str,
        expected: Option<&str>,
    ) -> Result<Arc<LoadedPlugin>, RegistryError> {
        let _guard = self.install_lock.lock().await;
        let (previous, file) = {
            let mut slots = self.write_slots();
            let slot = slots
                .get_mut(name)
                .ok_or_else(|| RegistryError::NotLoaded(name.to_owned()))?;
            if slot.versions.len() < 2 {
                return Err(RegistryError::NoPrevious(name.to_owned()));
            }
            if let Some(expected) = expected
                && slot.versions[0].sha256 != expected
            {
                return Err(RegistryError::Replaced(name.to_owned()));
            }
            slot.versions.swap(0, 1);
            (slot.versions[0].clone(), slot.file.clone())
        };
        if let Some(path) = file {
            write_file_atomically(&path, &previous.bytes)
                .map_err(|error| LoadError::Io(format!("{}: {error}", path.display())))?;
            self.remember_file(&Origin::File(path), &previous.sha256, Some(name));
        }
        tracing::info!(
            plugin = name,
            version = previous.version(),
            "plugin rolled back"
        );
        self.tell_peers();
        self.events
            .publish(Event::PluginRolledBack(PluginRolledBackEvent {
                name: name.to_owned(),
                version: previous.version().to_owned(),
                sha256: previous.sha256.clone(),
            }));
        Ok(previous)
    }

    /// Switches a plugin on or off at run time; remembered across restarts.
    pub(crate) fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), RegistryError> {
        if !self.read_slots().contains_key(name) {
            return Err(RegistryError::NotLoaded(name.to_owned()));
        }
        let snapshot = {
            let mut overrides = self
                .enabled_overrides
                .write()
                .unwrap_or_else(|e| e.into_inner());
            overrides.insert(name.to_owned(), enabled);
            overrides.clone()
        };
        let path = state_file(&self.runtime);
        let bytes = serde_json::to_vec_pretty(&snapshot).unwrap_or_default();
        write_file_atomically(&path, &bytes)
            .map_err(|error| LoadError::Io(format!("{}: {error}", path.display())))?;
        self.tell_peers();
        let switched = PluginEvent {
            name: name.to_owned(),
        };
        self.events.publish(if enabled {
            Event::PluginEnabled(switched)
        } else {
            Event::PluginDisabled(switched)
        });
        Ok(())
    }

    /// Whether a plugin is switched on (run-time switch over config).
    pub(crate) fn is_enabled(&self, plugin: &LoadedPlugin) -> bool {
        self.enabled_overrides
            .read()
            .ok()
            .and_then(|o| o.get(plugin.name()).copied())
            .unwrap_or(plugin.config_enabled)
    }

    /// The versions kept of a plugin, the current one first.
    pub(crate) fn kept(&self, name: &str) -> Vec<Arc<LoadedPlugin>> {
        self.read_slots()
            .get(name)
            .map(|slot| slot.versions.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The current version of a plugin, enabled or not.
    pub fn current(&self, name: &str) -> Option<Arc<LoadedPlugin>> {
        self.read_slots()
            .get(name)
            .and_then(|slot| slot.versions.front().cloned())
    }

    /// The current version, if it is loaded, enabled and of the expected kind.
    pub(crate) fn callable(
        &self,
        name: &str,
        kind: PluginKind,
    ) -> Result<Arc<LoadedPlugin>, CallError> {
        let plugin = self
            .current(name)
            .ok_or_else(|| CallError::NotLoaded(name.to_owned()))?;
        if plugin.kind() != kind {
            return Err(CallError::WrongKind {
                name: name.to_owned(),
                expected: kind,
                actual: plugin.kind(),
            });
        }
        if !self.is_enabled(&plugin) {
            return Err(CallError::Disabled(name.to_owned()));
        }
        Ok(plugin)
    }

    /// Enabled plugins of a kind, highest weight first (then by name).
    pub(crate) fn enabled_by_weight(&self, kind: PluginKind) -> Vec<Arc<LoadedPlugin>> {
        let mut list: Vec<_> = self
            .read_slots()
            .values()
            .filter_map(|slot| slot.versions.front().cloned())
            .filter(|p| p.kind() == kind && self.is_enabled(p))
            .collect();
        list.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.name().cmp(b.name())));
        list
    }

    /// Every plugin for display, and the files that failed to load.
    pub fn views(&self) -> (Vec<PluginView>, Vec<FileFailure>) {
        let slots = self.read_slots();
        let plugins = slots
            .iter()
            .filter_map(|(name, slot)| {
                PluginView::new(name, slot, |plugin| self.is_enabled(plugin))
            })
            .collect();
        let failures = self
            .file_failures
            .read()
            .map(|f| f.values().cloned().map(FileFailure::from).collect())
            .unwrap_or_default();
        (plugins, failures)
    }

    fn read_slots(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Slot>> {
        // A panic while holding the lock cannot leave a slot half-written (every write
        // is a single assignment), so a poisoned lock is still consistent.
        self.slots.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_slots(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Slot>> {
        self.slots.write().unwrap_or_else(|e| e.into_inner())
    }

    fn write_failures(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<PathBuf, LoadFailure>> {
        self.file_failures
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// The other hosts of a deployment that share the plugins directory: told that an
/// operator changed it, they read it and the switches again at once.
pub(crate) trait PluginPeers: Send + Sync {
    /// An upload, a switch or a rollback happened here.
    fn changed(&self);
}

fn state_file(runtime: &PluginRuntime) -> PathBuf {
    runtime
        .config()
        .dir
        .parent()
        .unwrap_or(Path::new("."))
        .join("plugin-state.json")
}

/// What tells a changed file from the one last read without reading it: a rename gives
/// a new inode, a write in place a new change time (which no one can set back).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    changed: Option<SystemTime>,
    #[cfg(unix)]
    inode: u64,
    #[cfg(unix)]
    ctime: (i64, i64),
}

impl FileStamp {
    /// Changed in the last two seconds (modification or change time).
    fn is_recent(&self) -> bool {
        let now = SystemTime::now();
        let recent = |at: SystemTime| {
            now.duration_since(at)
                .map_or(true, |age| age < std::time::Duration::from_secs(2))
        };
        #[cfg(unix)]
        let changed_recently = {
            let now_secs = now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs() as i64);
            now_secs - self.ctime.0 < 2
        };
        #[cfg(not(unix))]
        let changed_recently = false;
        self.changed.is_none_or(recent) || changed_recently
    }

    fn of(metadata: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        Self {
            len: metadata.len(),
            changed: metadata.modified().ok(),
            #[cfg(unix)]
            inode: metadata.ino(),
            #[cfg(unix)]
            ctime: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }
}

/// The `*.wasm` files of the plugins directory, sorted, with their stamps.
fn list_plugin_files(dir: &Path) -> std::io::Result<Vec<(PathBuf, FileStamp)>> {
    let mut present = Vec::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|ext| ext != "wasm") {
            continue;
        }
        if let Ok(metadata) = std::fs::metadata(&path)
            && metadata.is_file()
        {
            present.push((path, FileStamp::of(&metadata)));
        }
    }
    present.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(present)
}
