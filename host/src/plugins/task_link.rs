//! The seam between a task plugin's imports and the queue: what a running task may ask
//! for (progress, cancellation, more tasks, library queries), as a trait the task queue
//! implements, so the plugins module knows nothing of queues or stores.

use futures_util::future::BoxFuture;

/// A resource as a task plugin sees it (`kura:plugin/library.item`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LibraryItem {
    pub(crate) code: String,
    pub(crate) title: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) downloaded: bool,
    pub(crate) updated_at_ms: i64,
}

/// Which resources (`kura:plugin/library.query`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LibraryQuery {
    pub(crate) search: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) downloaded: Option<bool>,
}

/// Most resources one `find` returns.
pub(crate) const MAX_PAGE_SIZE: u32 = 200;

/// What the running task's imports reach.
pub(crate) trait TaskLink: Send + Sync {
    /// Progress: `done` of `total` units, and what is being done.
    fn progress(&self, done: u64, total: Option<u64>, message: String);
    /// Whether the task was cancelled.
    fn cancelled(&self) -> bool;
    /// Queues another task; its id, or why not.
    fn submit(&self, kind: String, payload: String) -> BoxFuture<'_, Result<u64, String>>;
    /// One page of resources in code order.
    fn find(
        &self,
        query: LibraryQuery,
        page: u32,
        page_size: u32,
    ) -> BoxFuture<'_, Result<Vec<LibraryItem>, String>>;
}
