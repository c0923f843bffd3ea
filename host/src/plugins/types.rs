//! Domain types of plugin answers, converted from the WIT-generated ones at the boundary.

use serde::Serialize;

use super::bindings::{v0_1, v0_2};

/// The kind of a plugin, which selects its WIT world.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    Source,
    Scraper,
    Cleaner,
    /// Rewrites HLS playlists before a download reads them (`kura:plugin@0.2.0`).
    #[serde(rename = "playlist-filter")]
    PlaylistFilter,
    /// Adds a kind of task to the queue (`kura:plugin@0.2.0`).
    Task,
}

impl PluginKind {
    /// The lower-case name used in manifests, config and the API.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Scraper => "scraper",
            Self::Cleaner => "cleaner",
            Self::PlaylistFilter => "playlist-filter",
            Self::Task => "task",
        }
    }
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An expected failure a plugin returned (the WIT `error` variant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum PluginError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("blocked: {0}")]
    Blocked(String),
    #[error("network: {0}")]
    Network(String),
    #[error("parse: {0}")]
    Parse(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("{0}")]
    Other(String),
}

/// Where a resource's stream is, as a source found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamHit {
    pub page_url: String,
    pub playlist_url: String,
    pub title: Option<String>,
    pub cover_url: Option<String>,
    pub headers: Vec<(String, String)>,
}

/// One search result of a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    pub code: String,
    pub(crate) title: Option<String>,
    pub(crate) page_url: String,
}

/// A person credited on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub name: String,
    pub(crate) page_url: Option<String>,
    pub(crate) avatar_url: Option<String>,
}

/// Metadata a scraper found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    pub code: String,
    pub(crate) page_url: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) original_title: Option<String>,
    pub release_date: Option<String>,
    pub duration_seconds: Option<u32>,
    pub(crate) studio: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) series: Option<String>,
    pub(crate) description: Option<String>,
    pub cover_url: Option<String>,
    pub people: Vec<Person>,
    pub tags: Vec<String>,
}

/// The `From` conversions of one WIT version's answer types; every version's are the
/// same shapes under different generated names.
macro_rules! answers_from {
    ($wit:ident) => {
        impl From<$wit::Error> for PluginError {
            fn from(error: $wit::Error) -> Self {
                match error {
                    $wit::Error::NotFound(s) => Self::NotFound(s),
                    $wit::Error::Blocked(s) => Self::Blocked(s),
                    $wit::Error::Network(s) => Self::Network(s),
                    $wit::Error::Parse(s) => Self::Parse(s),
                    $wit::Error::InvalidInput(s) => Self::InvalidInput(s),
                    $wit::Error::Unsupported(s) => Self::Unsupported(s),
                    $wit::Error::Other(s) => Self::Other(s),
                }
            }
        }

        impl From<$wit::StreamHit> for StreamHit {
            fn from(hit: $wit::StreamHit) -> Self {
                Self {
                    page_url: hit.page_url,
                    playlist_url: hit.playlist_url,
                    title: hit.title,
                    cover_url: hit.cover_url,
                    headers: hit.headers,
                }
            }
        }

        impl From<$wit::SearchHit> for SearchHit {
            fn from(hit: $wit::SearchHit) -> Self {
                Self {
                    code: hit.code,
                    title: hit.title,
                    page_url: hit.page_url,
                }
            }
        }

        impl From<$wit::Metadata> for Metadata {
            fn from(m: $wit::Metadata) -> Self {
                Self {
                    code: m.code,
                    page_url: m.page_url,
                    title: m.title,
                    original_title: m.original_title,
                    release_date: m.release_date,
                    duration_seconds: m.duration_seconds,
                    studio: m.studio,
                    label: m.label,
                    series: m.series,
                    description: m.description,
                    cover_url: m.cover_url,
                    people: m
                        .people
                        .into_iter()
                        .map(|p| Person {
                            name: p.name,
                            page_url: p.page_url,
                            avatar_url: p.avatar_url,
                        })
                        .collect(),
                    tags: m.tags,
                }
            }
        }
    };
}

/// Answers of `kura:plugin@0.2.0` plugins.
mod from_v0_2 {
    use super::*;
    use v0_2::types as wit;
    answers_from!(wit);
}

/// Answers of `kura:plugin@0.1.0` plugins.
mod from_v0_1 {
    use super::*;
    use v0_1::types as wit;
    answers_from!(wit);
}
