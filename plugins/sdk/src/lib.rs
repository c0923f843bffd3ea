//! Kura plugin SDK: write a source, scraper, cleaner or playlist-filter plugin as a plain
//! Rust type.
//!
//! A plugin crate (`crate-type = ["cdylib"]`) implements one of [`Source`], [`Scraper`],
//! [`Cleaner`] or [`PlaylistFilter`], keeps its manifest in `manifest.json` next to its `Cargo.toml`, and calls the
//! matching export macro once:
//!
//! ```text
//! use kura_plugin_sdk::{Error, SearchHit, Source, StreamHit};
//!
//! struct Demo;
//!
//! impl Source for Demo {
//!     fn resolve(code: String) -> Result<StreamHit, Error> {
//!         Err(Error::not_found(code))
//!     }
//! }
//!
//! kura_plugin_sdk::export_source!(Demo);
//! ```
//!
//! The host imports are wrapped by [`http`], [`settings`], [`cookies`] and [`log`]. On
//! `wasm32` they call the WIT imports; on the native target they are served by [`testing`],
//! so plugin logic is unit-tested with `cargo test` against recorded cassettes.

pub mod cookies;
mod export;
pub mod http;
pub mod log;
pub mod manifest;
mod plugin;
pub mod settings;
pub mod task;
mod types;
pub mod urls;
pub mod wit;

#[cfg(feature = "html")]
pub mod html;
#[cfg(feature = "html")]
pub mod jsonld;
#[cfg(feature = "html")]
pub mod opengraph;

#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use http::{FetchError, Method, Request, Response};
pub use plugin::{Cleaner, PlaylistFilter, Scraper, Source, Task};
pub use wit::kura::plugin::types::{Error, Header, Metadata, Person, SearchHit, StreamHit};
pub use wit::playlist_filter::exports::kura::plugin::playlist_filter::{Playlist, PlaylistKind};

/// The version of the `kura:plugin` WIT package this SDK was generated from; a manifest's
/// `wit` field must name it.
pub const WIT_VERSION: &str = "0.2.0";

/// Re-exports for the export macros; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;
}
