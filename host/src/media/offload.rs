//! Running the media store's blocking work (file I/O, image decoding) on tokio's blocking
//! pool, and, in debug builds, the check that it never runs on an async thread.

use std::cell::Cell;

use super::{MediaError, MediaStore, Result};

thread_local! {
    /// Set while [`offload`] runs its work on this thread.
    static OFFLOADED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`, which may call the blocking [`MediaStore`] methods, on tokio's blocking
/// pool and waits for it.
pub(crate) async fn offload<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(move || {
        let _marked = Marked::enter();
        work()
    })
    .await
    .map_err(|error| MediaError::Offload {
        reason: error.to_string(),
    })
}

impl MediaStore {
    /// Runs `work` on this store off the async threads ([`offload`]).
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&MediaStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let media = self.clone();
        offload(move || work(&media)).await?
    }
}

/// Debug builds: panics when a blocking method named `what` is called on a thread inside
/// a tokio runtime other than through [`offload`] (an async worker, or a `block_on`).
/// Threads outside any runtime (the CLI's own, a plain test) may block.
pub(super) fn check_blocking_allowed(what: &str) {
    if cfg!(debug_assertions) {
        let allowed = OFFLOADED.get() || tokio::runtime::Handle::try_current().is_err();
        assert!(
            allowed,
            "MediaStore::{what} blocks: run it through media::offload, not on an async thread"
        );
    }
}

/// Marks this thread as running offloaded work until dropped.
struct Marked {
    previous: bool,
}

impl Marked {
    fn enter() -> Self {
        Self {
            previous: OFFLOADED.replace(true),
        }
    }
}

impl Drop for Marked {
    fn drop(&mut self) {
        OFFLOADED.set(self.previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn offloaded_work_may_block_and_async_threads_may_not() {
        assert!(offload(|| OFFLOADED.get()).await.unwrap());
        assert!(!OFFLOADED.get());
        offload(|| check_blocking_allowed("test")).await.unwrap();
        let on_async_thread = std::panic::catch_unwind(|| check_blocking_allowed("test"));
        assert_eq!(on_async_thread.is_err(), cfg!(debug_assertions));
        std::thread::spawn(|| check_blocking_allowed("test"))
            .join()
            .unwrap();
    }
}
