//! Every config key is documented in `config/template-config.yaml`: the key paths of the
//! config types (`RawConfig` and what it holds, serialized with their defaults) must all
//! be in the template. Maps whose keys the operator chooses (plugin names, job names,
//! profile names) are checked through their entry type against a documented example.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::repo_root;
use crate::config::raw::{RawConfig, RawPluginEntry};
use crate::config::{RawJob, RawTranslatorProfile};

/// A map with operator-chosen keys: where it may appear, and its entry type's defaults.
struct UserKeyed {
    paths: &'static [&'static str],
    entry: Value,
}

/// The maps with operator-chosen keys whose entries have keys of their own.
fn user_keyed_maps() -> Vec<UserKeyed> {
    vec![
        UserKeyed {
            paths: &["sources", "scrapers", "cleaners", "playlist_filters"],
            entry: to_value(RawPluginEntry::default()),
        },
        UserKeyed {
            paths: &["schedules.jobs"],
            entry: to_value(RawJob::default()),
        },
        UserKeyed {
            paths: &["translator.profiles"],
            entry: to_value(RawTranslatorProfile::default()),
        },
    ]
}

/// Maps with operator-chosen keys and plain values (host names to addresses, plugin
/// settings): nothing inside an entry to check. `settings` is inside a plugin entry.
const PLAIN_MAPS: &[&str] = &["fetch.resolve", "settings"];

fn to_value(value: impl Serialize) -> Value {
    serde_json::to_value(value).expect("config types serialize")
}

/// Every key path in `value` (`a`, `a.b`, ...) with the value there.
fn key_paths<'v>(value: &'v Value, prefix: &str, out: &mut Vec<(String, &'v Value)>) {
    if let Value::Object(map) = value {
        for (key, inner) in map {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            out.push((path.clone(), inner));
            key_paths(inner, &path, out);
        }
    }
}

/// The value at a dotted key path.
fn at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |value, key| value.get(key))
}

/// The key paths of `value` missing from `template`; an empty map in `value` has
/// operator-chosen keys and must be one of `maps` (or a plain map).
fn undocumented(value: &Value, template: &Value, maps: &[&str]) -> Vec<String> {
    let mut paths = Vec::new();
    key_paths(value, "", &mut paths);
    let mut missing = Vec::new();
    for (path, inner) in paths {
        if at(template, &path).is_none() {
            missing.push(path.clone());
        }
        let is_map = inner.as_object().is_some_and(|map| map.is_empty());
        if is_map && !maps.contains(&path.as_str()) && !PLAIN_MAPS.contains(&path.as_str()) {
            missing.push(format!(
                "{path} (a map of unknown entries: add it to this test)"
            ));
        }
    }
    missing
}

#[test]
fn the_template_documents_every_config_key() {
    let path = repo_root().join("config/template-config.yaml");
    let text = std::fs::read_to_string(&path).expect("template readable");
    let template: Value = serde_saphyr::from_str(&text).expect("template is YAML");
    let maps = user_keyed_maps();
    let map_paths: Vec<&str> = maps
        .iter()
        .flat_map(|map| map.paths.iter().copied())
        .collect();

    let defaults = to_value(RawConfig::default());
    let mut missing = undocumented(&defaults, &template, &map_paths);

    for map in &maps {
        let examples: Vec<(String, &Value)> = map
            .paths
            .iter()
            .filter_map(|path| Some((*path, at(&template, path)?.as_object()?)))
            .flat_map(|(path, entries)| {
                entries
                    .iter()
                    .map(move |(name, entry)| (format!("{path}.{name}"), entry))
            })
            .collect();
        let gaps: Vec<(String, Vec<String>)> = examples
            .iter()
            .map(|(name, entry)| (name.clone(), undocumented(&map.entry, entry, &[])))
            .collect();
        match gaps.iter().min_by_key(|(_, gap)| gap.len()) {
            None => missing.push(format!("{}: no documented example entry", map.paths[0])),
            Some((_, gap)) if gap.is_empty() => {}
            Some((name, gap)) => missing.extend(gap.iter().map(|key| format!("{name}.{key}"))),
        }
    }
    let missing: BTreeSet<String> = missing.into_iter().collect();
    assert!(
        missing.is_empty(),
        "config keys config/template-config.yaml does not document: {missing:#?}"
    );
}

#[test]
fn undocumented_keys_are_found() {
    let value = serde_json::json!({"a": {"b": 1, "c": null}, "m": {}, "n": {}});
    let template = serde_json::json!({"a": {"b": 2}, "m": {"x": 1}});
    let missing = undocumented(&value, &template, &["m"]);
    assert_eq!(
        missing,
        [
            "a.c",
            "n",
            "n (a map of unknown entries: add it to this test)"
        ]
    );
}
