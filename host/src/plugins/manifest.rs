//! The plugin manifest: JSON in the component's `kura:manifest` custom section, read
//! without compiling or running the plugin.

use serde::{Deserialize, Serialize};

use super::types::PluginKind;
use super::wit_version::{self, parse_version};
use crate::types::HostPattern;

/// The custom section that carries the manifest.
pub(crate) const MANIFEST_SECTION: &str = "kura:manifest";

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
        "plugin was built for WIT kura:plugin@{plugin}, this host implements {} (compatible: the same 0.x line or major, patch not newer)",
        wit_version::implemented()
    )]
    IncompatibleWit { plugin: String },
    #[error("a {kind} plugin needs WIT kura:plugin@{since} or later; the manifest says {plugin}")]
    KindTooNew {
        kind: PluginKind,
        since: wit_version::WitVersion,
        plugin: String,
    },
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
    /// For a playlist filter: the source plugins whose streams it rewrites (none listed:
    /// every source's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) sources: Vec<String>,
    /// For a task plugin: the kind of task it adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) task: Option<TaskSpec>,
}

/// Largest payload schema a task plugin may declare.
const MAX_SCHEMA_BYTES: usize = 64 * 1024;

/// The kind of task a task plugin adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskSpec {
    /// The kind's name in the queue (`[a-z0-9_-]`, 1-64); a built-in kind of the same
    /// name wins, so name it apart.
    pub(crate) name: String,
    /// One line for operators.
    #[serde(default)]
    pub(crate) description: String,
    /// The JSON schema its payload must match (checked at submit).
    #[serde(default = "any_object")]
    pub(crate) payload_schema: serde_json::Value,
}

fn any_object() -> serde_json::Value {
    serde_json::json!({"type": "object"})
}

fn default_weight() -> i32 {
    50
}

impl Manifest {
    /// Reads and validates the manifest of a component file.
    pub(crate) fn from_component(bytes: &[u8]) -> Result<Self, ManifestError> {
        Self::from_json(&manifest_section(bytes)?)
    }

    /// Reads and validates a manifest's JSON (a project's `manifest.json`).
    pub(crate) fn from_json(json: &[u8]) -> Result<Self, ManifestError> {
        let manifest: Manifest =
            serde_json::from_slice(json).map_err(|error| ManifestError::Json(error.to_string()))?;
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
        let Some(serving) = wit_version::serving(&self.wit) else {
            return Err(ManifestError::IncompatibleWit {
                plugin: self.wit.clone(),
            });
        };
        let since = wit_version::introduced(self.kind);
        if serving < since {
            return Err(ManifestError::KindTooNew {
                kind: self.kind,
                since,
                plugin: self.wit.clone(),
            });
        }
        let networked = matches!(
            self.kind,
            PluginKind::Source | PluginKind::Scraper | PluginKind::Task
        );
        if !networked && !self.allowed_hosts.is_empty() {
            return Err(field(
                "allowed_hosts",
                &format!("{} plugins cannot reach the network", self.kind),
            ));
        }
        if self.kind != PluginKind::PlaylistFilter && !self.sources.is_empty() {
            return Err(field("sources", "only playlist filters name sources"));
        }
        if !self.sources.iter().all(|name| valid_plugin_name(name)) {
            return Err(field("sources", "each must be a plugin name"));
        }
        match (&self.task, self.kind) {
            (None, PluginKind::Task) => {
                return Err(field(
                    "task",
                    "a task plugin names the kind of task it adds",
                ));
            }
            (Some(_), kind) if kind != PluginKind::Task => {
                return Err(field("task", "only task plugins add a kind of task"));
            }
            (Some(task), _) => {
                let name_ok = !task.name.is_empty()
                    && task.name.len() <= 64
                    && task.name.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    });
                if !name_ok {
                    return Err(field(
                        "task",
                        "name: 1-64 characters of a-z, 0-9, `-` and `_`",
                    ));
                }
                if !task.payload_schema.is_object() {
                    return Err(field("task", "payload_schema must be a JSON schema object"));
                }
                if task.payload_schema.to_string().len() > MAX_SCHEMA_BYTES {
                    return Err(field("task", "payload_schema is over 64 KiB"));
                }
            }
            (None, _) => {}
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
pub fn append_custom_section(component: &mut Vec<u8>, name: &str, data: &[u8]) {
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
            ("wit", serde_json::json!("0.3.0")),
            ("wit", serde_json::json!("0.1.9")),
            ("wit", serde_json::json!("0.2.1")),
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
    fn both_wit_lines_load_and_new_kinds_need_the_new_one() {
        let mut json = base();
        json["wit"] = serde_json::json!("0.2.0");
        manifest(json).expect("0.2 source");
        let filter = |wit: &str, sources: serde_json::Value| {
            manifest(serde_json::json!({
                "name": "ads", "version": "1.0.0", "kind": "playlist-filter", "wit": wit,
                "sources": sources,
            }))
        };
        let loaded = filter("0.2.0", serde_json::json!(["fixture-alpha"])).expect("filter");
        assert_eq!(loaded.kind, PluginKind::PlaylistFilter);
        assert_eq!(loaded.sources, ["fixture-alpha"]);
        let error = filter("0.1.0", serde_json::json!([])).expect_err("too old");
        assert!(matches!(error, ManifestError::KindTooNew { .. }), "{error}");
        assert!(error.to_string().contains("0.2.0"), "{error}");
        assert!(filter("0.2.0", serde_json::json!(["Not A Name"])).is_err());
        let mut json = base();
        json["sources"] = serde_json::json!(["fixture-beta"]);
        assert!(manifest(json).is_err(), "a source names no sources");
        let error = {
            let mut json = base();
            json["wit"] = serde_json::json!("0.3.0");
            manifest(json).expect_err("unknown line").to_string()
        };
        assert!(
            error.contains("0.3.0") && error.contains("0.1.0, 0.2.0"),
            "names both versions: {error}"
        );
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
