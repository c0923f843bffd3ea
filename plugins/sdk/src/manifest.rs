//! The plugin manifest (`manifest.json`, embedded as the `kura:manifest` custom section) and
//! its validation rules.
//!
//! ```json
//! {"name": "fixture-alpha", "version": "1.0.0", "kind": "source", "wit": "0.2.0",
//!  "description": "...", "allowed_hosts": ["http://127.0.0.1:*"],
//!  "settings": [{"key": "domain", "description": "...", "default": "http://127.0.0.1:8399/alpha"}],
//!  "default_weight": 100}
//! ```

use serde::{Deserialize, Serialize};

/// A parsed manifest; every key but `sources` is required and unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `[a-z0-9-]`, 1 to 64 characters.
    pub name: String,
    /// Semantic version (`1.0.0`, `2.1.0-beta.1`).
    pub version: String,
    /// Which world the component implements.
    pub kind: Kind,
    /// The `kura:plugin` WIT version the component was built against.
    pub wit: String,
    /// One line for operators.
    pub description: String,
    /// `scheme://host[:port]` patterns the plugin may fetch; empty for cleaners.
    pub allowed_hosts: Vec<String>,
    /// The settings the plugin reads, with their defaults.
    pub settings: Vec<Setting>,
    /// The weight used when the operator's config sets none (higher is tried first).
    pub default_weight: u32,
    /// For a playlist filter: the source plugins whose streams it rewrites (empty: every
    /// source's). Other kinds leave it out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// For a task plugin: the kind of task it adds (`name`, `description`,
    /// `payload_schema`). Other kinds leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<serde_json::Value>,
}

/// The plugin kinds, one per WIT world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `source-plugin`.
    Source,
    /// `scraper-plugin`.
    Scraper,
    /// `cleaner-plugin`.
    Cleaner,
    /// `playlist-filter-plugin` (WIT 0.2).
    #[serde(rename = "playlist-filter")]
    PlaylistFilter,
    /// `task-plugin` (WIT 0.2).
    Task,
}

/// One setting a plugin reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    /// The key under the plugin's `settings:` in the host config.
    pub key: String,
    /// What it means.
    pub description: String,
    /// The value the host returns when the operator sets none.
    pub default: Option<String>,
}

impl Manifest {
    /// Parses and validates a manifest.
    pub fn parse(json: &[u8]) -> Result<Manifest, String> {
        let manifest: Manifest =
            serde_json::from_slice(json).map_err(|error| format!("invalid manifest: {error}"))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks every rule; the message names the first broken one.
    pub fn validate(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
        if !name_ok {
            return Err(format!("name `{}` must be 1-64 of [a-z0-9-]", self.name));
        }
        if !is_semver(&self.version) {
            return Err(format!("version `{}` is not semver", self.version));
        }
        if !is_semver(&self.wit) {
            return Err(format!("wit `{}` is not semver", self.wit));
        }
        for pattern in &self.allowed_hosts {
            check_host_pattern(pattern)?;
        }
        let networked = matches!(self.kind, Kind::Source | Kind::Scraper | Kind::Task);
        if !networked && !self.allowed_hosts.is_empty() {
            return Err("only sources and scrapers may have allowed_hosts".to_string());
        }
        if self.kind != Kind::PlaylistFilter && !self.sources.is_empty() {
            return Err("only playlist filters name sources".to_string());
        }
        if (self.kind == Kind::Task) != self.task.is_some() {
            return Err("a task plugin, and only a task plugin, names its `task`".to_string());
        }
        for (index, setting) in self.settings.iter().enumerate() {
            if setting.key.is_empty() {
                return Err("a setting has an empty key".to_string());
            }
            if self.settings[..index]
                .iter()
                .any(|other| other.key == setting.key)
            {
                return Err(format!("setting `{}` is declared twice", setting.key));
            }
        }
        Ok(())
    }

    /// The declared default of a setting.
    pub fn default_setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|setting| setting.key == key)
            .and_then(|setting| setting.default.as_deref())
    }
}

/// `MAJOR.MINOR.PATCH` with optional `-pre` and `+build` parts.
fn is_semver(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part.bytes().all(|byte| byte.is_ascii_digit())
                && (part.len() == 1 || !part.starts_with('0'))
        })
        && (core.len() == version.len() || version.len() > core.len() + 1)
}

/// `scheme://host[:port]`: scheme `http`, `https` or `*`; host a DNS name, `*.suffix`, an
/// IPv4 literal or a bracketed IPv6 literal; port a number or `*`.
pub fn check_host_pattern(pattern: &str) -> Result<(), String> {
    let fail = |why: &str| Err(format!("allowed host `{pattern}`: {why}"));
    let Some((scheme, rest)) = pattern.split_once("://") else {
        return fail("expected scheme://host[:port]");
    };
    if !matches!(scheme, "http" | "https" | "*") {
        return fail("scheme must be http, https or *");
    }
    let (host, port) = if let Some(after_bracket) = rest.strip_prefix('[') {
        let Some((address, tail)) = after_bracket.split_once(']') else {
            return fail("unclosed IPv6 bracket");
        };
        if address.parse::<std::net::Ipv6Addr>().is_err() {
            return fail("invalid IPv6 literal");
        }
        let port = match tail {
            "" => None,
            _ => match tail.strip_prefix(':') {
                Some(port) => Some(port),
                None => return fail("unexpected text after the IPv6 literal"),
            },
        };
        (None, port)
    } else {
        match rest.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(rest), None),
        }
    };
    if let Some(host) = host {
        let name = host.strip_prefix("*.").unwrap_or(host);
        let labels_ok = !name.is_empty()
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|byte| {
                        byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-'
                    })
            });
        if !labels_ok {
            return fail("host must be a lower-case DNS name, *.suffix or an IP literal");
        }
    }
    if let Some(port) = port
        && port != "*"
        && port.parse::<u16>().ok().is_none_or(|port| port == 0)
    {
        return fail("port must be 1-65535 or *");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns() {
        for good in [
            "http://127.0.0.1:*",
            "http://localhost:*",
            "https://*.example.com",
            "*://example.com:8443",
            "http://[::1]:8080",
            "https://[2001:db8::1]",
        ] {
            assert_eq!(check_host_pattern(good), Ok(()), "{good}");
        }
        for bad in [
            "127.0.0.1",
            "ftp://example.com",
            "http://",
            "http://Example.com",
            "http://*.",
            "http://a.com:0",
            "http://a.com:x",
            "http://a.com/path",
            "http://[::1",
            "http://[::1]x",
        ] {
            assert!(check_host_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn semver() {
        assert!(is_semver("1.0.0"));
        assert!(is_semver("10.20.30-beta.1+build"));
        assert!(!is_semver("1.0"));
        assert!(!is_semver("01.0.0"));
        assert!(!is_semver("1.0.0-"));
    }

    #[test]
    fn cleaner_without_hosts() {
        let json = br#"{"name":"c","version":"1.0.0","kind":"cleaner","wit":"0.1.0",
            "description":"","allowed_hosts":["http://a.com"],"settings":[],"default_weight":1}"#;
        assert!(Manifest::parse(json).is_err());
    }
}
