//! The playlist filters of a download: the enabled playlist-filter plugins that apply to
//! the stream's source, run in weight order, each on the answer of the one before.

use futures_util::future::BoxFuture;

use crate::download::{ListKind, PlaylistRewrite, Rewritten};
use crate::plugins::{PlaylistInput, PlaylistKind, PluginHost};

/// Rewrites a download's playlists through playlist-filter plugins.
pub(crate) struct PluginFilters {
    /// The filters, in the order they run, taken once when the download starts: a
    /// filter enabled or disabled meanwhile must not change a stream refreshed midway.
    pub(crate) filters: Vec<String>,
    pub(crate) plugins: PluginHost,
    /// The source plugin that found the stream.
    pub(crate) source: String,
    /// The resource's code.
    pub(crate) code: String,
}

impl PlaylistRewrite for PluginFilters {
    fn rewrite<'a>(
        &'a self,
        kind: ListKind,
        url: &'a str,
        text: String,
    ) -> BoxFuture<'a, Rewritten> {
        Box::pin(async move {
            let mut rewritten = Rewritten {
                text,
                applied: Vec::new(),
            };
            for filter in self.filters.iter().cloned() {
                let input = PlaylistInput {
                    kind: match kind {
                        ListKind::Master => PlaylistKind::Master,
                        ListKind::Media => PlaylistKind::Media,
                    },
                    url,
                    text: &rewritten.text,
                    code: &self.code,
                    source: &self.source,
                };
                match self.plugins.filter_playlist(&filter, input).await {
                    Ok(text) if text == rewritten.text => {}
                    Ok(text) => {
                        tracing::info!(filter, code = %self.code, "playlist filter rewrote the playlist");
                        rewritten.text = text;
                        rewritten.applied.push(filter);
                    }
                    Err(error) => {
                        tracing::warn!(filter, code = %self.code, %error, "playlist filter failed; the playlist is read as it was");
                    }
                }
            }
            rewritten
        })
    }
}
