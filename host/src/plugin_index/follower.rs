//! Following one index: poll it, keep what was verified, and install releases of the
//! plugins installed from it, through the operator's approval when a release needs new
//! hosts or author keys. The running version serves through every failure.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::document::{IndexDocument, PluginEntry, Release, Yank, YankSeverity};
use super::error::IndexError;
use super::http_files::HttpFiles;
use super::keys::PublicKey;
use super::state::{self, BadVersion, Failure, Followed, FollowerState, HistoryLine, Pending};
use super::trust::{self, IndexFiles};
use crate::config::IndexSourceConfig;
use crate::error_code::ErrorCode;
use crate::events::{
    Event, EventBus, PluginIndexErrorEvent, PluginUpdateInstalledEvent, PluginUpdatePendingEvent,
    PluginUpdateRefusedEvent,
};
use crate::fetch::FetchClient;
use crate::plugins::{InstallOutcome, Origin, Registry};

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

/// When the index was last read, and what went wrong.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub(crate) struct PollStatus {
    pub(crate) last_ok_at_ms: Option<u64>,
    pub(crate) last_error: Option<StatusError>,
}

/// An error as the status shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct StatusError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    pub(crate) at_ms: u64,
}

/// One followed index.
pub(crate) struct IndexFollower {
    config: IndexSourceConfig,
    files: HttpFiles,
    pinned: Result<Vec<PublicKey>, String>,
    registry: Arc<Registry>,
    events: EventBus,
    path: PathBuf,
    /// Held through a whole operation: one install or poll at a time per index.
    state: tokio::sync::Mutex<FollowerState>,
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
    ) -> Result<Self, IndexError> {
        let path = state::state_path(data_dir, &config.name);
        let state = state::load(&path)?;
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
            path,
            state: tokio::sync::Mutex::new(state),
            status: Mutex::new(PollStatus::default()),
        })
    }

    /// The index's name.
    pub(crate) fn name(&self) -> &str {
        &self.config.name
    }

    /// Polls until cancelled: refresh, then update what auto-updates; failures back off.
    pub(crate) async fn run(self: Arc<Self>, cancel: CancellationToken) {
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
        if let Err(error) = self.refresh_locked(&mut state).await {
            tracing::warn!(index = self.name(), %error, "plugin index not updated; plugins keep serving");
            return false;
        }
        if !self.config.auto_update {
            return true;
        }
        let names: Vec<String> = state
            .plugins
            .iter()
            .filter(|(_, followed)| followed.installed.is_some() && !followed.pinned)
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
        // What was verified stays verified, whatever happened after.
        let saved = state::save(&self.path, state);
        let result = result.and(saved);
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
        result.map(|_| ())
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
        let followed = state.plugins.entry(name.to_owned()).or_default();
        let Some(pending) = followed.pending.clone() else {
            return Err(IndexError::Stale(format!("nothing is pending for {name}")));
        };
        let mut echoed = approval.hosts_added.clone();
        echoed.sort();
        let mut keys = approval.author_keys.clone();
        keys.sort();
        let mut wanted_keys = pending.author_keys_new.clone();
        wanted_keys.sort();
        if approval.version != pending.version
            || echoed != pending.hosts_added
            || keys != wanted_keys
        {
            return Err(IndexError::Stale(format!(
                "the approval does not match what is pending for {name}: version {}, hosts added [{}], author keys [{}]",
                pending.version,
                pending.hosts_added.join(", "),
                pending.author_keys_new.join(", ")
            )));
        }
        let index = state.trusted.index().ok_or_else(not_verified)?;
        let entry = index
            .plugins
            .get(name)
            .ok_or_else(|| IndexError::NotFound(format!("{name} is no longer in the index")))?;
        let release = entry
            .release(&pending.version)
            .ok_or_else(|| IndexError::Stale(format!("{name} {} is gone", pending.version)))?;
        let followed = state.plugins.entry(name.to_owned()).or_default();
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
        state::save(&self.path, &state)
    }

    /// The history of a plugin from this index, oldest first.
    pub(crate) async fn history(&self, name: &str) -> Option<Vec<HistoryLine>> {
        let state = self.state.lock().await;
        state
            .plugins
            .get(name)
            .map(|followed| followed.history.clone())
    }

    /// Whether `name` was installed from this index.
    pub(crate) async fn follows(&self, name: &str) -> bool {
        let state = self.state.lock().await;
        state
            .plugins
            .get(name)
            .is_some_and(|f| f.installed.is_some() || f.pending.is_some())
    }

    /// What the index offers and how each plugin stands.
    pub(crate) async fn status(&self) -> IndexStatus {
        let state = self.state.lock().await;
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
        };
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
        let available = self
            .select(entry, followed, None, false, index.version)
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

    /// The release to install: the one asked for, or the newest this host can run and
    /// the operator has not refused, above the version floor.
    fn select<'a>(
        &self,
        entry: &'a PluginEntry,
        followed: &Followed,
        version: Option<&str>,
        explicit: bool,
        index_version: u64,
    ) -> Result<&'a Release, IndexError> {
        let floor = followed
            .version_floor
            .as_deref()
            .and_then(|v| semver::Version::parse(v).ok());
        let now = Utc::now();
        let min_age = chrono::Duration::from_std(self.config.min_release_age).unwrap_or_default();
        let mut refusals = Vec::new();
        let mut candidates: Vec<&Release> = entry.releases.iter().collect();
        candidates.sort_by_key(|release| std::cmp::Reverse(release.semver()));
        for release in candidates {
            if version.is_some_and(|wanted| wanted != release.version) {
                continue;
            }
            let why = if !crate::plugins::wit_compatible(&release.wit) {
                Some(format!(
                    "{} is not compatible with this Kura: built for WIT kura:plugin@{}, this host implements {}",
                    release.version,
                    release.wit,
                    host_wit()
                ))
            } else if let Some(yank) = entry.yank_of(&release.version) {
                Some(format!(
                    "{} is yanked ({:?}): {}",
                    release.version, yank.severity, yank.reason
                ))
            } else if followed.is_bad(&release.version) && !explicit {
                Some(format!("{} was refused before", release.version))
            } else if floor
                .as_ref()
                .is_some_and(|floor| release.semver() < *floor)
            {
                Some(format!(
                    "{} is older than the installed version (no downgrades)",
                    release.version
                ))
            } else if !explicit && release.published_at + min_age > now {
                Some(format!(
                    "{} is newer than min_release_age_seconds",
                    release.version
                ))
            } else if !explicit
                && followed.last_failure.as_ref().is_some_and(|failure| {
                    failure.version == release.version && failure.index_version == index_version
                })
            {
                Some(format!(
                    "{} failed under this index version",
                    release.version
                ))
            } else {
                None
            };
            match why {
                None => return Ok(release),
                Some(why) => refusals.push(why),
            }
        }
        let staying = followed
            .installed
            .as_deref()
            .map(|v| format!("; staying on {v}"))
            .unwrap_or_default();
        if refusals.is_empty() {
            return Err(IndexError::NotFound(match version {
                Some(version) => format!("the index lists no release {version}"),
                None => "the index lists no release".to_owned(),
            }));
        }
        Err(IndexError::Incompatible(format!(
            "no release to install: {}{staying}",
            refusals.join("; ")
        )))
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
        self.apply_yank(name, entry, followed);
        let release = match self.select(entry, followed, version, explicit, index.version) {
            Ok(release) => release.clone(),
            Err(error) if !explicit => {
                return Ok(InstallResult::Unchanged {
                    version: followed.installed.clone().unwrap_or(error.to_string()),
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
        if let Some(pending) = gate(entry, &release, followed) {
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
            state::save(&self.path, state)?;
            return Ok(InstallResult::ApprovalRequired { pending });
        }
        let result = self.download_and_install(name, entry, &release).await;
        let followed = state.plugins.entry(name.to_owned()).or_default();
        let result = match result {
            Ok((sha256, outcome)) => {
                let previous = followed.installed.replace(release.version.clone());
                followed.sha256 = Some(sha256);
                followed.version_floor = Some(release.version.clone());
                followed.author_keys = Some(entry.authors.clone());
                followed.approved_hosts = release.allowed_hosts.clone();
                followed.last_failure = None;
                followed.pending = None;
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
                    index_version: index.version,
                });
                if matches!(
                    error,
                    IndexError::ReleaseMismatch(_) | IndexError::HostRefused(_)
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
        state::save(&self.path, state)?;
        result
    }

    /// A yank of the installed version: a malicious one is switched off (reversibly).
    fn apply_yank(&self, name: &str, entry: &PluginEntry, followed: &mut Followed) {
        let Some(installed) = followed.installed.clone() else {
            return;
        };
        let Some(Yank {
            severity: YankSeverity::Malicious,
            reason,
            ..
        }) = entry.yank_of(&installed)
        else {
            return;
        };
        if followed.is_bad(&installed) {
            return;
        }
        followed.bad_versions.push(BadVersion {
            version: installed.clone(),
            reason: format!("yanked as malicious: {reason}"),
        });
        followed.record(
            "yanked",
            Some(&installed),
            format!("malicious: {reason}; switched off"),
        );
        if let Err(error) = self.registry.set_enabled(name, false) {
            tracing::warn!(plugin = name, %error, "cannot switch off a plugin yanked as malicious");
        }
    }

    async fn download_and_install(
        &self,
        name: &str,
        entry: &PluginEntry,
        release: &Release,
    ) -> Result<(String, InstallOutcome), IndexError> {
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
        trust::verify_release(name, entry, release, &bytes)?;
        let sha256 = release.sha256.clone();
        let (_, outcome) = self
            .registry
            .install(
                bytes,
                Origin::Index {
                    index: self.name().to_owned(),
                    version: release.version.clone(),
                },
            )
            .await
            .map_err(|error| {
                IndexError::HostRefused(format!(
                    "{name} {}: the host refused it: {error}",
                    release.version
                ))
            })?;
        Ok((sha256, outcome))
    }
}

/// The largest release file installed.
const MAX_ARTIFACT_BYTES: usize = 64 * 1024 * 1024;

/// What the operator must approve before `release` installs: hosts not approved yet, or
/// author keys other than the pinned ones (a first install always asks).
fn gate(entry: &PluginEntry, release: &Release, followed: &Followed) -> Option<Pending> {
    let mut hosts_added: Vec<String> = release
        .allowed_hosts
        .iter()
        .filter(|host| !followed.approved_hosts.contains(host))
        .cloned()
        .collect();
    hosts_added.sort();
    let mut hosts_removed: Vec<String> = followed
        .approved_hosts
        .iter()
        .filter(|host| !release.allowed_hosts.contains(host))
        .cloned()
        .collect();
    hosts_removed.sort();
    let keys_changed = followed
        .author_keys
        .as_ref()
        .is_none_or(|pinned| !pinned.same_as(&entry.authors));
    if hosts_added.is_empty() && !keys_changed {
        return None;
    }
    let mut author_keys_new = entry.authors.fingerprints();
    author_keys_new.sort();
    let mut author_keys_old = followed
        .author_keys
        .as_ref()
        .map(|keys| keys.fingerprints())
        .unwrap_or_default();
    author_keys_old.sort();
    Some(Pending {
        version: release.version.clone(),
        hosts_added,
        hosts_removed,
        author_keys_old,
        author_keys_new,
        notes: release.notes.clone(),
    })
}

fn not_verified() -> IndexError {
    IndexError::Unreachable {
        file: "index.json".to_owned(),
        message: "no verified copy yet".to_owned(),
    }
}

fn host_wit() -> String {
    let (major, minor, patch) = crate::plugins::HOST_WIT_VERSION;
    format!("{major}.{minor}.{patch}")
}

/// `GET /api/index`: one index.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct IndexStatus {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) root_version: Option<u64>,
    /// Fingerprints of the root keys now trusted.
    pub(crate) root_keys: Vec<String>,
    pub(crate) index_version: Option<u64>,
    /// RFC 3339.
    pub(crate) expires: Option<String>,
    /// No index verified yet, or it (or its root) expired: nothing is updated.
    pub(crate) updates_paused: bool,
    pub(crate) auto_update: bool,
    pub(crate) poll: PollStatus,
    pub(crate) plugins: Vec<IndexPluginView>,
}

/// One plugin of an index, as this host stands with it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct IndexPluginView {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) author_keys: Vec<String>,
    /// Installed from this index.
    pub(crate) installed: Option<String>,
    /// The newest release listed, even one this host cannot run.
    pub(crate) newest: Option<String>,
    /// The release an install or update would take now.
    pub(crate) available: Option<String>,
    /// `not_installed`, `up_to_date`, `update_available`, `pending_approval`, `pinned`,
    /// `local_file` (a local file serves instead), `yanked`, `incompatible`.
    pub(crate) status: String,
    pub(crate) pinned: bool,
    pub(crate) pending: Option<Pending>,
    pub(crate) bad_versions: Vec<BadVersion>,
    pub(crate) last_failure: Option<Failure>,
    pub(crate) releases: Vec<Release>,
    pub(crate) yanked: Vec<Yank>,
}
