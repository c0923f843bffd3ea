//! Signals between hosts over a Redis pub/sub channel: a task was queued (idle
//! workers elsewhere claim it at once instead of at their next poll), a task is to be
//! cancelled (the host running it stops it at once instead of at its next heartbeat),
//! the plugins or the source cookies changed (the others read them again). A signal is
//! a hint: a host that misses one still finds the task by polling, and reads plugins
//! and cookies again when it restarts.

use std::time::Duration;

use futures_util::StreamExt;
use redis::Value;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

/// Pause between reconnection attempts of the listener.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);
/// Deadline of one PUBLISH or PING.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the listener pings, so a connection that died without a word (a network
/// partition, a NAT's idle timeout) is noticed and replaced.
const PING_EVERY: Duration = Duration::from_secs(15);
/// Signals waiting to be sent; more are dropped (they are hints).
const OUTBOX: usize = 256;

/// What one host tells the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Signal {
    /// A task was queued (idle workers of every lane look: a lane with nothing for
    /// them finds nothing, as at a poll).
    Queued,
    /// This task is to be cancelled wherever it runs.
    Cancel { task: i64 },
    /// An operator changed the plugins (upload, switch, rollback): read the shared
    /// plugins directory and switches again.
    Plugins,
    /// A source cookie was stored: read the stored cookies again.
    Cookies,
}

/// A signal on the wire, with the host that sent it (which ignores its own).
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    from: String,
    signal: Signal,
}

/// Sends signals to the other hosts and hands out the ones they send.
#[derive(Clone)]
pub(crate) struct Signals {
    client: redis::Client,
    channel: String,
    host: String,
    outbox: mpsc::Sender<Signal>,
    received: broadcast::Sender<Signal>,
}

impl Signals {
    /// The signals of `host`, and the queue its sender task drains.
    pub(super) fn new(
        client: redis::Client,
        channel: String,
        host: String,
    ) -> (Self, mpsc::Receiver<Signal>) {
        let (outbox, queued) = mpsc::channel(OUTBOX);
        let signals = Self {
            client,
            channel,
            host,
            outbox,
            received: broadcast::channel(256).0,
        };
        (signals, queued)
    }

    /// Tells the other hosts, without waiting; dropped when too many wait.
    pub(crate) fn send(&self, signal: Signal) {
        if self.outbox.try_send(signal).is_err() {
            tracing::debug!("a signal to the other hosts was dropped: too many wait");
        }
    }

    /// The signals other hosts send from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.received.subscribe()
    }

    /// Publishes the queued signals until `shutdown`; one that cannot be sent is dropped.
    pub(super) async fn send_queued(
        self,
        mut queued: mpsc::Receiver<Signal>,
        shutdown: CancellationToken,
    ) {
        let mut connection: Option<ConnectionManager> = None;
        loop {
            let signal = tokio::select! {
                signal = queued.recv() => match signal {
                    Some(signal) => signal,
                    None => return,
                },
                () = shutdown.cancelled() => return,
            };
            let envelope = Envelope {
                from: self.host.clone(),
                signal,
            };
            let Ok(json) = serde_json::to_string(&envelope) else {
                continue;
            };
            let sent = tokio::time::timeout(COMMAND_TIMEOUT, async {
                if connection.is_none() {
                    connection = Some(self.client.get_connection_manager().await?);
                }
                let Some(connection) = connection.as_mut() else {
                    return Ok(());
                };
                redis::cmd("PUBLISH")
                    .arg(&self.channel)
                    .arg(json)
                    .query_async::<i64>(connection)
                    .await
                    .map(drop)
            })
            .await;
            match sent {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::debug!(%error, "a signal was not sent"),
                Err(_) => tracing::debug!("a signal was not sent in time"),
            }
        }
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

    /// One connection's life: until it fails, stops answering pings, or ends.
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
        let (mut sink, mut messages) = pubsub.split();
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
        loop {
            tokio::select! {
                message = messages.next() => {
                    let Some(message) = message else { return };
                    self.hand_out(message.get_payload::<String>().ok());
                }
                _ = ping.tick() => {
                    let answered = tokio::time::timeout(COMMAND_TIMEOUT, sink.ping::<Value>()).await;
                    if !matches!(answered, Ok(Ok(_))) {
                        tracing::debug!("the signal listener's connection stopped answering");
                        return;
                    }
                }
            }
        }
    }

    fn hand_out(&self, text: Option<String>) {
        let Some(text) = text else { return };
        match serde_json::from_str::<Envelope>(&text) {
            Ok(envelope) if envelope.from != self.host => {
                let _ = self.received.send(envelope.signal);
            }
            Ok(_) => {}
            Err(error) => tracing::debug!(%error, "an unreadable signal was ignored"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire form other hosts read, and a signal read back whole.
    #[test]
    fn envelopes_keep_their_shape() {
        for (signal, wire) in [
            (Signal::Queued, r#"{"from":"h1","signal":"queued"}"#),
            (
                Signal::Cancel { task: 7 },
                r#"{"from":"h1","signal":{"cancel":{"task":7}}}"#,
            ),
            (Signal::Plugins, r#"{"from":"h1","signal":"plugins"}"#),
            (Signal::Cookies, r#"{"from":"h1","signal":"cookies"}"#),
        ] {
            let envelope = Envelope {
                from: "h1".to_owned(),
                signal: signal.clone(),
            };
            assert_eq!(serde_json::to_string(&envelope).expect("json"), wire);
            let back: Envelope = serde_json::from_str(wire).expect("reads back");
            assert_eq!(back.signal, signal);
        }
    }
}
