//! One call to a plugin export and its answer, as the runtime, the probes and the typed
//! calls of `PluginHost` speak of them.

use super::types::{Metadata, SearchHit, StreamHit};

/// One request to a plugin export.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Request<'a> {
    Resolve(&'a str),
    Search(&'a str),
    Scrape(&'a str, Option<&'a str>),
    Avatar(&'a str),
    Clean(&'a str),
}

/// The answer to a [`Request`].
pub(crate) enum Answer {
    Hit(StreamHit),
    Hits(Vec<SearchHit>),
    Metadata(Metadata),
    Avatar(Option<String>),
    Clean(String),
}
