//! What callers write to and read from the store: plain structs, no SQL or sqlx types.
//!
//! Times are unix milliseconds. Files are paths relative to the media root.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::StoreError;

/// Where a resource's translated title stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TranslationStatus {
    Pending,
    Translating,
    Completed,
    Failed,
    Skipped,
}

impl TranslationStatus {
    /// Every status, in the order of the lifecycle.
    pub(crate) const ALL: [Self; 5] = [
        Self::Pending,
        Self::Translating,
        Self::Completed,
        Self::Failed,
        Self::Skipped,
    ];

    /// The lower-case name stored in the database and used by the API.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Translating => "translating",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

impl fmt::Display for TranslationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a translation status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown translation status `{0}` (expected pending, translating, completed, failed or skipped)"
)]
pub struct UnknownTranslationStatus(pub String);

impl FromStr for TranslationStatus {
    type Err = UnknownTranslationStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownTranslationStatus(s.to_owned()))
    }
}

/// Everything a metadata write sets on a resource, with its people and tags.
///
/// Files (cover, video) and the translation are not part of it: they have their own
/// setters, and an update keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceWrite {
    /// The normalised catalog code; the resource's identity.
    pub code: String,
    pub title_source: Option<String>,
    pub title_original: Option<String>,
    pub source_plugin: Option<String>,
    pub source_version: Option<String>,
    pub page_url: Option<String>,
    pub stream_url: Option<String>,
    pub stream_headers: BTreeMap<String, String>,
    /// `YYYY-MM-DD`.
    pub release_date: Option<String>,
    pub duration_seconds: Option<i64>,
    pub studio: Option<String>,
    pub label: Option<String>,
    pub series: Option<String>,
    pub description: Option<String>,
    /// Which plugin wrote each field: field name -> `plugin@version`. Replaced as a whole.
    pub field_sources: BTreeMap<String, String>,
    /// In display order; replaces the resource's people. Duplicate names keep the first.
    pub people: Vec<PersonWrite>,
    /// In display order; replaces the resource's tags. Duplicates keep the first.
    pub tags: Vec<String>,
}

/// A person named by a resource write; found or created by name. Given fields overwrite
/// the stored ones, absent fields keep them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonWrite {
    pub(crate) name: String,
    pub(crate) alias: Option<String>,
    pub(crate) page_url: Option<String>,
    pub(crate) avatar_url: Option<String>,
}

impl PersonWrite {
    /// The fields a write may give, besides the name (a new field belongs here, so
    /// merging, comparing and ordering writes all see it).
    pub(crate) fn fields(&self) -> [&Option<String>; 3] {
        [&self.alias, &self.page_url, &self.avatar_url]
    }

    /// [`PersonWrite::fields`], to change.
    pub(crate) fn fields_mut(&mut self) -> [&mut Option<String>; 3] {
        [&mut self.alias, &mut self.page_url, &mut self.avatar_url]
    }
}

/// A stored resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct ResourceRow {
    pub(crate) id: i64,
    pub(crate) code: String,
    pub(crate) title_source: Option<String>,
    pub(crate) title_original: Option<String>,
    pub(crate) title_translated: Option<String>,
    pub(crate) translation_status: TranslationStatus,
    pub(crate) source_plugin: Option<String>,
    pub(crate) source_version: Option<String>,
    pub(crate) page_url: Option<String>,
    pub(crate) stream_url: Option<String>,
    pub(crate) stream_headers: BTreeMap<String, String>,
    pub(crate) release_date: Option<String>,
    pub(crate) duration_seconds: Option<i64>,
    pub(crate) studio: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) series: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) cover_file: Option<String>,
    pub(crate) cover_source: Option<String>,
    pub(crate) video_file: Option<String>,
    pub(crate) video_size: Option<i64>,
    pub(crate) video_saved_at: Option<i64>,
    /// The tracks saved beside the video in files of their own.
    pub(crate) video_tracks: Vec<VideoTrack>,
    pub(crate) field_sources: BTreeMap<String, String>,
    /// What made the translated title, or why the last attempt failed.
    pub(crate) translation: TranslationProvenance,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// What a track beside the video carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TrackKind {
    /// WebVTT subtitles.
    Subtitles,
    /// An audio rendition kept apart from the video (it could not be remuxed into it).
    Audio,
}

/// A track a download saved beside the video in a file of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct VideoTrack {
    pub(crate) kind: TrackKind,
    /// Unique among the tracks of its kind; names it in URLs (`en`, `ja`, `en-2`).
    pub(crate) tag: String,
    /// The playlist's language tag, when it gave one.
    pub(crate) language: Option<String>,
    /// The playlist's name for it.
    pub(crate) name: String,
    /// Relative to the media directory.
    pub(crate) file: String,
}

