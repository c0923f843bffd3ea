//! What a running task plugin may ask of the host (`kura:plugin/task-context` and
//! `kura:plugin/library`): progress, cancellation, the clock, more tasks, and read-only
//! library queries. Natively (in `cargo test`) they do nothing: progress is dropped, the
//! task is never cancelled, the library is empty and submits are refused.

pub use crate::wit::kura::plugin::library::{Item, Query};

/// Reports progress: `done` of `total` units and what is being done.
pub fn progress(done: u64, total: Option<u64>, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::wit::kura::plugin::task_context::progress(done, total, message);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (done, total, message);
}

/// Whether the task was cancelled: stop and return soon.
pub fn cancelled() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        crate::wit::kura::plugin::task_context::cancelled()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        false
    }
}

/// The host's clock, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        crate::wit::kura::plugin::task_context::now_ms()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| {
                i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
            })
    }
}

/// Queues a task of `kind` with a JSON payload; its id, or why it was refused.
pub fn submit(kind: &str, payload: &serde_json::Value) -> Result<u64, String> {
    #[cfg(target_arch = "wasm32")]
    {
        crate::wit::kura::plugin::task_context::submit(kind, &payload.to_string())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        Err(format!("no queue in a native test ({kind} {payload})"))
    }
}

/// One page (1-based) of resources in code order; at most 200 per page; empty: no more.
/// An error: the library could not be read now (fail the attempt with `network` so it is
/// retried).
pub fn find(query: &Query, page: u32, page_size: u32) -> Result<Vec<Item>, String> {
    #[cfg(target_arch = "wasm32")]
    {
        crate::wit::kura::plugin::library::find(query, page, page_size)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (query, page, page_size);
        Ok(Vec::new())
    }
}
