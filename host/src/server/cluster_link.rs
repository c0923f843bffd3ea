//! This host's link to the other hosts: submits, cancels, plugin changes and cookies go
//! out as cluster signals, and the signals other hosts send wake this host's workers,
//! stop a task running here, or make it read the shared plugins directory or the stored
//! cookies again.

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::cluster::{Signal, Signals};
use crate::library::{CookiePeers, Library};
use crate::plugins::{PluginHost, PluginPeers};
use crate::tasks::{Peers, TaskQueue};

/// [`Peers`], [`PluginPeers`] and [`CookiePeers`] through the cluster's signals.
pub(super) struct ClusterPeers(pub(super) Signals);

impl Peers for ClusterPeers {
    fn queued(&self) {
        self.0.send(Signal::Queued);
    }

    fn cancel(&self, id: i64) {
        self.0.send(Signal::Cancel { task: id });
    }
}

impl PluginPeers for ClusterPeers {
    fn changed(&self) {
        self.0.send(Signal::Plugins);
    }
}

impl CookiePeers for ClusterPeers {
    fn cookie_set(&self) {
        self.0.send(Signal::Cookies);
    }
}

/// What the signals act on.
pub(super) struct Followers {
    pub(super) tasks: TaskQueue,
    pub(super) plugins: PluginHost,
    pub(super) library: Library,
}

/// Acts on the other hosts' signals until `shutdown`.
pub(super) async fn follow_signals(
    signals: Signals,
    followers: Followers,
    shutdown: CancellationToken,
) {
    let mut received = signals.subscribe();
    loop {
        let signal = tokio::select! {
            signal = received.recv() => signal,
            () = shutdown.cancelled() => return,
        };
        match signal {
            Ok(Signal::Queued) => followers.tasks.wake(),
            Ok(Signal::Cancel { task }) => followers.tasks.cancel_here(task),
            Ok(Signal::Plugins) => reread_plugins(&followers.plugins).await,
            Ok(Signal::Cookies) => reread_cookies(&followers.library).await,
            // Some were missed: do what any of them would have asked.
            Err(RecvError::Lagged(_)) => {
                followers.tasks.wake();
                reread_plugins(&followers.plugins).await;
                reread_cookies(&followers.library).await;
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// The shared plugins directory and switches, read again.
async fn reread_plugins(plugins: &PluginHost) {
    let registry = plugins.registry();
    registry.reload_switches();
    registry.sync_dir().await;
}

async fn reread_cookies(library: &Library) {
    if let Err(error) = library.restore_cookies().await {
        tracing::warn!(%error, "the cookies another host stored could not be read");
    }
}
