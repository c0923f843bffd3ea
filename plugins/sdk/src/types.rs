//! Constructors and accessors on the WIT records and the `error` variant.

use crate::{Error, Metadata, Person, SearchHit, StreamHit};

impl Error {
    /// The site does not know this code or person.
    pub fn not_found(detail: impl Into<String>) -> Error {
        Error::NotFound(detail.into())
    }

    /// The site refused to answer (401/403, captcha, geo block).
    pub fn blocked(detail: impl Into<String>) -> Error {
        Error::Blocked(detail.into())
    }

    /// A request failed in transport, a 5xx answer, or a fetch the host denied.
    pub fn network(detail: impl Into<String>) -> Error {
        Error::Network(detail.into())
    }

    /// The page did not have the expected shape.
    pub fn parse(detail: impl Into<String>) -> Error {
        Error::Parse(detail.into())
    }

    /// The input is not something this plugin accepts.
    pub fn invalid_input(detail: impl Into<String>) -> Error {
        Error::InvalidInput(detail.into())
    }

    /// The plugin does not implement this optional function.
    pub fn unsupported(detail: impl Into<String>) -> Error {
        Error::Unsupported(detail.into())
    }

    /// Anything else.
    pub fn other(detail: impl Into<String>) -> Error {
        Error::Other(detail.into())
    }

    /// The WIT case name: `not-found`, `blocked`, `network`, `parse`, `invalid-input`,
    /// `unsupported` or `other`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not-found",
            Error::Blocked(_) => "blocked",
            Error::Network(_) => "network",
            Error::Parse(_) => "parse",
            Error::InvalidInput(_) => "invalid-input",
            Error::Unsupported(_) => "unsupported",
            Error::Other(_) => "other",
        }
    }

    /// The human-readable detail.
    pub fn detail(&self) -> &str {
        match self {
            Error::NotFound(detail)
            | Error::Blocked(detail)
            | Error::Network(detail)
            | Error::Parse(detail)
            | Error::InvalidInput(detail)
            | Error::Unsupported(detail)
            | Error::Other(detail) => detail,
        }
    }
}

impl Metadata {
    /// Empty metadata for a code: every optional field `None`, no people, no tags.
    pub fn new(code: impl Into<String>) -> Metadata {
        Metadata {
            code: code.into(),
            page_url: None,
            title: None,
            original_title: None,
            release_date: None,
            duration_seconds: None,
            studio: None,
            label: None,
            series: None,
            description: None,
            cover_url: None,
            people: Vec::new(),
            tags: Vec::new(),
        }
    }
}

impl StreamHit {
    /// A hit with only the page and playlist URLs set.
    pub fn new(page_url: impl Into<String>, playlist_url: impl Into<String>) -> StreamHit {
        StreamHit {
            page_url: page_url.into(),
            playlist_url: playlist_url.into(),
            title: None,
            cover_url: None,
            headers: Vec::new(),
        }
    }
}

impl SearchHit {
    /// A search result.
    pub fn new(
        code: impl Into<String>,
        title: Option<String>,
        page_url: impl Into<String>,
    ) -> SearchHit {
        SearchHit {
            code: code.into(),
            title,
            page_url: page_url.into(),
        }
    }
}

impl Person {
    /// A person known only by name.
    pub fn new(name: impl Into<String>) -> Person {
        Person {
            name: name.into(),
            page_url: None,
            avatar_url: None,
        }
    }
}
