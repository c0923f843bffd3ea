//! Watches the plugins directory and hot-swaps files that change.
//!
//! A file that is known to be whole (closed after writing, renamed into place, removed)
//! is picked up at once; other changes (a copy still being written) wait for a quiet
//! period, so a half-written file is rarely read.

use std::sync::Arc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::registry::Registry;

/// Pending notifications kept between two passes; more are coalesced into those.
const QUEUE: usize = 64;

/// What a directory event asks of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// A plugin file is whole: sync now.
    Settled,
    /// A plugin file is changing: sync after the quiet period.
    Changing,
}

impl Trigger {
    /// The trigger of one event, or `None` for events that change nothing (reads: the
    /// sync itself reads every changed file, and `kura` commands read them too).
    fn of(event: &notify::Event) -> Option<Self> {
        // Events were lost (the kernel's queue overflowed) or the directory itself
        // changed: only a full pass can tell what happened.
        if event.need_rescan() || event.paths.is_empty() {
            return Some(Self::Settled);
        }
        let is_plugin = event
            .paths
            .iter()
            .any(|path| path.extension().is_some_and(|ext| ext == "wasm"));
        if !is_plugin {
            return None;
        }
        match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(
                RenameMode::To | RenameMode::Both | RenameMode::From,
            ))
            | EventKind::Remove(_) => Some(Self::Settled),
            EventKind::Access(_) => None,
            _ => Some(Self::Changing),
        }
    }
}

/// Starts watching; the returned future runs until `shutdown` is cancelled.
pub(crate) fn watch(
    registry: Arc<Registry>,
    quiet_period: Duration,
    shutdown: CancellationToken,
) -> notify::Result<impl Future<Output = ()> + Send + 'static> {
    let dir = registry.runtime().config().dir.clone();
    std::fs::create_dir_all(&dir).map_err(notify::Error::io)?;
    let (sender, mut receiver) = mpsc::channel::<Trigger>(QUEUE);
    let mut watcher =
        notify::recommended_watcher(move |result: notify::Result<notify::Event>| match result {
            Ok(event) => {
                if let Some(trigger) = Trigger::of(&event) {
                    // A full queue already holds a pass that will see this change.
                    let _ = sender.try_send(trigger);
                }
            }
            Err(error) => {
                tracing::warn!(%error, "plugin directory watch error; rescanning");
                let _ = sender.try_send(Trigger::Settled);
            }
        })?;
    watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    tracing::info!(dir = %dir.display(), "watching plugins directory");
    Ok(async move {
        // Keep the watcher alive for as long as the loop runs.
        let _watcher = watcher;
        let mut due: Option<Instant> = None;
        loop {
            let quiet_over = async {
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let settled = tokio::select! {
                () = shutdown.cancelled() => break,
                () = quiet_over => true,
                trigger = receiver.recv() => match trigger {
                    None => break,
                    Some(first) => {
                        let mut settled = first == Trigger::Settled;
                        while let Ok(next) = receiver.try_recv() {
                            settled |= next == Trigger::Settled;
                        }
                        settled
                    }
                },
            };
            if settled {
                due = None;
                registry.sync_dir().await;
            } else {
                due = Some(Instant::now() + quiet_period);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RemoveKind};

    fn check(kind: EventKind, path: &str, expected: Option<Trigger>) {
        let event = notify::Event::new(kind).add_path(path.into());
        assert_eq!(Trigger::of(&event), expected, "{kind:?} {path}");
    }

    #[test]
    fn whole_files_sync_at_once_and_reads_are_ignored() {
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        let renamed = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        let written = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        let created = EventKind::Create(CreateKind::File);
        let read = EventKind::Access(AccessKind::Close(AccessMode::Read));
        check(closed, "/p/a.wasm", Some(Trigger::Settled));
        check(renamed, "/p/a.wasm", Some(Trigger::Settled));
        check(
            EventKind::Remove(RemoveKind::File),
            "/p/a.wasm",
            Some(Trigger::Settled),
        );
        check(written, "/p/a.wasm", Some(Trigger::Changing));
        check(created, "/p/a.wasm", Some(Trigger::Changing));
        check(read, "/p/a.wasm", None);
        // Temporary files of a copy in progress, and other files, change nothing.
        check(closed, "/p/.a.wasm.incoming", None);
        check(renamed, "/p/notes.txt", None);
        // Lost events ask for a full pass.
        let overflow = notify::Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan);
        assert_eq!(Trigger::of(&overflow), Some(Trigger::Settled));
        assert_eq!(
            Trigger::of(&notify::Event::new(EventKind::Any)),
            Some(Trigger::Settled)
        );
    }
}
