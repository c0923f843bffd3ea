//! The AES-128 keys of a download, each URI fetched once, by the first part that needs
//! it, at the same time as that part's own request: a key costs no round trip of its
//! own before the segments start. Parts that need a key being fetched wait for
//! it; a failure is shared by them all, and forgotten when the stream URL is refreshed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;
use url::Url;

use super::DownloadError;
use super::remote::{self, Remote};

/// Why a key could not be had, shared by every part waiting for it.
#[derive(Debug, Clone)]
enum Failed {
    Expired { url: String, status: u16 },
    Key { url: String, reason: String },
}

impl From<DownloadError> for Failed {
    fn from(error: DownloadError) -> Self {
        match error {
            DownloadError::Expired { url, status } => Failed::Expired { url, status },
            DownloadError::Key { url, reason } => Failed::Key { url, reason },
            other => Failed::Key {
                url: String::new(),
                reason: other.to_string(),
            },
        }
    }
}

impl From<Failed> for DownloadError {
    fn from(failed: Failed) -> Self {
        match failed {
            Failed::Expired { url, status } => DownloadError::Expired { url, status },
            Failed::Key { url, reason } => DownloadError::Key { url, reason },
        }
    }
}

type Cell = Arc<OnceCell<Result<[u8; 16], Failed>>>;

/// The keys of one download, by URI.
#[derive(Default)]
pub(crate) struct Keys {
    cells: Mutex<HashMap<Url, Cell>>,
}

impl Keys {
    /// The key at `uri`, fetched through `remote` unless it is known or on its way.
    pub(crate) async fn get(
        &self,
        remote: &Remote<'_>,
        uri: &Url,
    ) -> Result<[u8; 16], DownloadError> {
        let cell = Arc::clone(
            self.cells
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(uri.clone())
                .or_default(),
        );
        let result = cell
            .get_or_init(|| async { remote::load_key(remote, uri).await.map_err(Failed::from) })
            .await;
        result.clone().map_err(DownloadError::from)
    }

    /// Forgets the keys that failed, so the next try (after a URL refresh) fetches them
    /// again; the keys had are kept.
    pub(crate) fn forget_failures(&self) {
        self.cells
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, cell| !matches!(cell.get(), Some(Err(_))));
    }
}
