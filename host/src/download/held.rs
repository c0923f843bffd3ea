//! Parts held in memory while they wait for their turn in the joined stream, and the
//! budget every track of a download shares for them.

use std::fs::File;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::oneshot;

/// Bytes of the parts that arrived ahead of their turn kept in memory at most, by all
/// the tracks of a download together: enough for the parts read at once with the one
/// whose turn it is (8 parts of 2 MB), since among parts read together the one at the
/// turn is seldom the first to finish.
pub(crate) const HELD_BYTES: u64 = 16 * 1024 * 1024;

/// The bytes of early parts held in memory by every joiner of one download.
#[derive(Clone, Default)]
pub(crate) struct HeldBudget(Arc<AtomicU64>);

impl HeldBudget {
    pub(crate) fn held(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Room for another part to start in memory.
    pub(crate) fn has_room(&self) -> bool {
        self.held() < HELD_BYTES
    }

    /// Takes `bytes` if they fit.
    pub(crate) fn take(&self, bytes: u64) -> bool {
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                (held + bytes <= HELD_BYTES).then_some(held + bytes)
            })
            .is_ok()
    }

    pub(crate) fn give_back(&self, bytes: u64) {
        self.0.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// A part's bytes kept in memory, as they arrived.
#[derive(Default)]
pub(crate) struct Held {
    pub(crate) chunks: Vec<Bytes>,
    pub(crate) bytes: u64,
}

/// A whole part in memory waiting for its turn, and its fetch waiting to hear it saved.
pub(crate) struct Waiting {
    pub(crate) held: Held,
    pub(crate) saved: oneshot::Sender<()>,
}

/// Writes `chunks` in order.
pub(crate) fn write_chunks(file: &mut File, chunks: &[Bytes]) -> std::io::Result<()> {
    for chunk in chunks {
        file.write_all(chunk)?;
    }
    Ok(())
}
