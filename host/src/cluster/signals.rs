//! Signals between hosts over a Redis pub/sub channel: "a task was queued in this lane"
//! (idle workers elsewhere claim it at once instead of at their next poll) and "cancel
//! this task" (the host running it stops it at once instead of at its next heartbeat).
//! A signal is a hint: a host that misses one still finds the task by polling.

use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// Pause between reconnection attempts of the listener.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);
/// Deadline of one PUBLISH.
const SEND_TIMEOUT: Duration = Duration::from_secs(2);

/// What one host tells the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Signal {
    /// A task was queued in this lane.
    Queued { lane: String },
    /// This task is to be cancelled wherever it runs.
    Cancel { task: i64 },
}

/// A signal on the wire, with the host that sent it (which ignores its own).
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    from: String,
    #[serde(flatten)]
    signal: Signal,
}

/// Sends signals to the other hosts and hands out the ones they send.
#[derive(Clone)]
pub(crate) struct Signals {
    client: redis::Client,
    channel: String,
    host: String,
    received: broadcast::Sender<Signal>,
    sender: std::sync::Arc<tokio::sync::OnceCell<redis::aio::ConnectionManager>>,
}

impl Signals {
    pub(super) fn new(client: redis::Client, channel: String, host: String) -> Self {
        Self {
            client,
            channel,
            host,
            received: broadcast::channel(256).0,
            sender: Default::default(),
        }
    }

    /// Tells the other hosts, in the background; a signal that cannot be sent is
    /// dropped (the others poll).
    pub(crate) fn send(&self, signal: Signal) {
        let this = self.clone();
        tokio::spawn(async move {
            let envelope = Envelope {
                from: this.host.clone(),
                signal,
            };
            let Ok(json) = serde_json::to_string(&envelope) else {
                return;
            };
            let sent = tokio::time::timeout(SEND_TIMEOUT, async {
                let connection = this
                    .sender
                    .get_or_try_init(|| this.client.get_connection_manager())
                    .await?;
                let mut connection = connection.clone();
                redis::cmd("PUBLISH")
                    .arg(&this.channel)
                    .arg(json)
                    .query_async::<i64>(&mut connection)
                    .await
            })
            .await;
            if let Ok(Err(error)) = sent {
                tracing::debug!(%error, "a signal to the other hosts was not sent");
            }
        });
    }

    /// The signals other hosts send from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.received.subscribe()
    }

    /// Listens to the channel until `shutdown`, reconnecting after every failure.
    pub(super) async fn listen(self, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                () = self.listen_once() => {}
                () = shutdown.cancelled() => return,
            }
            tokio::select! {
                () = tokio::time::sleep(RECONNECT_PAUSE) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    async fn listen_once(&self) {
        let mut pubsub = match self.client.get_async_pubsub().await {
            Ok(pubsub) => pubsub,
            Err(error) => {
                tracing::debug!(%error, "the signal listener cannot connect to Redis");
                return;
            }
        };
        if let Err(error) = pubsub.subscribe(&self.channel).await {
            tracing::debug!(%error, "the signal listener cannot subscribe");
            return;
        }
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            let Ok(text) = message.get_payload::<String>() else {
                continue;
            };
            match serde_json::from_str::<Envelope>(&text) {
                Ok(envelope) if envelope.from != self.host => {
                    let _ = self.received.send(envelope.signal);
                }
                Ok(_) => {}
                Err(error) => tracing::debug!(%error, "an unreadable signal was ignored"),
            }
        }
    }
}
