//! What a host keeps per followed index, in one file written atomically
//! (`<data_dir>/plugin-index/<name>/state.json`): what it verified, and per plugin what is
//! installed, approved, pinned, pending and refused, with a bounded history.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::IndexError;
use super::signature::KeySet;
use super::trust::Trusted;

/// History lines kept per plugin.
const HISTORY_LINES: usize = 200;

/// The state of one followed index.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct FollowerState {
    pub(crate) trusted: Trusted,
    #[serde(default)]
    pub(crate) plugins: BTreeMap<String, Followed>,
}

/// One plugin installed (or asked for) from the index.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Followed {
    /// The version installed from the index.
    pub(crate) installed: Option<String>,
    /// Its sha256: a plugin serving other bytes came from a local file, which wins.
    pub(crate) sha256: Option<String>,
    /// No release at or below this version is installed again (downgrades refused).
    pub(crate) version_floor: Option<String>,
    /// The author keys pinned at install.
    pub(crate) author_keys: Option<KeySet>,
    /// The hosts the operator approved.
    #[serde(default)]
    pub(crate) approved_hosts: Vec<String>,
    /// Not updated from the index until unpinned.
    #[serde(default)]
    pub(crate) pinned: bool,
    /// Versions never installed again, with why.
    #[serde(default)]
    pub(crate) bad_versions: Vec<BadVersion>,
    /// A release waiting for the operator's approval.
    pub(crate) pending: Option<Pending>,
    /// The last failure to update, and the index version it happened under (not retried
    /// until the index changes).
    pub(crate) last_failure: Option<Failure>,
    #[serde(default)]
    pub(crate) history: Vec<HistoryLine>,
    /// A yank switched it off; an update to a clean version switches it back on.
    #[serde(default)]
    pub(crate) switched_off_by_yank: bool,
    /// The install under way when the state was last written: the file may have been
    /// written and the process killed before the state said so.
    #[serde(default)]
    pub(crate) installing: Option<Intent>,
}

/// An install under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Intent {
    pub(crate) version: String,
    pub(crate) sha256: String,
}

impl Followed {
    /// Appends a history line, keeping the newest ones.
    pub(crate) fn record(&mut self, event: &str, version: Option<&str>, detail: String) {
        self.history.push(HistoryLine {
            at_ms: crate::util::unix_ms(std::time::SystemTime::now()),
            event: event.to_owned(),
            version: version.map(str::to_owned),
            detail,
        });
        let excess = self.history.len().saturating_sub(HISTORY_LINES);
        self.history.drain(..excess);
    }

    /// Whether a version is remembered as bad.
    pub(crate) fn is_bad(&self, version: &str) -> bool {
        self.bad_versions.iter().any(|bad| bad.version == version)
    }
}

/// A version refused for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct BadVersion {
    pub(crate) version: String,
    pub(crate) reason: String,
}

/// What the operator is asked to approve: the exact difference to what was approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Pending {
    pub(crate) version: String,
    pub(crate) hosts_added: Vec<String>,
    pub(crate) hosts_removed: Vec<String>,
    /// Fingerprints of the keys pinned now (empty before the first install).
    pub(crate) author_keys_old: Vec<String>,
    /// Fingerprints of the keys the index names now.
    pub(crate) author_keys_new: Vec<String>,
    pub(crate) notes: String,
}

/// A failed update.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Failure {
    pub(crate) version: String,
    pub(crate) code: crate::ErrorCode,
    pub(crate) message: String,
    pub(crate) index_version: u64,
}

/// One step in a plugin's life from the index.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct HistoryLine {
    pub(crate) at_ms: u64,
    /// `installed`, `updated`, `approval_required`, `approved`, `refused`, `pinned`,
    /// `unpinned`, `local_file`.
    pub(crate) event: String,
    pub(crate) version: Option<String>,
    pub(crate) detail: String,
}

/// Where an index's state lives.
pub(crate) fn state_path(data_dir: &Path, index: &str) -> PathBuf {
    data_dir.join("plugin-index").join(index).join("state.json")
}

/// Reads the state; a missing file is a fresh start, an unreadable one an error (never
/// silently a fresh start: that would forget floors and refusals).
pub(crate) fn load(path: &Path) -> Result<FollowerState, IndexError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| IndexError::io(path, error)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(FollowerState::default()),
        Err(error) => Err(IndexError::io(path, error)),
    }
}

/// Writes the state atomically.
pub(crate) fn save(path: &Path, state: &FollowerState) -> Result<(), IndexError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|error| IndexError::io(dir, error))?;
    }
    let bytes = serde_json::to_vec_pretty(state).map_err(|error| IndexError::io(path, error))?;
    crate::fsio::write_atomic(path, &bytes, crate::fsio::WriteOptions::new(0o600))
        .map_err(|error| IndexError::io(path, error))
}

/// The state file and the last state written to it, which readers (the API's status,
/// history, which index follows a plugin) take without waiting for a poll in progress.
#[derive(Clone)]
pub(crate) struct StateFile {
    path: PathBuf,
    snapshot: std::sync::Arc<std::sync::RwLock<FollowerState>>,
}

impl StateFile {
    /// Opens the state at `path` (see [`load`]).
    pub(crate) fn open(path: PathBuf) -> Result<(Self, FollowerState), IndexError> {
        // A write the process did not live to finish left its temporary file.
        if let Some(dir) = path.parent() {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if crate::fsio::is_temp_name(&entry.file_name().to_string_lossy()) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let state = load(&path)?;
        let file = Self {
            path,
            snapshot: std::sync::Arc::new(std::sync::RwLock::new(state.clone())),
        };
        Ok((file, state))
    }

    /// Writes `state` atomically, then makes it what readers see.
    pub(crate) fn save(&self, state: &FollowerState) -> Result<(), IndexError> {
        save(&self.path, state)?;
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = state.clone();
        Ok(())
    }

    /// Reads the last state written.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&FollowerState) -> T) -> T {
        read(&self.snapshot.read().unwrap_or_else(|e| e.into_inner()))
    }
}
