//! Offline record/replay tests for plugin logic, on the native target (`cargo test`).
//!
//! On native builds the SDK's [`http`](crate::http), [`settings`](crate::settings) and
//! [`cookies`](crate::cookies) wrappers talk to a per-thread test session instead of the WIT
//! imports:
//!
//! ```text
//! #[test]
//! fn resolves_demo_001() {
//!     let hit = testing::replay("tests/cassettes/resolve-demo-001.json", || Alpha::resolve("DEMO-001".into()));
//!     assert_eq!(hit.map(|hit| hit.title), Ok(Some("...".into())));
//! }
//! ```
//!
//! - Replay (default): each fetch is answered from the cassette, a JSON list of
//!   `{request: {method, url}, response: {status, headers, body, encoding?, final_url}}`
//!   (or `error: {kind, detail}` instead of `response`); `encoding` is `utf-8` (default) or
//!   `base64`. Entries are matched by method and URL, in order; a request the cassette lacks
//!   panics with a hint to record it.
//! - Record (`KURA_RECORD=1`): fetches go to the real network through a small HTTP/1.1
//!   client (plain `http://` only, meant for the loopback fixture site) and the cassette is
//!   rewritten when the closure returns.
//! - Settings come from `manifest.json` defaults in the current directory (the crate's own
//!   directory under `cargo test`), overridden by [`Replay::setting`], as the host does.
//! - Cookies set by answers are kept in a jar for the session and readable through
//!   [`cookies`](crate::cookies), as the host's jar would be.

mod cassette;
pub(crate) mod host;
mod jar;
mod recorder;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use cassette::{Cassette, Interaction, RecordedError, RecordedRequest, RecordedResponse};

use crate::manifest::Manifest;

/// A test session: a cassette plus settings, run around a closure.
#[derive(Debug, Clone)]
pub struct Replay {
    cassette_path: Option<PathBuf>,
    settings: BTreeMap<String, String>,
    record: bool,
}

impl Replay {
    /// A session replaying (or, with `KURA_RECORD=1`, recording) the cassette at `path`,
    /// relative to the crate directory under `cargo test`.
    pub fn new(path: impl AsRef<Path>) -> Replay {
        Replay {
            cassette_path: Some(path.as_ref().to_path_buf()),
            settings: manifest_defaults(),
            record: std::env::var("KURA_RECORD").is_ok_and(|value| value == "1"),
        }
    }

    /// A session without a cassette: every fetch fails with `denied`. For pure logic that
    /// reads settings.
    pub fn offline() -> Replay {
        Replay {
            cassette_path: None,
            settings: manifest_defaults(),
            record: false,
        }
    }

    /// Sets a setting, as the operator's config would.
    pub fn setting(mut self, key: &str, value: &str) -> Replay {
        self.settings.insert(key.to_string(), value.to_string());
        self
    }

    /// Removes a setting, including its manifest default.
    pub fn unset(mut self, key: &str) -> Replay {
        self.settings.remove(key);
        self
    }

    /// Runs `call` inside the session; when recording, writes the cassette afterwards.
    pub fn run<T>(self, call: impl FnOnce() -> T) -> T {
        let cassette = match (&self.cassette_path, self.record) {
            (Some(path), false) => Cassette::load(path)
                .unwrap_or_else(|error| panic!("cannot load cassette {}: {error}", path.display())),
            _ => Cassette::default(),
        };
        let mode = match (&self.cassette_path, self.record) {
            (None, _) => host::Mode::Offline,
            (Some(_), false) => host::Mode::Replay,
            (Some(_), true) => host::Mode::Record,
        };
        host::begin(host::Session::new(cassette, self.settings, mode));
        let outcome = call();
        let session = host::end();
        if let (Some(path), true) = (&self.cassette_path, self.record) {
            session.into_cassette().save(path).unwrap_or_else(|error| {
                panic!("cannot write cassette {}: {error}", path.display())
            });
        }
        outcome
    }
}

/// Runs `call` against the cassette at `path` with the manifest's default settings.
pub fn replay<T>(path: impl AsRef<Path>, call: impl FnOnce() -> T) -> T {
    Replay::new(path).run(call)
}

