//! The per-thread test session that stands in for the host on native builds.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::cassette::{Cassette, Interaction};
use super::jar::Jar;
use super::recorder;
use crate::cookies::Cookie;
use crate::http::{FetchError, Request, Response};

/// What the fake host knows during one [`Replay::run`](super::Replay::run).
pub(crate) struct Session {
    cassette: Cassette,
    used: Vec<bool>,
    settings: BTreeMap<String, String>,
    mode: Mode,
    jar: Jar,
}

/// Where a session's fetches go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Answered from the cassette.
    Replay,
    /// Sent to the network and appended to the cassette.
    Record,
    /// Refused with `denied`.
    Offline,
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
}

impl Session {
    /// A session over a cassette (ignored when recording: a new one is written).
    pub(crate) fn new(
        cassette: Cassette,
        settings: BTreeMap<String, String>,
        mode: Mode,
    ) -> Session {
        let used = vec![false; cassette.interactions.len()];
        Session {
            cassette,
            used,
            settings,
            mode,
            jar: Jar::default(),
        }
    }

    /// The cassette as recorded or replayed.
    pub(crate) fn into_cassette(self) -> Cassette {
        self.cassette
    }

    fn fetch(&mut self, request: &Request) -> Result<Response, FetchError> {
        let method = request.method.as_str();
        let outcome = if self.mode == Mode::Offline {
            return Err(FetchError::Denied(format!(
                "offline test session: no answer for {method} {}",
                request.url
            )));
        } else if self.mode == Mode::Record {
            let outcome = recorder::send(request, &mut self.jar);
            self.cassette
                .interactions
                .push(Interaction::new(method, &request.url, &outcome));
            outcome
        } else {
            let index = self.find(method, &request.url).unwrap_or_else(|| {
                panic!(
                    "the cassette has no answer for {method} {}; record it with KURA_RECORD=1",
                    request.url
                )
            });
            self.used[index] = true;
            self.cassette.interactions[index].outcome()
        };
        if let Ok(response) = &outcome {
            self.jar.store_from(&response.final_url, &response.headers);
        }
        outcome
    }

    /// The first unused matching interaction, else the last used one (a repeated request).
    fn find(&self, method: &str, url: &str) -> Option<usize> {
        let matches = |interaction: &Interaction| {
            interaction.request.method.eq_ignore_ascii_case(method)
                && interaction.request.url == url
        };
        let interactions = &self.cassette.interactions;
        (0..interactions.len())
            .find(|&index| !self.used[index] && matches(&interactions[index]))
            .or_else(|| {
                (0..interactions.len())
                    .rev()
                    .find(|&index| matches(&interactions[index]))
            })
    }
}

/// Installs a session on this thread.
pub(crate) fn begin(session: Session) {
    SESSION.with(|slot| *slot.borrow_mut() = Some(session));
}

/// Removes and returns this thread's session.
pub(crate) fn end() -> Session {
    SESSION
        .with(|slot| slot.borrow_mut().take())
        .unwrap_or_else(|| Session::new(Cassette::default(), BTreeMap::new(), Mode::Offline))
}

fn with_session<T>(default: T, use_session: impl FnOnce(&mut Session) -> T) -> T {
    SESSION.with(|slot| match slot.borrow_mut().as_mut() {
        Some(session) => use_session(session),
        None => default,
    })
}

/// `http::fetch` on native builds.
pub(crate) fn fetch(request: &Request) -> Result<Response, FetchError> {
    let no_session = Err(FetchError::Denied(
        "no test session: wrap the call in kura_plugin_sdk::testing::replay".to_string(),
    ));
    SESSION.with(|slot| match slot.borrow_mut().as_mut() {
        Some(session) => session.fetch(request),
        None => no_session,
    })
}

/// `settings::get` on native builds.
pub(crate) fn setting(key: &str) -> Option<String> {
    with_session(None, |session| session.settings.get(key).cloned())
}

/// `settings::all` on native builds.
pub(crate) fn settings() -> Vec<(String, String)> {
    with_session(Vec::new(), |session| {
        session
            .settings
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    })
}

/// `cookies::get` on native builds.
pub(crate) fn cookies(url: &str) -> Vec<(String, String)> {
    with_session(Vec::new(), |session| session.jar.get(url))
}

/// `cookies::set` on native builds.
pub(crate) fn set_cookie(cookie: &Cookie) -> bool {
    with_session(false, |session| {
        session.jar.set(&cookie.url, &cookie.name, &cookie.value)
    })
}
