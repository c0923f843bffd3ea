//! Which release of a plugin a host takes (the one asked for, or the newest it can run
//! and has not refused, above its version floor), and what the operator must approve
//! before it does.

use chrono::Utc;

use super::document::{PluginEntry, Release};
use super::error::IndexError;
use super::state::{Followed, Pending};

/// The release to install: the one asked for, or the newest this host can run and
/// the operator has not refused, above the version floor.
pub(super) fn select<'a>(
    entry: &'a PluginEntry,
    followed: &Followed,
    version: Option<&str>,
    explicit: bool,
    index_version: u64,
    min_release_age: std::time::Duration,
) -> Result<&'a Release, IndexError> {
    let floor = followed
        .version_floor
        .as_deref()
        .and_then(|v| semver::Version::parse(v).ok());
    let now = Utc::now();
    let min_age = chrono::Duration::from_std(min_release_age).unwrap_or_default();
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

/// What the operator must approve before `release` installs: hosts not approved yet, or
/// author keys other than the pinned ones (a first install always asks).
pub(super) fn gate(entry: &PluginEntry, release: &Release, followed: &Followed) -> Option<Pending> {
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

fn host_wit() -> String {
    let (major, minor, patch) = crate::plugins::HOST_WIT_VERSION;
    format!("{major}.{minor}.{patch}")
}