/// Reads and validates `manifest.json` in the current directory, and checks that it names
/// this SDK's WIT version; panics with the reason otherwise.
pub fn check_manifest() -> Manifest {
    let bytes = std::fs::read("manifest.json")
        .unwrap_or_else(|error| panic!("cannot read manifest.json: {error}"));
    let manifest = Manifest::parse(&bytes).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        manifest.wit,
        crate::WIT_VERSION,
        "manifest `wit` must match the SDK"
    );
    manifest
}

/// The manifest's setting defaults, when `manifest.json` exists in the current directory.
fn manifest_defaults() -> BTreeMap<String, String> {
    let Ok(bytes) = std::fs::read("manifest.json") else {
        return BTreeMap::new();
    };
    let Ok(manifest) = serde_json::from_slice::<Manifest>(&bytes) else {
        return BTreeMap::new();
    };
    manifest
        .settings
        .into_iter()
        .filter_map(|setting| Some((setting.key, setting.default?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{cookies, http, settings};

    const CASSETTE: &str = r#"[
      {"request": {"method": "GET", "url": "http://a.test/1"},
       "response": {"status": 200, "headers": [["set-cookie", "sid=abc; Path=/"]], "body": "first", "final_url": "http://a.test/1"}},
      {"request": {"method": "GET", "url": "http://a.test/1"},
       "response": {"status": 404, "body": "second", "final_url": "http://a.test/1"}},
      {"request": {"method": "GET", "url": "http://a.test/bin"},
       "response": {"status": 200, "body": "/9j/", "encoding": "base64", "final_url": "http://a.test/bin"}},
      {"request": {"method": "GET", "url": "http://b.test/"},
       "error": {"kind": "denied", "detail": "host not allowed"}}
    ]"#;

    fn cassette_path() -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("kura-sdk-replay-{}.json", std::process::id()));
        std::fs::write(&path, CASSETTE).expect("write the cassette");
        path
    }

    #[test]
    fn replays_in_order_with_settings_and_cookies() {
        let path = cassette_path();
        let outcome = Replay::new(&path)
            .setting("domain", "http://a.test/")
            .run(|| {
                let first = http::get("http://a.test/1", &[]).map(|response| response.text());
                let sid = cookies::value("http://a.test/other", "sid");
                let second = http::get("http://a.test/1", &[]).map(|response| response.status);
                let again = http::get("http://a.test/1", &[]).map(|response| response.status);
                let binary = http::get("http://a.test/bin", &[]).map(|response| response.body);
                let denied = http::get("http://b.test/", &[]);
                (
                    first,
                    sid,
                    second,
                    again,
                    binary,
                    denied,
                    settings::domain(),
                )
            });
        let _ = std::fs::remove_file(&path);
        let (first, sid, second, again, binary, denied, domain) = outcome;
        assert_eq!(first, Ok("first".to_string()));
        assert_eq!(sid.as_deref(), Some("abc"));
        assert_eq!((second, again), (Ok(404), Ok(404)));
        assert_eq!(binary, Ok(vec![0xff, 0xd8, 0xff]));
        assert_eq!(
            denied,
            Err(crate::Error::network("denied: host not allowed"))
        );
        assert_eq!(domain, Ok("http://a.test".to_string()));
    }

    #[test]
    fn without_a_session_fetches_are_denied_and_settings_empty() {
        assert!(matches!(
            http::fetch(&http::Request::get("http://a.test/")),
            Err(http::FetchError::Denied(_))
        ));
        assert_eq!(settings::get("domain"), None);
        let offline = Replay::offline()
            .setting("k", "v")
            .run(|| (settings::all(), http::get("http://a.test/", &[])));
        assert_eq!(offline.0, vec![("k".to_string(), "v".to_string())]);
        assert!(offline.1.is_err());
    }

    #[test]
    fn error_for_status_maps_statuses() {
        let response = |status| http::Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            final_url: "http://a.test/".to_string(),
        };
        assert!(response(204).error_for_status().is_ok());
        for (status, kind) in [
            (401, "blocked"),
            (403, "blocked"),
            (404, "not-found"),
            (503, "network"),
            (418, "other"),
        ] {
            assert_eq!(
                response(status)
                    .error_for_status()
                    .map_err(|error| error.kind())
                    .err(),
                Some(kind)
            );
        }
    }
}
