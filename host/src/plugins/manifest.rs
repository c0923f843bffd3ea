//! The plugin manifest: JSON in the component's `kura:manifest` custom section, read
//! without compiling or running the plugin.

use serde::{Deserialize, Serialize};

use super::types::PluginKind;
use crate::types::HostPattern;

/// The custom section that carries the manifest.
pub(crate) const MANIFEST_SECTION: &str = "kura:manifest";

/// The WIT package version this host implements.
pub(crate) const HOST_WIT_VERSION: (u64, u64, u64) = (0, 1, 0);

/// A manifest or component-format problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    #[error(
        "no `{MANIFEST_SECTION}` custom section: the file was not built with the Kura plugin SDK"
    )]
    Missing,
    #[error("more than one `{0}` section")]
    Duplicate(String),
    #[error("manifest is not valid JSON: {0}")]
    Json(String),
    #[error("manifest field `{field}`: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    #[error(
        "plugin was built for WIT kura:plugin@{plugin}, this host implements @{}.{}.{} (compatible: the same major.minor, patch not newer)",
        HOST_WIT_VERSION.0, HOST_WIT_VERSION.1, HOST_WIT_VERSION.2
    )]
    IncompatibleWit { plugin: String },
}

/// A setting the plugin reads, with its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingSpec {
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) default: Option<String>,
}

/// The manifest as validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) kind: PluginKind,
    /// The WIT package version the plugin was built against.
    pub(crate) wit: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) allowed_hosts: Vec<String>,
    #[serde(default)]
    pub(crate) settings: Vec<SettingSpec>,
    #[serde(default = "default_weight")]
    pub(crate) default_weight: i32,
}

fn default_weight() -> i32 {
    50
}

impl Manifest {
    /// Reads and validates the manifest of a component file.
    pub(crate) fn from_component(bytes: &[u8]) -> Result<Self, ManifestError> {
        let data = manifest_section(bytes)?;
        let manifest: Manifest = serde_json::from_slice(&data)
            .map_err(|error| ManifestError::Json(error.to_string()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// The declared hosts as parsed patterns.
    pub(crate) fn host_patterns(&self) -> Result<Vec<HostPattern>, ManifestError> {
        self.allowed_hosts
            .iter()
            .map(|text| {
                HostPattern::parse(text).map_err(|error| ManifestError::Field {
                    field: "allowed_hosts",
                    message: error.to_string(),
                })
            })
            .collect()
    }

    fn validate(&self) -> Result<(), ManifestError> {
        let field = |field, message: &str| ManifestError::Field {
            field,
            message: message.to_owned(),
        };
        if !valid_plugin_name(&self.name) {
            return Err(field("name", "1-64 characters of a-z, 0-9 and `-`"));
        }
        if parse_version(&self.version).is_none() {
            return Err(field("version", "must be a semantic version like 1.2.3"));
        }
        if parse_version(&self.wit).is_none() {
            return Err(field("wit", "must be a semantic version like 0.1.0"));
        }
        if !wit_compatible(&self.wit) {
            return Err(ManifestError::IncompatibleWit {
                plugin: self.wit.clone(),
            });
        }
        if self.kind == PluginKind::Cleaner && !self.allowed_hosts.is_empty() {
            return Err(field("allowed_hosts", "cleaners cannot reach the network"));
        }
        self.host_patterns()?;
        let mut keys: Vec<&str> = self.settings.iter().map(|s| s.key.as_str()).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(field("settings", "a key is declared twice"));
        }
        Ok(())
    }
}

/// Whether a name may be a plugin's (and an index's): 1-64 characters of a-z, 0-9 and
/// `-`, not starting with `-`.
pub(crate) fn valid_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
}

/// Whether a plugin built for WIT version `wit` runs on this host: the same major.minor,
/// a patch not newer.
pub(crate) fn wit_compatible(wit: &str) -> bool {
    let (major, minor, patch) = HOST_WIT_VERSION;
    parse_version(wit).is_some_and(|v| v.0 == major && v.1 == minor && v.2 <= patch)
}

/// `major.minor.patch` with an optional `-pre` or `+build` suffix.
pub(super) fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let core = text.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

/// Finds the manifest section anywhere in the component (it sits in the core module).
fn manifest_section(bytes: &[u8]) -> Result<Vec<u8>, ManifestError> {
    custom_section(bytes, MANIFEST_SECTION)?.ok_or(ManifestError::Missing)
}

/// The custom section `name`, found anywhere in the component (a core module's, or the
/// component's own); one at most.
pub(crate) fn custom_section(bytes: &[u8], name: &str) -> Result<Option<Vec<u8>>, ManifestError> {
    let mut found = None;
    let mut first = true;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|error| ManifestError::NotAComponent(error.to_string()))?;
        match payload {
            wasmparser::Payload::Version { encoding, .. }
                if first && encoding != wasmparser::Encoding::Component =>
            {
                return Err(ManifestError::NotAComponent(
                    "a core module, not a component (build for wasm32-wasip2)".to_owned(),
                ));
            }
            wasmparser::Payload::CustomSection(reader) if reader.name() == name => {
                if found.is_some() {
                    return Err(ManifestError::Duplicate(name.to_owned()));
                }
                found = Some(reader.data().to_vec());
            }
            _ => {}
        }
        first = false;
    }
    Ok(found)
}

