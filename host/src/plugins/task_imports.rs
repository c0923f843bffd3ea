//! The host imports only task plugins get: `task-context` (progress, cancellation, more
//! tasks) and `library` (read-only queries), served through the call's [`TaskLink`].

use super::bindings::v0_2::{library, task_context};
use super::state::PluginState;
use super::task_link::{LibraryQuery, MAX_PAGE_SIZE};

/// Longest progress message passed on.
const MAX_MESSAGE_CHARS: usize = 500;

impl task_context::Host for PluginState {
    async fn progress(
        &mut self,
        done: u64,
        total: Option<u64>,
        message: String,
    ) -> wasmtime::Result<()> {
        if let Some(task) = self.task() {
            let message: String = message
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_MESSAGE_CHARS)
                .collect();
            task.progress(done, total, message);
        }
        Ok(())
    }

    async fn now_ms(&mut self) -> wasmtime::Result<i64> {
        Ok(crate::store::now_ms())
    }

    async fn cancelled(&mut self) -> wasmtime::Result<bool> {
        Ok(self.task().is_some_and(|task| task.cancelled()))
    }

    async fn submit(
        &mut self,
        kind: String,
        payload: String,
    ) -> wasmtime::Result<Result<u64, String>> {
        Ok(match self.task().cloned() {
            Some(task) => task.submit(kind, payload).await,
            None => Err("only a running task may queue tasks".to_owned()),
        })
    }
}

impl library::Host for PluginState {
    async fn find(
        &mut self,
        query: library::Query,
        page: u32,
        page_size: u32,
    ) -> wasmtime::Result<Result<Vec<library::Item>, String>> {
        let Some(task) = self.task().cloned() else {
            return Ok(Ok(Vec::new()));
        };
        let query = LibraryQuery {
            search: query.search,
            source: query.source,
            downloaded: query.downloaded,
        };
        let found = task
            .find(query, page.max(1), page_size.clamp(1, MAX_PAGE_SIZE))
            .await;
        Ok(found.map(|items| {
            items
                .into_iter()
                .map(|item| library::Item {
                    code: item.code,
                    title: item.title,
                    source: item.source,
                    downloaded: item.downloaded,
                    updated_at_ms: item.updated_at_ms,
                })
                .collect()
        }))
    }
}
