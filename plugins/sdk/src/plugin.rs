//! The plugin traits, one per kind, mirroring the WIT exports, and their glue to the generated bindings.

use crate::wit::{cleaner, playlist_filter, scraper, source, task};
use crate::{Error, Metadata, Playlist, SearchHit, StreamHit};

/// A source locates a resource's stream on one site (`kura:plugin/source`).
///
/// Export it with [`export_source!`](crate::export_source).
pub trait Source {
    /// Finds the stream for a code in canonical form (`DEMO-001`).
    ///
    /// Returns `not-found` when the site has no such code, `blocked` when the site refuses
    /// access, `network` when a fetch fails, `parse` when the page has an unexpected shape.
    fn resolve(code: String) -> Result<StreamHit, Error>;

    /// Searches the site by free text; an empty list when nothing matches.
    ///
    /// The default answers `unsupported`.
    fn search(query: String) -> Result<Vec<SearchHit>, Error> {
        let _ = query;
        Err(Error::unsupported("search"))
    }
}

/// A scraper reads metadata about a code and its people from one site (`kura:plugin/scraper`).
///
/// Export it with [`export_scraper!`](crate::export_scraper).
pub trait Scraper {
    /// Reads the metadata for a code; `page_url` is the page a source found, if any.
    fn scrape(code: String, page_url: Option<String>) -> Result<Metadata, Error>;

    /// Finds an avatar image URL for a person: `None` when known without an avatar.
    ///
    /// The default answers `unsupported`.
    fn avatar(name: String) -> Result<Option<String>, Error> {
        let _ = name;
        Err(Error::unsupported("avatar"))
    }
}

/// A cleaner turns an LLM's raw answer into a clean title (`kura:plugin/cleaner`).
///
/// Export it with [`export_cleaner!`](crate::export_cleaner).
pub trait Cleaner {
    /// Cleans one answer; `invalid-input` when nothing usable remains.
    fn clean(raw: String) -> Result<String, Error>;
}

/// A playlist filter rewrites an HLS playlist before the downloader reads it
/// (`kura:plugin/playlist-filter`, WIT 0.2): drops ad segments, keeps preferred renditions.
///
/// Export it with [`export_playlist_filter!`](crate::export_playlist_filter).
pub trait PlaylistFilter {
    /// Returns the playlist to read instead (the same text when there is nothing to change).
    /// An error leaves the playlist as it was; it never fails the download.
    fn filter(playlist: Playlist) -> Result<String, Error>;
}

impl<T: PlaylistFilter> playlist_filter::exports::kura::plugin::playlist_filter::Guest for T {
    fn filter(playlist: Playlist) -> Result<String, Error> {
        <T as PlaylistFilter>::filter(playlist)
    }
}

/// A task plugin runs one kind of task, named with its payload's JSON schema in the
/// manifest's `task` (`kura:plugin/task`, WIT 0.2). [`crate::task`] reaches the queue
/// and the library.
///
/// Export it with [`export_task!`](crate::export_task).
pub trait Task {
    /// Runs one attempt; `payload` is the task's JSON payload (checked against the
    /// schema). Returns the result as JSON. `network` and `blocked` errors are retried.
    fn run(payload: serde_json::Value) -> Result<serde_json::Value, Error>;
}

impl<T: Task> task::exports::kura::plugin::task::Guest for T {
    fn run(payload: String) -> Result<String, Error> {
        let payload = serde_json::from_str(&payload)
            .map_err(|error| Error::invalid_input(format!("the payload is not JSON: {error}")))?;
        <T as Task>::run(payload).map(|result| result.to_string())
    }
}

impl<T: Source> source::exports::kura::plugin::source::Guest for T {
    fn resolve(code: String) -> Result<StreamHit, Error> {
        <T as Source>::resolve(code)
    }

    fn search(query: String) -> Result<Vec<SearchHit>, Error> {
        <T as Source>::search(query)
    }
}

impl<T: Scraper> scraper::exports::kura::plugin::scraper::Guest for T {
    fn scrape(code: String, page_url: Option<String>) -> Result<Metadata, Error> {
        <T as Scraper>::scrape(code, page_url)
    }

    fn avatar(name: String) -> Result<Option<String>, Error> {
        <T as Scraper>::avatar(name)
    }
}

impl<T: Cleaner> cleaner::exports::kura::plugin::cleaner::Guest for T {
    fn clean(raw: String) -> Result<String, Error> {
        <T as Cleaner>::clean(raw)
    }
}
