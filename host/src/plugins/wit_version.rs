//! The `kura:plugin` WIT versions this host implements and the rule that says which of
//! them serves a plugin.
//!
//! The rule is semver's, with the component model's reading of `0.x`: versions that
//! share their first non-zero number are compatible. A plugin built for `0.2.0` runs on
//! a host implementing `0.2.0` or a later `0.2.x`; a plugin built for `0.1.0` runs on
//! the host's `0.1` bindings, kept (frozen in `wit/0.1.0/`) beside the current ones. A
//! host never runs a plugin built for a newer patch than it implements, nor any version
//! it does not list.

use std::fmt;

use super::types::PluginKind;

/// One `major.minor.patch` WIT package version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WitVersion {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
}

impl WitVersion {
    const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// `major.minor.patch` with an optional `-pre` or `+build` suffix.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (major, minor, patch) = parse_version(text)?;
        Some(Self::new(major, minor, patch))
    }

    /// Whether a plugin built for `self` runs on bindings of `host`.
    fn runs_on(self, host: Self) -> bool {
        let line = |v: Self| match (v.major, v.minor) {
            (0, minor) => (0, minor),
            (major, _) => (major, 0),
        };
        line(self) == line(host) && self <= host
    }
}

impl fmt::Display for WitVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// `major.minor.patch` with an optional `-pre` or `+build` suffix.
pub(crate) fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    // Semver's identifiers only: a version names files (`NAME-VERSION.wasm`), so it can
    // never hold a path.
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+');
    if text.is_empty() || text.len() > 64 || !text.bytes().all(allowed) {
        return None;
    }
    let core = text.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

/// `kura:plugin@0.1.0`: sources, scrapers and cleaners.
pub(crate) const V0_1: WitVersion = WitVersion::new(0, 1, 0);
/// `kura:plugin@0.2.0`: adds playlist filters and task plugins.
pub(crate) const V0_2: WitVersion = WitVersion::new(0, 2, 0);

/// Every version this host implements, oldest first; the last is the current one, which
/// `kura plugin new` targets.
pub(crate) const HOST_WIT_VERSIONS: [WitVersion; 2] = [V0_1, V0_2];

/// The current version.
pub(crate) const CURRENT: WitVersion = V0_2;

/// The host bindings that serve a plugin built for `wit`, if any.
pub(crate) fn serving(wit: &str) -> Option<WitVersion> {
    let wit = WitVersion::parse(wit)?;
    HOST_WIT_VERSIONS
        .into_iter()
        .find(|host| wit.runs_on(*host))
}

/// Whether a plugin built for `wit` runs on this host.
pub(crate) fn wit_compatible(wit: &str) -> bool {
    serving(wit).is_some()
}

/// The versions this host implements, for messages: `0.1.0, 0.2.0`.
pub(crate) fn implemented() -> String {
    HOST_WIT_VERSIONS
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first version whose contract has a world for `kind`.
pub(crate) fn introduced(kind: PluginKind) -> WitVersion {
    match kind {
        PluginKind::Source | PluginKind::Scraper | PluginKind::Cleaner => V0_1,
        PluginKind::PlaylistFilter | PluginKind::Task => V0_2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_picks_the_bindings_of_the_same_line() {
        assert_eq!(serving("0.1.0"), Some(V0_1));
        assert_eq!(serving("0.2.0"), Some(V0_2));
        assert_eq!(serving("0.2.0-rc.1"), Some(V0_2));
        // A newer patch, an unknown line, a major version: refused.
        assert_eq!(serving("0.1.1"), None);
        assert_eq!(serving("0.2.1"), None);
        assert_eq!(serving("0.3.0"), None);
        assert_eq!(serving("1.0.0"), None);
        assert_eq!(serving("0.0.9"), None);
        assert_eq!(serving("zero"), None);
        assert_eq!(
            parse_version("1.0.0-/../../x"),
            None,
            "no path in a version"
        );
        assert_eq!(parse_version("1.0.0-beta.1+build.7"), Some((1, 0, 0)));
        assert_eq!(implemented(), "0.1.0, 0.2.0");
        assert_eq!(CURRENT, *HOST_WIT_VERSIONS.last().expect("a version"));
    }

    #[test]
    fn one_point_x_lines_are_compatible_within_a_major() {
        let host = WitVersion::new(1, 3, 0);
        assert!(WitVersion::new(1, 0, 4).runs_on(host));
        assert!(!WitVersion::new(1, 4, 0).runs_on(host));
        assert!(!WitVersion::new(2, 0, 0).runs_on(host));
    }
}
