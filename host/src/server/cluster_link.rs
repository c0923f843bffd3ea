//! The queue's link to the other hosts: submits and cancels go out as cluster signals,
//! and the signals other hosts send wake this host's workers or stop a task running
//! here.

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::cluster::{Signal, Signals};
use crate::tasks::{Peers, TaskQueue};

/// [`Peers`] through the cluster's signals.
pub(super) struct ClusterPeers(pub(super) Signals);

impl Peers for ClusterPeers {
    fn queued(&self, lane: &str) {
        self.0.send(Signal::Queued {
            lane: lane.to_owned(),
        });
    }

    fn cancel(&self, id: i64) {
        self.0.send(Signal::Cancel { task: id });
    }
}

/// Acts on the other hosts' signals until `shutdown`.
pub(super) async fn follow_signals(
    signals: Signals,
    tasks: TaskQueue,
    shutdown: CancellationToken,
) {
    let mut received = signals.subscribe();
    loop {
        tokio::select! {
            signal = received.recv() => match signal {
                Ok(Signal::Queued { .. }) | Err(RecvError::Lagged(_)) => tasks.wake(),
                Ok(Signal::Cancel { task }) => tasks.cancel_here(task),
                Err(RecvError::Closed) => return,
            },
            () = shutdown.cancelled() => return,
        }
    }
}
