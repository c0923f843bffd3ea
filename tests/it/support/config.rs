//! The server config a test starts with, built as data: a JSON value with the defaults
//! every test shares, edited by dotted key path, and rendered as JSON text (which is YAML),
//! so it still goes through `kura::Config::parse` and a renamed key still fails the test.

use std::path::Path;

use serde_json::{Map, Value, json};

/// A server config for a server that may reach the fixture site at `fixture_url`: port 0,
/// a short plugin watch debounce, the fixture site allowed as a private host, and the
/// fixture plugins pointed at it.
pub fn config(fixture_url: &str) -> TestConfig {
    let host_port = fixture_url.trim_start_matches("http://");
    TestConfig::bare().merge(json!({
        "plugins": { "watch_debounce_ms": 50 },
        "fetch": { "allow_private_hosts": [host_port] },
        "sources": {
            "fixture-alpha": { "domain": format!("{fixture_url}/alpha") },
            "fixture-beta": { "domain": format!("{fixture_url}/beta") },
        },
        "scrapers": {
            "fixture-meta": { "domain": format!("{fixture_url}/meta") },
            "jsonld": { "settings": { "url_template": format!("{fixture_url}/meta/{{code}}") } },
        },
    }))
}

/// A config under construction; every edit takes and returns it, so edits chain.
#[derive(Clone, Debug, PartialEq)]
pub struct TestConfig {
    value: Value,
}

impl TestConfig {
    /// No settings at all: the embedded defaults (a config file for the CLI, which takes
    /// its port from a flag).
    pub fn empty() -> Self {
        Self {
            value: Value::Object(Map::new()),
        }
    }

    /// Only `server.port: 0` and no built-in plugins (a test names the plugins it
    /// loads), for a server that needs neither the fixture site nor plugins.
    pub fn bare() -> Self {
        Self::empty()
            .set("server.port", json!(0))
            .set("plugins.builtins", json!(false))
    }

    /// Sets the value at a dotted key path (`plugins.call_timeout_ms`), creating the
    /// tables on the way; a key that itself holds a dot goes through [`Self::merge`].
    pub fn set(mut self, path: &str, value: Value) -> Self {
        *self.slot(path) = value;
        self
    }

    /// Appends to the list at a dotted key path, creating it when absent.
    pub fn push(mut self, path: &str, value: Value) -> Self {
        let slot = self.slot(path);
        if slot.is_null() {
            *slot = Value::Array(Vec::new());
        }
        match slot {
            Value::Array(items) => items.push(value),
            other => panic!("config key {path} holds {other}, not a list"),
        }
        self
    }

    /// Merges a tree of settings in: tables merge key by key, anything else replaces.
    pub fn merge(mut self, value: Value) -> Self {
        merge_into(&mut self.value, value);
        self
    }

    /// The config as text for `kura::Config::parse` or a `config.yaml`.
    pub fn render(&self) -> String {
        serde_json::to_string_pretty(&self.value).expect("a JSON value renders")
    }

    /// Writes the rendered config to `path`.
    pub fn write(&self, path: &Path) {
        std::fs::write(path, self.render()).expect("write config");
    }

    fn slot(&mut self, path: &str) -> &mut Value {
        let mut slot = &mut self.value;
        for key in path.split('.') {
            if slot.is_null() {
                *slot = Value::Object(Map::new());
            }
            slot = match slot {
                Value::Object(table) => table.entry(key).or_insert(Value::Null),
                other => panic!("config key {path}: {key} is under {other}, not a table"),
            };
        }
        slot
    }
}

fn merge_into(target: &mut Value, value: Value) {
    match (target, value) {
        (Value::Object(table), Value::Object(items)) => {
            for (key, item) in items {
                merge_into(table.entry(key).or_insert(Value::Null), item);
            }
        }
        (target, value) => *target = value,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{TestConfig, config};

    #[test]
    fn set_push_and_merge_edit_the_tree() {
        let edited = TestConfig::bare()
            .set("plugins.call_timeout_ms", json!(1000))
            .push("fetch.allow_private_hosts", json!("127.0.0.1:1"))
            .push("fetch.allow_private_hosts", json!("127.0.0.1:2"))
            .merge(json!({"server": {"require_token": true}, "fetch": {"max_redirects": 4}}));
        let expected = TestConfig::empty().merge(json!({
            "server": {"port": 0, "require_token": true},
            "plugins": {"call_timeout_ms": 1000, "builtins": false},
            "fetch": {"allow_private_hosts": ["127.0.0.1:1", "127.0.0.1:2"], "max_redirects": 4},
        }));
        assert_eq!(edited, expected);
    }

    #[test]
    fn the_default_config_parses() {
        let text = config("http://127.0.0.1:1").render();
        let overrides = kura::Overrides::default();
        kura::Config::parse(&text, std::path::Path::new("test.json"), &overrides)
            .expect("the default test config parses");
    }
}