/// Appends a custom section `name` holding `data` at the end of a component (where a
/// custom section may stand; readers find it with [`custom_section`]).
pub(crate) fn append_custom_section(component: &mut Vec<u8>, name: &str, data: &[u8]) {
    fn leb128(out: &mut Vec<u8>, mut value: usize) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut payload = Vec::with_capacity(name.len() + data.len() + 5);
    leb128(&mut payload, name.len());
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    component.push(0); // custom section id
    leb128(component, payload.len());
    component.extend_from_slice(&payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(json: serde_json::Value) -> Result<Manifest, ManifestError> {
        let manifest: Manifest =
            serde_json::from_value(json).map_err(|error| ManifestError::Json(error.to_string()))?;
        manifest.validate().map(|()| manifest)
    }

    fn base() -> serde_json::Value {
        serde_json::json!({
            "name": "fixture-alpha", "version": "1.0.0", "kind": "source", "wit": "0.1.0",
            "allowed_hosts": ["http://127.0.0.1:*"], "default_weight": 100
        })
    }

    #[test]
    fn valid_manifest_passes() {
        let m = manifest(base()).expect("valid");
        assert_eq!(m.kind, PluginKind::Source);
        assert_eq!(m.host_patterns().expect("patterns").len(), 1);
    }

    #[test]
    fn invalid_fields_are_named() {
        let cases: Vec<(&str, serde_json::Value)> = vec![
            ("name", serde_json::json!("Bad Name")),
            ("version", serde_json::json!("one")),
            ("wit", serde_json::json!("0.2.0")),
            ("wit", serde_json::json!("0.1.9")),
            ("allowed_hosts", serde_json::json!(["http://*"])),
        ];
        for (key, value) in cases {
            let mut json = base();
            json[key] = value;
            let error = manifest(json).expect_err(key).to_string();
            assert!(
                error.contains(key) || error.contains("WIT"),
                "{key}: {error}"
            );
        }
        let mut json = base();
        json["surprise"] = serde_json::json!(1);
        assert!(matches!(manifest(json), Err(ManifestError::Json(_))));
    }

    #[test]
    fn core_modules_and_garbage_are_refused() {
        assert!(matches!(
            Manifest::from_component(b"\0asm\x01\0\0\0"),
            Err(ManifestError::NotAComponent(_))
        ));
        assert!(matches!(
            Manifest::from_component(b"not wasm at all"),
            Err(ManifestError::NotAComponent(_))
        ));
        assert!(matches!(
            Manifest::from_component(b"\0asm\x0d\0\x01\0"),
            Err(ManifestError::Missing)
        ));
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("1.2.3"), Some((1, 2, 3)));
        assert_eq!(parse_version("1.2.3-rc.1"), Some((1, 2, 3)));
        assert_eq!(parse_version("1.2"), None);
        assert_eq!(parse_version("1.2.3.4"), None);
    }
}
