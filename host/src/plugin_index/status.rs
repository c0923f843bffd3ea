//! What `GET /api/index` shows of an index and of each plugin it offers.

use serde::Serialize;

use super::document::{Release, Yank};
use super::state::{BadVersion, Failure, Pending};
use crate::error_code::ErrorCode;

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
    /// No index verified yet, it (or its root) expired, or the last poll failed: nothing
    /// is updated until a poll succeeds.
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
    /// `local_file` (a local file serves instead), `yanked`, `incompatible`, `index_behind`
    /// (the index lists nothing as new as what runs; nothing is downgraded).
    pub(crate) status: String,
    pub(crate) pinned: bool,
    pub(crate) pending: Option<Pending>,
    pub(crate) bad_versions: Vec<BadVersion>,
    pub(crate) last_failure: Option<Failure>,
    pub(crate) releases: Vec<Release>,
    pub(crate) yanked: Vec<Yank>,
}