/// What made a resource's translated title (N-C3, N-C4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct TranslationProvenance {
    /// Why the last attempt failed (kept while a retry is pending).
    pub(crate) error: Option<String>,
    /// The translator profile and model.
    pub(crate) profile: Option<String>,
    pub(crate) model: Option<String>,
    /// The cleaner plugin that cleaned the answer, and its version.
    pub(crate) cleaner: Option<String>,
    pub(crate) cleaner_version: Option<String>,
    /// When the title was translated or skipped (unix milliseconds).
    pub(crate) translated_at: Option<i64>,
}

/// A resource with its people and tags, in display order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct ResourceDetail {
    #[serde(flatten)]
    pub(crate) resource: ResourceRow,
    pub(crate) people: Vec<PersonRow>,
    pub(crate) tags: Vec<TagRow>,
}

/// One line of the resource list, as the list query writes it in JSON (`SummaryJson`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ResourceSummary {
    pub(crate) id: i64,
    pub(crate) code: String,
    pub(crate) title_source: Option<String>,
    pub(crate) title_original: Option<String>,
    pub(crate) title_translated: Option<String>,
    pub(crate) translation_status: TranslationStatus,
    pub(crate) source_plugin: Option<String>,
    pub(crate) release_date: Option<String>,
    pub(crate) duration_seconds: Option<i64>,
    pub(crate) has_cover: bool,
    pub(crate) has_video: bool,
    pub(crate) video_size: Option<i64>,
    pub(crate) video_saved_at: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// A stored person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct PersonRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) alias: Option<String>,
    pub(crate) avatar_file: Option<String>,
    pub(crate) avatar_url: Option<String>,
    pub(crate) page_url: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// One line of the people list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct PersonSummary {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) alias: Option<String>,
    pub(crate) has_avatar: bool,
    pub(crate) avatar_url: Option<String>,
    pub(crate) work_count: u64,
}

/// A stored tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct TagRow {
    pub(crate) id: i64,
    pub(crate) name: String,
}

/// One line of the tag list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct TagSummary {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) work_count: u64,
}

/// A cookie stored for one source plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SourceCookie {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) url: Option<String>,
}

/// One page of a list, with the number of matches over all pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub(crate) total: u64,
    pub(crate) page: u32,
    pub(crate) page_size: u32,
}

/// The largest page a list returns.
pub(crate) const MAX_PAGE_SIZE: u32 = 1000;

/// The longest search term a list takes, in characters (a code or a title is shorter).
pub(crate) const MAX_SEARCH_CHARS: usize = 200;

/// Why a list cannot search for `term`, or None when it can: a term longer than
/// [`MAX_SEARCH_CHARS`] (each one is cut into trigrams and kept as a cache key), or one
/// with a control character, which no code or title has and which neither backend takes
/// in a search (SQLite's trigram index ends a string at NUL; PostgreSQL refuses NUL in
/// text).
pub(crate) fn search_term_problem(term: &str) -> Option<String> {
    if term.chars().count() > MAX_SEARCH_CHARS {
        return Some(format!(
            "a search term has at most {MAX_SEARCH_CHARS} characters"
        ));
    }
    term.chars()
        .any(char::is_control)
        .then(|| "a search term has no control characters".to_owned())
}

/// How the resource list is ordered; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ResourceSort {
    #[default]
    Code,
    /// Missing dates come first ascending, last descending.
    ReleaseDate,
    AddedAt,
    /// Only resources with a video.
    VideoTime,
}

/// A resource list request; `None` filters match everything.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ResourceQuery {
    /// Case-insensitive (ASCII) substring of the code or any of the three titles.
    pub(crate) search: Option<String>,
    pub(crate) downloaded: Option<bool>,
    pub(crate) translation_status: Option<TranslationStatus>,
    pub(crate) person_id: Option<i64>,
    pub(crate) tag_id: Option<i64>,
    /// The source plugin that found the resource.
    pub(crate) source: Option<String>,
    pub(crate) sort: ResourceSort,
    pub(crate) descending: bool,
    /// 1-based; ignored when `after` is given.
    pub(crate) page: u32,
    pub(crate) page_size: u32,
    /// Keyset paging: the page that follows this row in the query's order.
    pub(crate) after: Option<ResourceCursor>,
}

impl ResourceQuery {
    /// The same filters with paging and order cleared: what a count depends on. The
    /// video-time sort stays, since it lists downloaded resources only.
    pub(crate) fn filter_only(&self) -> Self {
        Self {
            sort: match self.sort {
                ResourceSort::VideoTime => ResourceSort::VideoTime,
                _ => ResourceSort::Code,
            },
            descending: false,
            page: 1,
            page_size: 0,
            after: None,
            ..self.clone()
        }
    }
}

