//! One call to a plugin export and its answer, as the runtime, the probes and the typed
//! calls of `PluginHost` speak of them.

use serde::{Deserialize, Serialize};

use super::types::{Metadata, SearchHit, StreamHit};

/// One request to a plugin export.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Request<'a> {
    Resolve(&'a str),
    Search(&'a str),
    Scrape(&'a str, Option<&'a str>),
    Avatar(&'a str),
    Clean(&'a str),
    Filter(PlaylistInput<'a>),
    /// A task plugin's run, with the task's JSON payload.
    RunTask(&'a str),
}

/// A playlist handed to a playlist filter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlaylistInput<'a> {
    pub(crate) kind: PlaylistKind,
    /// Where it was read from, after redirects.
    pub(crate) url: &'a str,
    pub(crate) text: &'a str,
    /// The resource's code.
    pub(crate) code: &'a str,
    /// The source plugin that found the stream.
    pub(crate) source: &'a str,
}

impl<'a> PlaylistInput<'a> {
    /// A playlist for a test call: its kind read from the text, the rest as given or
    /// placeholders.
    pub(crate) fn test_call(
        text: &'a str,
        url: Option<&'a str>,
        code: Option<&'a str>,
        source: Option<&'a str>,
    ) -> Self {
        Self {
            kind: if text.contains("#EXT-X-STREAM-INF") {
                PlaylistKind::Master
            } else {
                PlaylistKind::Media
            },
            url: url.unwrap_or("http://localhost/test.m3u8"),
            text,
            code: code.unwrap_or("TEST-001"),
            source: source.unwrap_or("test"),
        }
    }
}

/// Master (variants) or media (segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PlaylistKind {
    Master,
    Media,
}

/// The answer to a [`Request`].
pub(crate) enum Answer {
    Hit(StreamHit),
    Hits(Vec<SearchHit>),
    Metadata(Metadata),
    Avatar(Option<String>),
    Clean(String),
    Playlist(String),
    /// A task's JSON result.
    TaskResult(String),
}
