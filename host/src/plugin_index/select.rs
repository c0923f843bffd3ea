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
    crate::plugins::wit_versions_implemented()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::super::document::{PluginEntry, Release, Yank, YankSeverity};
    use super::super::signature::KeySet;
    use super::super::state::{BadVersion, Followed};
    use super::{gate, select};
    use crate::plugins::PluginKind;

    fn release(version: &str, wit: &str, hosts: &[&str]) -> Release {
        Release {
            version: version.to_owned(),
            wit: wit.to_owned(),
            url: format!("artifacts/{version}.wasm"),
            length: 1,
            sha256: "0".repeat(64),
            signature: String::new(),
            allowed_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            published_at: Utc::now() - chrono::Duration::hours(1),
            notes: String::new(),
        }
    }

    fn author() -> super::super::keys::PublicKey {
        super::super::keys::SecretKey::generate()
            .expect("key")
            .public
    }

    fn entry(releases: Vec<Release>) -> PluginEntry {
        PluginEntry {
            kind: PluginKind::Source,
            authors: KeySet::all_of(&[author()]),
            releases,
            yanked: Vec::new(),
        }
    }

    #[test]
    fn the_newest_compatible_release_is_chosen_and_a_newer_wit_is_named() {
        let entry = entry(vec![
            release("1.4.2", "0.1.0", &[]),
            release("2.0.0", "0.3.0", &[]),
            release("1.4.1", "0.1.0", &[]),
        ]);
        let mut followed = Followed {
            installed: Some("1.4.1".to_owned()),
            version_floor: Some("1.4.1".to_owned()),
            ..Followed::default()
        };
        let chosen = select(&entry, &followed, None, false, 1, std::time::Duration::ZERO)
            .expect("a release");
        assert_eq!(chosen.version, "1.4.2");
        // Asked for the incompatible one: the message names both WIT versions and where
        // the host stays.
        let error = select(
            &entry,
            &followed,
            Some("2.0.0"),
            true,
            1,
            std::time::Duration::ZERO,
        )
        .expect_err("incompatible");
        let message = error.to_string();
        assert!(message.contains("kura:plugin@0.3.0"), "{message}");
        assert!(message.contains("0.1.0"), "{message}");
        assert!(message.contains("staying on 1.4.1"), "{message}");
        assert_eq!(error.code(), crate::ErrorCode::ReleaseIncompatible);
        // Bad versions, yanks, the floor and the cooldown each keep a release out: the
        // installed one stays the choice.
        let choice = |entry: &PluginEntry, followed: &Followed, age| {
            select(entry, followed, None, false, 1, age).map(|r| r.version.clone())
        };
        followed.bad_versions.push(BadVersion {
            version: "1.4.2".to_owned(),
            reason: "rolled back".to_owned(),
        });
        assert_eq!(
            choice(&entry, &followed, std::time::Duration::ZERO)
                .ok()
                .as_deref(),
            Some("1.4.1")
        );
        followed.bad_versions.clear();
        let mut yanked = entry.clone();
        yanked.yanked.push(Yank {
            version: "1.4.2".to_owned(),
            severity: YankSeverity::Broken,
            reason: String::new(),
        });
        assert_eq!(
            choice(&yanked, &followed, std::time::Duration::ZERO)
                .ok()
                .as_deref(),
            Some("1.4.1")
        );
        let young = std::time::Duration::from_secs(2 * 3600);
        assert!(
            choice(&entry, &followed, young).is_err(),
            "every release is too young"
        );
        followed.version_floor = Some("1.4.2".to_owned());
        let downgrade = select(
            &entry,
            &followed,
            Some("1.4.1"),
            true,
            1,
            std::time::Duration::ZERO,
        );
        assert!(downgrade.is_err(), "no downgrades");
    }

    #[test]
    fn only_growth_needs_approval() {
        let entry = entry(vec![]);
        let approved = Followed {
            approved_hosts: vec!["https://a.example".to_owned()],
            author_keys: Some(entry.authors.clone()),
            ..Followed::default()
        };
        let same = release("1.0.1", "0.1.0", &["https://a.example"]);
        assert_eq!(gate(&entry, &same, &approved), None);
        let fewer = release("1.0.2", "0.1.0", &[]);
        assert_eq!(
            gate(&entry, &fewer, &approved),
            None,
            "removing hosts needs no approval"
        );
        let more = release(
            "1.0.3",
            "0.1.0",
            &["https://a.example", "https://*.b.example"],
        );
        let pending = gate(&entry, &more, &approved).expect("growth");
        assert_eq!(pending.hosts_added, ["https://*.b.example"]);
        assert_eq!(pending.author_keys_old, pending.author_keys_new);
        let mut rekeyed = entry.clone();
        rekeyed.authors = KeySet::all_of(&[author()]);
        let pending = gate(&rekeyed, &same, &approved).expect("a new author key asks");
        assert!(pending.hosts_added.is_empty());
        assert_eq!(pending.author_keys_new.len(), 1);
        assert_ne!(pending.author_keys_old, pending.author_keys_new);
        let first = gate(&entry, &same, &Followed::default()).expect("a first install asks");
        assert!(first.author_keys_old.is_empty());
        assert_eq!(first.author_keys_new.len(), 1);
    }
}