/// Where a page of resources ends: the last row's sort key and id. The next page starts
/// after it in the same sort and direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct ResourceCursor {
    pub(crate) key: SortKey,
    pub(crate) id: i64,
}

impl ResourceCursor {
    /// Whether the cursor's key is of the sort's kind (text for code and release date).
    pub(crate) fn fits(&self, sort: ResourceSort) -> bool {
        matches!(
            (&self.key, sort),
            (
                SortKey::Text(_),
                ResourceSort::Code | ResourceSort::ReleaseDate
            ) | (
                SortKey::Int(_),
                ResourceSort::AddedAt | ResourceSort::VideoTime
            )
        )
    }
}

/// A row's value in the sort column: text for code and release date (a missing date is
/// the empty string), a number for the times.
/// Keys of one sort compare as both backends order them: text by its bytes (SQLite's
/// BINARY collation, PostgreSQL's `COLLATE "C"`), numbers by value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub(crate) enum SortKey {
    Text(String),
    Int(i64),
}

impl<'de> Deserialize<'de> for SortKey {
    /// A string or an integer, read by a visitor: an untagged enum would buffer the
    /// value and build an error for the variant that misses.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = SortKey;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a string or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<SortKey, E> {
                Ok(SortKey::Text(value.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, value: String) -> Result<SortKey, E> {
                Ok(SortKey::Text(value))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<SortKey, E> {
                Ok(SortKey::Int(value))
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<SortKey, E> {
                i64::try_from(value)
                    .map(SortKey::Int)
                    .map_err(|_| E::custom("a sort key past i64"))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// One line of the resource list as the database wrote it: a JSON object with the
/// fields of [`ResourceSummary`], of the same types. Kept as text, so an answer can pass
/// it on without reading every field into a struct and writing it out again.
#[derive(Debug)]
pub(crate) struct SummaryJson(Box<serde_json::value::RawValue>);

impl SummaryJson {
    /// `summary` written as its JSON object (PostgreSQL's pages are read as rows).
    pub(crate) fn of(summary: &ResourceSummary) -> Result<Self, StoreError> {
        serde_json::value::to_raw_value(summary)
            .map(Self)
            .map_err(|error| StoreError::Corrupt(format!("a list row: {error}")))
    }

    /// The JSON object's text.
    pub(crate) fn json(&self) -> &str {
        self.0.get()
    }

    /// The summary, read from the JSON.
    pub(crate) fn summary(&self) -> Result<ResourceSummary, StoreError> {
        serde_json::from_str(self.json())
            .map_err(|error| StoreError::Corrupt(format!("a list row: {error}")))
    }
}

impl<'de> Deserialize<'de> for SummaryJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        if !raw.get().starts_with('{') {
            return Err(serde::de::Error::custom("a list row is not a JSON object"));
        }
        Ok(Self(raw))
    }
}

/// A page of resources read by keyset or offset, and the cursor of the next page when
/// there is one.
#[derive(Debug)]
pub(crate) struct ResourcePage {
    pub(crate) items: Vec<SummaryJson>,
    pub(crate) next: Option<ResourceCursor>,
}

impl Default for ResourceQuery {
    fn default() -> Self {
        Self {
            search: None,
            downloaded: None,
            translation_status: None,
            person_id: None,
            tag_id: None,
            source: None,
            sort: ResourceSort::default(),
            descending: false,
            page: 1,
            page_size: 50,
            after: None,
        }
    }
}

/// How the people list is ordered; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PeopleSort {
    #[default]
    Name,
    WorkCount,
}

/// A people list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PeopleQuery {
    /// Case-insensitive (ASCII) substring of the name or alias.
    pub(crate) search: Option<String>,
    pub(crate) has_avatar: Option<bool>,
    pub(crate) sort: PeopleSort,
    pub(crate) descending: bool,
    pub(crate) page: u32,
    pub(crate) page_size: u32,
}

impl Default for PeopleQuery {
    fn default() -> Self {
        Self {
            search: None,
            has_avatar: None,
            sort: PeopleSort::default(),
            descending: false,
            page: 1,
            page_size: 50,
        }
    }
}

/// How the tag list is ordered; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TagSort {
    #[default]
    Name,
    WorkCount,
}

/// A tag list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TagQuery {
    /// Case-insensitive (ASCII) substring of the name.
    pub(crate) search: Option<String>,
    pub(crate) sort: TagSort,
    pub(crate) descending: bool,
    pub(crate) page: u32,
    pub(crate) page_size: u32,
}

impl Default for TagQuery {
    fn default() -> Self {
        Self {
            search: None,
            sort: TagSort::default(),
            descending: false,
            page: 1,
            page_size: 50,
        }
    }
}
