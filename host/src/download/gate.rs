//! Requests ahead, bodies in order: up to `concurrency` parts read their bodies at once,
//! the earliest in the stream first, while up to `request_ahead` more have their
//! requests out and wait, headers in hand, for a reader to finish. A site's latency is
//! then paid while other bodies arrive, not between them, without more bodies in
//! parallel: bytes land closer to stream order (most go straight into the joined
//! stream) and the site sees no more simultaneous transfers than `concurrency`.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// Which parts being fetched may read their bodies.
pub(crate) struct ReadGate {
    readers: usize,
    /// Part indices (stream order) being fetched.
    fetching: Mutex<BTreeSet<usize>>,
    changed: Notify,
}

/// A part's place at the gate, given up when dropped (its fetch ended or was aborted).
pub(crate) struct Ticket {
    gate: Arc<ReadGate>,
    part: usize,
}

impl ReadGate {
    /// A gate letting `readers` (at least 1) parts read at once.
    pub(crate) fn new(readers: usize) -> Arc<Self> {
        Arc::new(Self {
            readers: readers.max(1),
            fetching: Mutex::new(BTreeSet::new()),
            changed: Notify::new(),
        })
    }

    /// Part `part` is being fetched from now until the ticket drops.
    pub(crate) fn enter(self: &Arc<Self>, part: usize) -> Ticket {
        self.lock().insert(part);
        Ticket {
            gate: Arc::clone(self),
            part,
        }
    }

    /// Waits until `part` is among the first `readers` parts being fetched.
    async fn wait_turn(&self, part: usize) {
        loop {
            let changed = self.changed.notified();
            if self.lock().range(..part).count() < self.readers {
                return;
            }
            changed.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<usize>> {
        self.fetching.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Ticket {
    /// Waits until this part may read its body.
    pub(crate) async fn wait_turn(&self) {
        self.gate.wait_turn(self.part).await;
    }

    /// The part's body is read: its place goes to the next part while the disk thread
    /// saves it (which may wait for the parts before it).
    pub(crate) fn leave(&self) {
        if self.gate.lock().remove(&self.part) {
            self.gate.changed.notify_waiters();
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.leave();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn the_earliest_parts_read_first() {
        let gate = ReadGate::new(2);
        let mut tickets: Vec<Ticket> = (0..4).map(|part| gate.enter(part)).collect();
        let quick = Duration::from_millis(50);
        for part in [0, 1] {
            tokio::time::timeout(quick, gate.wait_turn(part))
                .await
                .expect("among the first two");
        }
        let third = tokio::spawn({
            let gate = Arc::clone(&gate);
            async move { gate.wait_turn(2).await }
        });
        tokio::time::sleep(quick).await;
        assert!(!third.is_finished(), "part 2 waits while 0 and 1 read");
        // Part 3 ending frees no place before part 2; part 0 ending does.
        drop(tickets.pop());
        tokio::time::sleep(quick).await;
        assert!(!third.is_finished(), "part 2 still waits behind 0 and 1");
        drop(tickets.remove(0));
        tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("part 0 ended: part 2 reads")
            .expect("task");
    }
}
