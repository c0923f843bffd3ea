//! The library generation: a number that changes after every committed write to the
//! library (resources, people, tags and their links), whoever made it. Cached list pages
//! and list ETags are keyed by it, so an unchanged library answers without a query.
//!
//! Three sources move it:
//! - this process's own writes, right after they commit ([`Store::library_changed`]), so
//!   a client reads its own writes at once;
//! - on SQLite, the `library_generation` row that triggers bump inside every writing
//!   transaction, polled every [`POLL_INTERVAL`] (other processes: `kura seed`, `kura
//!   add` beside a running server);
//! - on PostgreSQL, `NOTIFY kura_library`, which triggers send and PostgreSQL delivers
//!   at commit (other processes and other hosts). A lost listener connection counts as a
//!   change, since notifications sent meanwhile are gone.
//!
//! The number itself is this process's own and starts at 0; it means nothing to another
//! process (an ETag pairs it with the process's start, see `api::list_cache`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use super::{Backend, Store};

/// How often SQLite's counter is read.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How long to wait before listening again after PostgreSQL refused or dropped the
/// listener.
const RELISTEN_DELAY: Duration = Duration::from_secs(1);
/// The PostgreSQL channel the triggers of migration 0006 notify.
const CHANNEL: &str = "kura_library";

/// The process's view of the library generation.
#[derive(Debug, Default)]
pub(crate) struct LibraryGeneration {
    value: AtomicU64,
}

impl LibraryGeneration {
    /// The current generation.
    pub(crate) fn current(&self) -> u64 {
        self.value.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.value.fetch_add(1, Ordering::AcqRel);
    }
}

impl Store {
    /// The current library generation (no query).
    pub(crate) fn library_generation(&self) -> u64 {
        self.generation.current()
    }

    /// Records that this process committed a library write. Called after the commit:
    /// a reader that saw the old generation may have read the old rows, and must not
    /// keep them under the new one.
    pub(crate) fn library_changed(&self) {
        self.generation.bump();
    }

    /// Follows library writes made by other processes until `cancel` fires.
    pub async fn follow_library_writes(&self, cancel: CancellationToken) {
        match self.backend {
            Backend::Sqlite => self.poll_counter(cancel).await,
            Backend::Postgres => self.listen(cancel).await,
        }
    }

    async fn poll_counter(&self, cancel: CancellationToken) {
        let mut seen: Option<i64> = None;
        let mut failing = false;
        loop {
            let read: Result<i64, sqlx::Error> =
                sqlx::query_scalar("SELECT value FROM library_generation WHERE id = 1")
                    .fetch_one(self.pool())
                    .await;
            match read {
                Ok(value) => {
                    // The first read (at the start, after a failure) counts as a change:
                    // writes before it went unseen.
                    if seen.is_none_or(|seen| seen != value) {
                        self.library_changed();
                    }
                    seen = Some(value);
                    failing = false;
                }
                Err(error) => {
                    // Unknown is treated as changed: a stale page is worse than a query.
                    self.library_changed();
                    seen = None;
                    if !failing {
                        tracing::warn!(%error, "cannot read the library generation");
                    }
                    failing = true;
                }
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
    }

    async fn listen(&self, cancel: CancellationToken) {
        let Some(url) = self.url.clone() else {
            return;
        };
        loop {
            let listened = tokio::select! {
                () = cancel.cancelled() => return,
                listened = self.listen_once(&url) => listened,
            };
            // Whatever ended the listener, writes may have gone unheard.
            self.library_changed();
            if let Err(error) = listened {
                tracing::warn!(%error, "cannot listen for library writes; retrying");
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(RELISTEN_DELAY) => {}
            }
        }
    }

    /// Listens until the connection is lost; every notification is a change.
    async fn listen_once(&self, url: &str) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        // Writes committed before LISTEN took effect were not heard.
        self.library_changed();
        while listener.try_recv().await?.is_some() {
            self.library_changed();
        }
        Ok(())
    }
}
