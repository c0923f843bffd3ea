//! Following one index: poll it, keep what was verified, and install releases of the
//! plugins installed from it, through the operator's approval when a release needs new
//! hosts or author keys. The running version serves through every failure.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::canary::live_canary;
use super::document::{IndexDocument, PluginEntry, Release, Yank, YankSeverity};
use super::error::IndexError;
use super::http_files::HttpFiles;
use super::keys::PublicKey;
use super::select;
use super::state::{
    self, BadVersion, Failure, Followed, FollowerState, HistoryLine, Intent, Pending, StateFile,
};
use super::status::{IndexPluginView, IndexStatus, PollStatus, StatusError};
use super::trust::{self, IndexFiles};
use super::watch::Watch;
use crate::config::IndexSourceConfig;
use crate::events::{
    Event, EventBus, PluginIndexErrorEvent, PluginUpdateInstalledEvent, PluginUpdatePendingEvent,
    PluginUpdateRefusedEvent, UpdateTimings,
};
use crate::fetch::FetchClient;
use crate::plugins::{InstallOutcome, LoadError, LoadedPlugin, Origin, Registry};

/// The longest wait between polls after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// What an install or approval did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum InstallResult {
    /// The release now serves.
    Installed {
        version: String,
        previous_version: Option<String>,
    },
    /// That release already serves.
    Unchanged { version: String },
    /// The operator must approve first (`POST /api/plugins/{name}/approve` with this).
    ApprovalRequired { pending: Pending },
    /// Still being installed when the answer was due (a JavaScript or Python component
    /// compiles for long on a small machine); the install goes on, and its outcome
    /// follows as a `plugin_update_installed` event and a line of the plugin's history
    /// (`installed`, or `refused` with the reason).
    Installing {
        /// The version asked for, when one was.
        version: Option<String>,
    },
}

/// The operator's approval: it must echo what is pending, exactly.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Approval {
    pub(crate) version: String,
    pub(crate) hosts_added: Vec<String>,
    /// Fingerprints of the author keys approved (the pending `author_keys_new`).
    pub(crate) author_keys: Vec<String>,
}

/// One followed index.
pub(crate) struct IndexFollower {
    config: IndexSourceConfig,
    files: HttpFiles,
    pinned: Result<Vec<PublicKey>, String>,
    registry: Arc<Registry>,
    events: EventBus,
    file: StateFile,
    /// Held through a whole operation: one install or poll at a time per index.
    state: Arc<tokio::sync::Mutex<FollowerState>>,
    watch_window: Duration,
    /// Watches after updates run on these.
    tracker: TaskTracker,
    cancel: CancellationToken,
    status: Mutex<PollStatus>,
}

impl IndexFollower {
    /// Loads the state under `data_dir`; an unreadable state file is an error.
    pub(crate) fn new(
        config: IndexSourceConfig,
        data_dir: &std::path::Path,
        fetch: FetchClient,
        registry: Arc<Registry>,
        events: EventBus,
        runner: (&TaskTracker, &CancellationToken, Duration),
    ) -> Result<Self, IndexError> {
        let (file, state) = StateFile::open(state::state_path(data_dir, &config.name))?;
        let pinned = config
            .root_keys
            .iter()
            .map(|key| PublicKey::parse(key).map_err(|e| e.to_string()))
            .collect();
        Ok(Self {
            files: HttpFiles::new(fetch, &config.name, config.url.clone()),
            config,
            pinned,
            registry,
            events,
            file,
            state: Arc::new(tokio::sync::Mutex::new(state)),
            tracker: runner.0.clone(),
            cancel: runner.1.clone(),
            watch_window: runner.2,
            status: Mutex::new(PollStatus::default()),
        })
    }

    /// Writes the state (and makes it what readers see).
    fn save(&self, state: &FollowerState) -> Result<(), IndexError> {
        self.file.save(state)
    }

    /// The index's name.
    pub(crate) fn name(&self) -> &str {
        &self.config.name
    }

