//! Watches the plugins directory and hot-swaps files that change, after a quiet period.

use std::sync::Arc;
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::registry::Registry;

/// Starts watching; the returned future runs until `shutdown` is cancelled.
pub fn watch(
    registry: Arc<Registry>,
    debounce: Duration,
    shutdown: CancellationToken,
) -> notify::Result<impl Future<Output = ()> + Send + 'static> {
    let dir = registry.runtime().config().dir.clone();
    std::fs::create_dir_all(&dir).map_err(notify::Error::io)?;
    let (sender, mut receiver) = mpsc::channel::<()>(1);
    let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
        match result {
            // Only changes count: opening and reading files (the rescan itself hashes
            // every plugin file, and `kura` commands read them) would otherwise start
            // rescans forever. A full channel already holds a pending rescan, which will
            // see this change.
            Ok(events)
                if events
                    .iter()
                    .any(|event| !matches!(event.kind, notify::EventKind::Access(_))) =>
            {
                let _ = sender.try_send(());
            }
            Ok(_) => {}
            Err(errors) => tracing::warn!(?errors, "plugin directory watch error"),
        }
    })?;
    debouncer.watch(&dir, RecursiveMode::NonRecursive)?;
    tracing::info!(dir = %dir.display(), "watching plugins directory");
    Ok(async move {
        // Keep the debouncer alive for as long as the loop runs.
        let _debouncer = debouncer;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                message = receiver.recv() => {
                    if message.is_none() {
                        break;
                    }
                    registry.sync_dir().await;
                }
            }
        }
    })
}
