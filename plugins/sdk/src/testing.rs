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