    /// Polls until cancelled: refresh, then update what auto-updates; failures back off.
    pub(crate) async fn run(self: Arc<Self>) {
        let cancel = self.cancel.clone();
        let mut failures = 0u32;
        loop {
            let ok = self.poll().await;
            failures = if ok { 0 } else { failures.saturating_add(1) };
            let wait = self
                .config
                .poll_interval
                .saturating_mul(2u32.saturating_pow(failures.min(12)))
                .min(MAX_BACKOFF.max(self.config.poll_interval));
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One poll: refresh the index and update the plugins that follow it automatically.
    /// False when the index could not be read or verified.
    pub(crate) async fn poll(&self) -> bool {
        let mut state = self.state.lock().await;
        self.reconcile(&mut state);
        if let Err(error) = self.refresh_locked(&mut state).await {
            tracing::warn!(index = self.name(), %error, "plugin index not updated; plugins keep serving");
            return false;
        }
        // Yanks apply to every plugin from this index, pinned or not, auto-updated or not.
        if let Some(index) = state.trusted.index() {
            let installed: Vec<String> = state
                .plugins
                .iter()
                .filter(|(_, followed)| followed.installed.is_some())
                .map(|(name, _)| name.clone())
                .collect();
            let mut changed = false;
            for name in installed {
                if let (Some(entry), Some(followed)) =
                    (index.plugins.get(&name), state.plugins.get_mut(&name))
                {
                    changed |= self
                        .handle_yank(&name, entry, followed, index.version)
                        .await;
                }
            }
            if changed && let Err(error) = self.save(&state) {
                tracing::warn!(index = self.name(), %error, "cannot save the plugin index state");
            }
        }
        let names: Vec<String> = state
            .plugins
            .iter()
            .filter(|(name, followed)| {
                followed.installed.is_some() && !followed.pinned && self.config.auto_updates(name)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in names {
            if let Err(error) = self.install_locked(&mut state, &name, None, false).await {
                tracing::warn!(index = self.name(), plugin = %name, %error, "plugin update not installed");
            }
        }
        true
    }

    async fn refresh_locked(&self, state: &mut FollowerState) -> Result<(), IndexError> {
        let before = state.trusted.marks();
        let result = match &self.pinned {
            Ok(pinned) => {
                trust::refresh(
                    &self.files,
                    self.name(),
                    pinned,
                    &mut state.trusted,
                    Utc::now(),
                )
                .await
            }
            Err(error) => Err(IndexError::malformed(
                "config",
                format!("plugin_index root_keys: {error}"),
            )),
        };
        // What was verified stays verified, whatever happened after; an unchanged
        // index writes nothing.
        let result = if state.trusted.marks() == before {
            result.map(|_| ())
        } else {
            result.map(|_| ()).and(self.save(state))
        };
        let now = crate::util::unix_ms(SystemTime::now());
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        match &result {
            Ok(_) => {
                status.last_ok_at_ms = Some(now);
                status.last_error = None;
            }
            Err(error) => {
                status.last_error = Some(StatusError {
                    code: error.code(),
                    message: error.to_string(),
                    at_ms: now,
                });
                self.events
                    .publish(Event::PluginIndexError(PluginIndexErrorEvent {
                        index: self.name().to_owned(),
                        code: error.code().as_str().to_owned(),
                        error: error.to_string(),
                    }));
            }
        }
        result
    }

    /// Installs `name` from the index: `version`, or the newest release this host can
    /// run. An operator's request (`explicit`) also installs over a local file and
    /// retries a release that failed before.
    pub(crate) async fn install(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<InstallResult, IndexError> {
        let mut state = self.state.lock().await;
        if state.trusted.index.is_none() {
            self.refresh_locked(&mut state).await?;
        }
        self.install_locked(&mut state, name, version, true).await
    }

    /// Approves what is pending for `name` and installs it.
    pub(crate) async fn approve(
        &self,
        name: &str,
        approval: &Approval,
    ) -> Result<InstallResult, IndexError> {
        let mut state = self.state.lock().await;
        let Some(pending) = state.plugins.get(name).and_then(|f| f.pending.clone()) else {
            return Err(IndexError::Stale(format!("nothing is pending for {name}")));
        };
        let mut echoed = approval.hosts_added.clone();
        echoed.sort();
        let mut keys = approval.author_keys.clone();
        keys.sort();
        let mut wanted_keys = pending.author_keys_new.clone();
        wanted_keys.sort();
        let stale = || {
            IndexError::Stale(format!(
                "the approval does not match what is pending for {name}: version {}, hosts added [{}], author keys [{}]",
                pending.version,
                pending.hosts_added.join(", "),
                pending.author_keys_new.join(", ")
            ))
        };
        if approval.version != pending.version
            || echoed != pending.hosts_added
            || keys != wanted_keys
        {
            return Err(stale());
        }
        let index = state.trusted.index().ok_or_else(not_verified)?;
        let entry = index
            .plugins
            .get(name)
            .ok_or_else(|| IndexError::NotFound(format!("{name} is no longer in the index")))?;
        let release = entry
            .release(&pending.version)
            .ok_or_else(|| IndexError::Stale(format!("{name} {} is gone", pending.version)))?;
        let Some(followed) = state.plugins.get_mut(name) else {
            return Err(IndexError::Stale(format!("nothing is pending for {name}")));
        };
        // What the index asks for now must be exactly what the operator saw: an index
        // that changed meanwhile gets its new difference shown instead.
        let now_pending = select::gate(entry, release, followed);
        if now_pending.as_ref() != Some(&pending) {
            followed.pending = now_pending;
            self.save(&state)?;
            return Err(stale());
        }
        followed.approved_hosts = release.allowed_hosts.clone();
        followed.author_keys = Some(entry.authors.clone());
        followed.pending = None;
        followed.record(
            "approved",
            Some(&pending.version),
            format!("hosts added [{}]", pending.hosts_added.join(", ")),
        );
        self.install_locked(&mut state, name, Some(&pending.version), true)
            .await
    }

    /// Pins or unpins a plugin: a pinned plugin is not updated from the index.
    pub(crate) async fn set_pinned(&self, name: &str, pinned: bool) -> Result<(), IndexError> {
        let mut state = self.state.lock().await;
        let followed = state.plugins.get_mut(name).ok_or_else(|| {
            IndexError::NotFound(format!(
                "{name} was not installed from {}",
                self.config.name
            ))
        })?;
        followed.pinned = pinned;
        followed.record(
            if pinned { "pinned" } else { "unpinned" },
            None,
            String::new(),
        );
        self.save(&state)
    }

    /// The history of a plugin from this index, oldest first.
    pub(crate) fn history(&self, name: &str) -> Option<Vec<HistoryLine>> {
        self.file.read(|state| {
            state
                .plugins
                .get(name)
                .map(|followed| followed.history.clone())
        })
    }

    /// Whether `name` was installed from this index, is being installed from it, or
    /// waits for the operator's approval. An install in progress counts: the plugin
    /// may already serve before the state says it is installed, and its history must
    /// not vanish meanwhile.
    pub(crate) fn follows(&self, name: &str) -> bool {
        self.file.read(|state| {
            state.plugins.get(name).is_some_and(|f| {
                f.installed.is_some() || f.pending.is_some() || f.installing.is_some()
            })
        })
    }

    /// What the index offers and how each plugin stands.
    pub(crate) fn status(&self) -> IndexStatus {
        let state = self.file.read(FollowerState::clone);
        let poll = self
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let root = state.trusted.root();
        let index = state.trusted.index();
        let now = Utc::now();
        let paused = match (&root, &index) {
            (Some(root), Some(index)) => root.expires <= now || index.expires <= now,
            _ => true,
        } || poll.last_error.is_some();
        let plugins = index
            .as_ref()
            .map(|index| {
                index
                    .plugins
                    .iter()
                    .map(|(name, entry)| {
                        self.plugin_view(name, entry, state.plugins.get(name), index)
                    })
                    .collect()
            })
            .unwrap_or_default();
        IndexStatus {
            name: self.config.name.clone(),
            url: self.config.url.to_string(),
            root_version: root.as_ref().map(|root| root.version),
            root_keys: root
                .as_ref()
                .map(|r| r.root.fingerprints())
                .unwrap_or_default(),
            index_version: index.as_ref().map(|index| index.version),
            expires: index.as_ref().map(|index| index.expires.to_rfc3339()),
            updates_paused: paused,
            auto_update: self.config.auto_update,
            poll,
            plugins,
        }
    }

    fn plugin_view(
        &self,
        name: &str,
        entry: &PluginEntry,
        followed: Option<&Followed>,
        index: &IndexDocument,
    ) -> IndexPluginView {
        let default = Followed::default();
        let followed = followed.unwrap_or(&default);
        let newest = entry.releases.iter().max_by_key(|r| r.semver());
        let available = select::select(
            entry,
            followed,
            None,
            false,
            index.version,
            self.config.min_release_age,
        )
        .ok()
        .map(|release| release.version.clone());
        let local = self.serves_other_bytes(name, followed);
        let status = if followed.pending.is_some() {
            "pending_approval"
        } else if followed.installed.is_none() {
            "not_installed"
        } else if local {
            "local_file"
        } else if followed.pinned {
            "pinned"
        } else if followed
            .installed
            .as_deref()
            .and_then(|v| entry.yank_of(v))
            .is_some()
        {
            "yanked"
        } else if available
            .as_deref()
            .is_some_and(|v| Some(v) != followed.installed.as_deref())
        {
            "update_available"
        } else if newest.is_some_and(|n| !crate::plugins::wit_compatible(&n.wit)) {
            "incompatible"
        } else if let (Some(newest), Some(installed)) = (
            newest,
            followed
                .installed
                .as_deref()
                .and_then(|v| semver::Version::parse(v).ok()),
        ) && newest.semver() < installed
        {
            // A valid index that lists nothing as new as what runs: nothing is
            // downgraded; the index is behind (or was rolled back by its publisher).
            "index_behind"
        } else {
            "up_to_date"
        };
        IndexPluginView {
            name: name.to_owned(),
            kind: entry.kind.to_string(),
            author_keys: entry.authors.fingerprints(),
            installed: followed.installed.clone(),
            newest: newest.map(|r| r.version.clone()),
            available,
            status: status.to_owned(),
            pinned: followed.pinned,
            pending: followed.pending.clone(),
            bad_versions: followed.bad_versions.clone(),
            last_failure: followed.last_failure.clone(),
            releases: entry.releases.clone(),
            yanked: entry.yanked.clone(),
        }
    }

    /// Whether the plugin serving under `name` is not the release installed from here
    /// (a local file dropped or uploaded over it: the local file wins).
    fn serves_other_bytes(&self, name: &str, followed: &Followed) -> bool {
        match (self.registry.current(name), &followed.sha256) {
            (Some(current), Some(sha256)) => &current.sha256 != sha256,
            _ => false,
        }
    }

    async fn install_locked(
        &self,
        state: &mut FollowerState,
        name: &str,
        version: Option<&str>,
        explicit: bool,
    ) -> Result<InstallResult, IndexError> {
        let index = state.trusted.index().ok_or_else(not_verified)?;
        trust::check_fresh(&index, Utc::now())?;
        let entry = index.plugins.get(name).ok_or_else(|| {
            IndexError::NotFound(format!("the index `{}` lists no plugin {name}", index.name))
        })?;
        let followed = state.plugins.entry(name.to_owned()).or_default();
        if !explicit && self.serves_other_bytes(name, followed) {
            // A local file wins over the index until the operator installs again.
            return Ok(InstallResult::Unchanged {
                version: followed.installed.clone().unwrap_or_default(),
            });
        }
        if let Some(current) = self.registry.current(name)
            && current.kind() != entry.kind
        {
            return Err(IndexError::Incompatible(format!(
                "{name}: the index lists a {}, this server runs a {}: refused (a plugin's kind never changes)",
                entry.kind,
                current.kind()
            )));
        }
        if self.handle_yank(name, entry, followed, index.version).await {
            self.save(state)?;
        }
        let followed = state.plugins.entry(name.to_owned()).or_default();
        let release = match select::select(
            entry,
            followed,
            version,
            explicit,
            index.version,
            self.config.min_release_age,
        ) {
            Ok(release) => release.clone(),
            Err(error) if !explicit => {
                tracing::debug!(index = self.name(), plugin = name, %error, "no release to update to");
                return Ok(InstallResult::Unchanged {
                    version: followed.installed.clone().unwrap_or_default(),
                });
            }
            Err(error) => return Err(error),
        };
        if followed.installed.as_deref() == Some(release.version.as_str())
            && !self.serves_other_bytes(name, followed)
            && self.registry.current(name).is_some()
        {
            return Ok(InstallResult::Unchanged {
                version: release.version,
            });
        }
        if let Some(pending) = select::gate(entry, &release, followed) {
            if followed.pending.as_ref() != Some(&pending) {
                followed.record(
                    "approval_required",
                    Some(&release.version),
                    format!(
                        "hosts added [{}], removed [{}], author keys {}",
                        pending.hosts_added.join(", "),
                        pending.hosts_removed.join(", "),
                        if pending.author_keys_old == pending.author_keys_new {
                            "unchanged"
                        } else {
                            "changed"
                        }
                    ),
                );
                self.events
                    .publish(Event::PluginUpdatePending(PluginUpdatePendingEvent {
                        name: name.to_owned(),
                        index: self.name().to_owned(),
                        version: release.version.clone(),
                        hosts_added: pending.hosts_added.clone(),
                        hosts_removed: pending.hosts_removed.clone(),
                        author_keys_changed: pending.author_keys_old != pending.author_keys_new,
                    }));
            }
            followed.pending = Some(pending.clone());
            self.save(state)?;
            return Ok(InstallResult::ApprovalRequired { pending });
        }
        // Written before the plugin file is: a process killed in between restarts on
        // the new file and adopts it (`reconcile`) instead of taking it for a local one.
        followed.installing = Some(Intent {
            version: release.version.clone(),
            sha256: release.sha256.clone(),
        });
        self.save(state)?;
        let result = self.download_and_install(name, entry, &release).await;
        let followed = state.plugins.entry(name.to_owned()).or_default();
        followed.installing = None;
        let result = match result {
            Ok(Installed {
                new,
                replaced,
                outcome,
                timings,
            }) => {
                let previous = followed.installed.replace(release.version.clone());
                followed.sha256 = Some(new.sha256.clone());
                if let (Some(replaced), InstallOutcome::Swapped { .. }) = (replaced, &outcome)
                    && !self.watch_window.is_zero()
                {
                    let watch = Watch {
                        index: self.name().to_owned(),
                        registry: self.registry.clone(),
                        events: self.events.clone(),
                        state: self.state.clone(),
                        file: self.file.clone(),
                        new,
                        previous: replaced,
                        window: self.watch_window,
                    };
                    self.tracker.spawn(watch.run(self.cancel.child_token()));
                }
                followed.version_floor = Some(release.version.clone());
                followed.author_keys = Some(entry.authors.clone());
                followed.approved_hosts = release.allowed_hosts.clone();
                followed.last_failure = None;
                followed.pending = None;
                self.switch_back_on(name, followed);
                let previous = match outcome {
                    InstallOutcome::Swapped { from } => Some(from),
                    _ => previous,
                };
                followed.record(
                    if previous.is_some() {
                        "updated"
                    } else {
                        "installed"
                    },
                    Some(&release.version),
                    previous
                        .as_deref()
                        .map(|p| format!("from {p}"))
                        .unwrap_or_default(),
                );
                self.events
                    .publish(Event::PluginUpdateInstalled(PluginUpdateInstalledEvent {
                        name: name.to_owned(),
                        index: self.name().to_owned(),
                        version: release.version.clone(),
                        previous_version: previous.clone(),
                        timings,
                    }));
                Ok(InstallResult::Installed {
                    version: release.version.clone(),
                    previous_version: previous,
                })
            }
            Err(error) => {
                followed.last_failure = Some(Failure {
                    version: release.version.clone(),
                    code: error.code(),
                    message: error.to_string(),
                    // No verdict, or no file: tried again at the next poll; anything
                    // else waits for the index to change.
                    index_version: if matches!(
                        error,
                        IndexError::Inconclusive(_)
                            | IndexError::Unreachable { .. }
                            | IndexError::Io(_)
                    ) {
                        0
                    } else {
                        index.version
                    },
                });
                if matches!(
                    error,
                    IndexError::ReleaseMismatch(_)
                        | IndexError::HostRefused(_)
                        | IndexError::Canary(_)
                ) {
                    // The signed bytes themselves are bad: never again.
                    followed.bad_versions.push(BadVersion {
                        version: release.version.clone(),
                        reason: error.to_string(),
                    });
                }
                followed.record("refused", Some(&release.version), error.to_string());
                self.events
                    .publish(Event::PluginUpdateRefused(PluginUpdateRefusedEvent {
                        name: name.to_owned(),
                        index: self.name().to_owned(),
                        version: release.version.clone(),
                        code: error.code().as_str().to_owned(),
                        error: error.to_string(),
                    }));
                Err(error)
            }
        };
        self.save(state)?;
        result
    }

    /// A yank of the installed version. A malicious one is switched off at once
    /// (reversibly: `POST /api/plugins/{name}/enable`). Then a newer release the host may
    /// take replaces it (the update path, which switches a plugin it switched off back
    /// on); without one, the kept previous version, when it is not yanked, is rolled back
    /// to; a broken version with neither keeps serving. True when anything changed.
    async fn handle_yank(
        &self,
        name: &str,
        entry: &PluginEntry,
        followed: &mut Followed,
        index_version: u64,
    ) -> bool {
        let Some(installed) = followed.installed.clone() else {
            return false;
        };
        let Some(Yank {
            severity, reason, ..
        }) = entry.yank_of(&installed).cloned()
        else {
            return false;
        };
        if followed.is_bad(&installed) {
            return false;
        }
        let what = match severity {
            YankSeverity::Broken => "broken",
            YankSeverity::Malicious => "malicious",
        };
        followed.bad_versions.push(BadVersion {
            version: installed.clone(),
            reason: format!("yanked as {what}: {reason}"),
        });
        if severity == YankSeverity::Malicious {
            match self.registry.set_enabled(name, false) {
                Ok(()) => followed.switched_off_by_yank = true,
                Err(error) => {
                    tracing::warn!(plugin = name, %error, "cannot switch off a plugin yanked as malicious");
                }
            }
        }
        let newer = select::select(
            entry,
            followed,
            None,
            false,
            index_version,
            self.config.min_release_age,
        )
        .is_ok_and(|release| release.version != installed);
        if newer {
            followed.record(
                "yanked",
                Some(&installed),
                format!("{what}: {reason}; updating"),
            );
            return true;
        }
        // Only the version right behind the current one can be rolled back to.
        let previous = self.registry.kept(name).into_iter().nth(1);
        if let Some(previous) = previous
            && entry.yank_of(previous.version()).is_none()
            && let Ok(back) = self.registry.rollback(name).await
        {
            followed.installed = Some(back.version().to_owned());
            followed.sha256 = Some(back.sha256.clone());
            followed.record(
                "rolled_back",
                Some(&installed),
                format!("yanked as {what}: {reason}; back to {}", back.version()),
            );
            self.switch_back_on(name, followed);
            return true;
        }
        let detail = match severity {
            YankSeverity::Malicious => format!("malicious: {reason}; switched off"),
            YankSeverity::Broken => {
                tracing::warn!(plugin = name, version = %installed, %reason, "the installed version is yanked as broken and nothing can replace it yet; it keeps serving");
                format!("broken: {reason}; nothing to replace it yet, it keeps serving")
            }
        };
        followed.record("yanked", Some(&installed), detail);
        true
    }

    /// Switches a plugin back on when a yank switched it off and a clean version now
    /// serves.
    fn switch_back_on(&self, name: &str, followed: &mut Followed) {
        if followed.switched_off_by_yank {
            match self.registry.set_enabled(name, true) {
                Ok(()) => followed.switched_off_by_yank = false,
                Err(error) => {
                    tracing::warn!(plugin = name, %error, "cannot switch a plugin back on")
                }
            }
        }
    }

    /// Adopts an install the process did not live to record: the plugin serves the
    /// bytes an install was writing when the state last saved.
    fn reconcile(&self, state: &mut FollowerState) {
        let mut changed = false;
        for (name, followed) in &mut state.plugins {
            let Some(intent) = followed.installing.clone() else {
                continue;
            };
            let serving = self.registry.current(name).map(|p| p.sha256.clone());
            if serving.as_deref() == Some(intent.sha256.as_str()) {
                followed.installed = Some(intent.version.clone());
                followed.sha256 = Some(intent.sha256.clone());
                followed.version_floor = Some(intent.version.clone());
                followed.record(
                    "installed",
                    Some(&intent.version),
                    "completed after a restart".to_owned(),
                );
            }
            followed.installing = None;
            changed = true;
        }
        if changed && let Err(error) = self.save(state) {
            tracing::warn!(index = self.name(), %error, "cannot save the plugin index state");
        }
    }

    /// The operator rolled a plugin back by hand: it is pinned there (a downgrade by hand
    /// must not be undone by the next poll) until unpinned.
    pub(crate) async fn operator_rolled_back(&self, name: &str, to: &LoadedPlugin) {
        let mut state = self.state.lock().await;
        let Some(followed) = state.plugins.get_mut(name) else {
            return;
        };
        followed.installed = Some(to.version().to_owned());
        followed.sha256 = Some(to.sha256.clone());
        followed.pinned = true;
        followed.record(
            "rolled_back",
            Some(to.version()),
            "by the operator; pinned until unpinned".to_owned(),
        );
        if let Err(error) = self.save(&state) {
            tracing::warn!(plugin = name, %error, "cannot save the plugin index state");
        }
    }

    async fn download_and_install(
        &self,
        name: &str,
        entry: &PluginEntry,
        release: &Release,
    ) -> Result<Installed, IndexError> {
        let started = std::time::Instant::now();
        let max = usize::try_from(release.length)
            .ok()
            .filter(|&length| length <= MAX_ARTIFACT_BYTES)
            .ok_or_else(|| {
                IndexError::ArtifactMismatch(format!(
                    "{name} {}: {} bytes listed, at most {MAX_ARTIFACT_BYTES}",
                    release.version, release.length
                ))
            })?;
        // One byte more than listed is fetched, so a longer file is caught as such.
        let bytes = match self.files.get(&release.url, max + 1, None).await? {
            trust::Fetched::Body { bytes, .. } => bytes,
            _ => {
                return Err(IndexError::Unreachable {
                    file: release.url.clone(),
                    message: "not found".to_owned(),
                });
            }
        };
        let downloaded = std::time::Instant::now();
        trust::verify_release(name, entry, release, &bytes)?;
        let verified = std::time::Instant::now();
        let mut canary_time = Duration::ZERO;
        let registry = &self.registry;
        let previous = registry.current(name);
        let mut canary_error = None;
        let installed = registry
            .install_checked(
                bytes,
                Origin::Index {
                    index: self.name().to_owned(),
                    version: release.version.clone(),
                    author_keys: entry.authors.fingerprints(),
                },
                async |new| {
                    let current = registry.current(name);
                    let canary_started = std::time::Instant::now();
                    let canary = live_canary(registry.runtime(), new, current).await;
                    canary_time = canary_started.elapsed();
                    match canary {
                        Ok(()) => Ok(()),
                        Err(error) => {
                            let message = error.to_string();
                            canary_error = Some(error);
                            Err(LoadError::Canary(message))
                        }
                    }
                },
            )
            .await;
        match installed {
            Ok((new, outcome)) => {
                let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                let timings = UpdateTimings {
                    download_ms: ms(downloaded - started),
                    verify_ms: ms(verified - downloaded),
                    prepare_ms: ms(verified.elapsed().saturating_sub(canary_time)),
                    canary_ms: ms(canary_time),
                };
                Ok(Installed {
                    new,
                    replaced: previous,
                    outcome,
                    timings,
                })
            }
            Err(error) => Err(canary_error.unwrap_or_else(|| match error {
                LoadError::Probes(reason) => {
                    IndexError::Canary(format!("{name} {}: {reason}", release.version))
                }
                other => IndexError::HostRefused(format!(
                    "{name} {}: the host refused it: {other}",
                    release.version
                )),
            })),
        }
    }
}

/// A release that went live.
struct Installed {
    new: Arc<LoadedPlugin>,
    replaced: Option<Arc<LoadedPlugin>>,
    outcome: InstallOutcome,
    timings: UpdateTimings,
}

/// The largest release file installed.
const MAX_ARTIFACT_BYTES: usize = 64 * 1024 * 1024;

fn not_verified() -> IndexError {
    IndexError::Unreachable {
        file: "index.json".to_owned(),
        message: "no verified copy yet".to_owned(),
    }
}
