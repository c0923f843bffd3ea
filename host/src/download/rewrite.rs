//! Playlist rewriting before the downloader reads a playlist: the server plugs its
//! playlist-filter plugins in here; the engine only knows this trait.
//!
//! A rewrite can only drop or reorder what the site listed: its answer is parsed like the
//! original, must stay the same kind of playlist, and every URI in it (variants,
//! segments, maps, keys) must already be in the original, so a filter (which has no
//! network of its own) cannot send the download, or the stream's headers, elsewhere.

use futures_util::future::BoxFuture;
use url::Url;

use super::playlist::{self, Playlist};

/// Which kind of playlist is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    /// Variants and renditions.
    Master,
    /// Segments.
    Media,
}

/// A playlist after rewriting, and who changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rewritten {
    pub(crate) text: String,
    /// The names of the rewriters that changed the text, in the order they ran.
    pub(crate) applied: Vec<String>,
}

/// Rewrites playlists for one download (the server: the source's enabled playlist filters,
/// in weight order). Failures are the implementation's to log: it returns the text to use.
pub(crate) trait PlaylistRewrite: Send + Sync {
    /// The playlist to read instead of `text`, fetched from `url`.
    fn rewrite<'a>(
        &'a self,
        kind: ListKind,
        url: &'a str,
        text: String,
    ) -> BoxFuture<'a, Rewritten>;
}

/// Parses `body` from `base`, rewritten first when a rewriter is given. A rewrite that
/// does not parse, or turns a media playlist into a master one or back, is ignored with a
/// warning: the original is read.
pub(crate) async fn parse_rewritten(
    body: &[u8],
    base: &url::Url,
    rewrite: Option<&dyn PlaylistRewrite>,
    applied: &mut Vec<String>,
) -> Result<Playlist, String> {
    let original = playlist::parse(body, base)?;
    let (Some(rewrite), Ok(text)) = (rewrite, std::str::from_utf8(body)) else {
        return Ok(original);
    };
    let kind = match original {
        Playlist::Master(_) => ListKind::Master,
        Playlist::Media(_) => ListKind::Media,
    };
    let rewritten = rewrite.rewrite(kind, base.as_str(), text.to_owned()).await;
    if rewritten.applied.is_empty() || rewritten.text == text {
        return Ok(original);
    }
    match playlist::parse(rewritten.text.as_bytes(), base) {
        Ok(parsed) if !uris(&parsed).is_subset(&uris(&original)) => {
            tracing::warn!(filters = ?rewritten.applied, url = %base, "a playlist filter added URIs the site did not list; its answer is ignored");
            Ok(original)
        }
        Ok(parsed @ Playlist::Master(_)) if kind == ListKind::Master => {
            applied.extend(rewritten.applied);
            Ok(parsed)
        }
        Ok(parsed @ Playlist::Media(_)) if kind == ListKind::Media => {
            applied.extend(rewritten.applied);
            Ok(parsed)
        }
        Ok(_) => {
            tracing::warn!(filters = ?rewritten.applied, url = %base, "a playlist filter changed the playlist's kind; its answer is ignored");
            Ok(original)
        }
        Err(reason) => {
            tracing::warn!(filters = ?rewritten.applied, url = %base, %reason, "a playlist filter answered something that is not a playlist; its answer is ignored");
            Ok(original)
        }
    }
}

/// Every URI a playlist makes the downloader fetch.
fn uris(playlist: &Playlist) -> std::collections::BTreeSet<&str> {
    match playlist {
        Playlist::Master(master) => master
            .variants
            .iter()
            .map(|v| v.url.as_str())
            .chain(
                master
                    .renditions
                    .iter()
                    .filter_map(|r| r.url.as_ref().map(Url::as_str)),
            )
            .collect(),
        Playlist::Media(stream) => stream
            .parts
            .iter()
            .flat_map(|part| {
                std::iter::once(part.url.as_str())
                    .chain(part.key.as_ref().map(|key| key.uri.as_str()))
            })
            .collect(),
    }
}
