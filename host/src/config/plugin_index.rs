//! `plugin_index:`: the signed plugin indexes this server follows, as written and as
//! validated.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::{ConfigError, invalid};

/// `plugin_index:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawPluginIndex {
    /// The indexes followed. Each is static files (`1.root.json`, `index.json`, their
    /// `.minisig`, `artifacts/`) under one URL, read through the outbound client (a
    /// loopback or private host needs `fetch.allow_private_hosts`).
    pub(crate) sources: Vec<RawIndexSource>,
    /// Seconds after an update during which the new version is watched: clearly more
    /// failures through its own fault than the version before had, and it is rolled
    /// back automatically.
    pub(crate) watch_window_seconds: u64,
}

impl Default for RawPluginIndex {
    fn default() -> Self {
        Self {
            sources: Vec::new(),
            watch_window_seconds: 1800,
        }
    }
}

/// One entry of `plugin_index.sources`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIndexSource {
    /// The index's name, as its root names it.
    pub(crate) name: String,
    /// The directory URL the index is served under.
    pub(crate) url: String,
    /// Pinned root public keys (minisign, base64): the first root must be signed by
    /// them; later roots are trusted through the chain.
    pub(crate) root_keys: Vec<String>,
    /// Time between polls, in seconds; failures back off up to an hour.
    #[serde(default = "default_poll_seconds")]
    pub(crate) poll_seconds: u64,
    /// Install newer releases of the plugins installed from this index without asking,
    /// as long as they need no new hosts or author keys (those wait for approval).
    #[serde(default = "default_true")]
    pub(crate) auto_update: bool,
    /// `auto_update` per plugin, over the index's (`{name: false}` keeps one plugin on
    /// its version until an install asks for a newer one: `kura plugin install NAME`).
    #[serde(default)]
    pub(crate) auto_update_plugins: std::collections::BTreeMap<String, bool>,
    /// A release newer than this many seconds is not installed yet (a cooldown in which
    /// a bad release can be yanked); 0: at once.
    #[serde(default)]
    pub(crate) min_release_age_seconds: u64,
}

fn default_poll_seconds() -> u64 {
    300
}

fn default_true() -> bool {
    true
}

/// `plugin_index:` validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct PluginIndexConfig {
    pub(crate) sources: Vec<IndexSourceConfig>,
    pub(crate) watch_window: Duration,
}

/// One index, validated.
#[derive(Debug, Clone)]
pub(crate) struct IndexSourceConfig {
    pub(crate) name: String,
    /// Ends with `/`, so files resolve under it.
    pub(crate) url: Url,
    pub(crate) root_keys: Vec<String>,
    pub(crate) poll_interval: Duration,
    pub(crate) auto_update: bool,
    pub(crate) auto_update_plugins: std::collections::BTreeMap<String, bool>,
    pub(crate) min_release_age: Duration,
}

impl IndexSourceConfig {
    /// Whether `plugin` is updated without asking.
    pub(crate) fn auto_updates(&self, plugin: &str) -> bool {
        self.auto_update_plugins
            .get(plugin)
            .copied()
            .unwrap_or(self.auto_update)
    }
}

pub(super) fn validate_plugin_index(
    raw: &RawPluginIndex,
) -> Result<PluginIndexConfig, ConfigError> {
    let mut sources = Vec::new();
    for (i, source) in raw.sources.iter().enumerate() {
        let key = |field: &str| format!("plugin_index.sources[{i}].{field}");
        let name_ok = !source.name.is_empty()
            && source.name.len() <= 64
            && source
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            return Err(invalid(key("name"), "1-64 characters of a-z, 0-9 and `-`"));
        }
        if sources
            .iter()
            .any(|other: &IndexSourceConfig| other.name == source.name)
        {
            return Err(invalid(key("name"), "two indexes have this name"));
        }
        let mut text = source.url.clone();
        if !text.ends_with('/') {
            text.push('/');
        }
        let url = Url::parse(&text)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .filter(|url| url.query().is_none() && url.fragment().is_none())
            .ok_or_else(|| invalid(key("url"), "an http or https URL without a query"))?;
        let mut root_keys = source.root_keys.clone();
        root_keys.sort();
        root_keys.dedup();
        if root_keys.is_empty() {
            return Err(invalid(key("root_keys"), "at least one pinned root key"));
        }
        if !(1..=86_400).contains(&source.poll_seconds) {
            return Err(invalid(key("poll_seconds"), "1 to 86400"));
        }
        sources.push(IndexSourceConfig {
            name: source.name.clone(),
            url,
            root_keys,
            poll_interval: Duration::from_secs(source.poll_seconds),
            auto_update: source.auto_update,
            auto_update_plugins: source.auto_update_plugins.clone(),
            min_release_age: Duration::from_secs(source.min_release_age_seconds),
        });
    }
    if raw.watch_window_seconds > 7 * 86_400 {
        return Err(invalid(
            "plugin_index.watch_window_seconds",
            "at most 604800 (a week)",
        ));
    }
    Ok(PluginIndexConfig {
        sources,
        watch_window: Duration::from_secs(raw.watch_window_seconds),
    })
}
