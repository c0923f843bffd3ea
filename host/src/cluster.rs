//! Several `kura serve` hosts as one server, through the Redis they share
//! (`redis.url`): the event relay gives every host every host's events in one order
//! ([`relay`]), and signals tell the other hosts that a task was queued or that a
//! running task is to be cancelled ([`signals`]). Without `redis.url` nothing here runs
//! and the event bus delivers in the process.
//!
//! Redis keys and channels, each under `redis.key_prefix` (default `kura`):
//! - `{prefix}:events`: a stream of the events, trimmed to about `redis.stream_length`;
//!   each entry holds `n` (the event's id) and `e` (its JSON without the id);
//! - `{prefix}:events:seq`: the last id given;
//! - `{prefix}:events:epoch`: a random id of this stream's life, the `boot` clients
//!   see: it changes only when Redis lost the stream, and then ids start again;
//! - `{prefix}:signals`: a pub/sub channel of [`Signal`]s, each `{from, signal}` in JSON.

mod relay;
mod signals;

use std::sync::{Arc, Mutex, PoisonError};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::RedisConfig;
use crate::events::EventBus;

pub(crate) use signals::{Signal, Signals};

/// Why Redis could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClusterError {
    /// The URL does not name a Redis server the client can use.
    #[error("redis.url: {0}")]
    Url(String),
}

/// The Redis names of one deployment.
#[derive(Debug, Clone)]
struct Keys {
    events: String,
    seq: String,
    epoch: String,
    signals: String,
}

impl Keys {
    fn new(prefix: &str) -> Self {
        Self {
            events: format!("{prefix}:events"),
            seq: format!("{prefix}:events:seq"),
            epoch: format!("{prefix}:events:epoch"),
            signals: format!("{prefix}:signals"),
        }
    }
}

/// Whether Redis answers, as the relay last found it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Health {
    state: Arc<Mutex<Option<String>>>,
}

impl Health {
    fn up(&self) {
        *self.lock() = None;
    }

    fn down(&self, reason: String) {
        *self.lock() = Some(reason);
    }

    /// `Err` with the reason while Redis cannot be used (events then stay on this host).
    pub(crate) fn check(&self) -> Result<(), String> {
        match &*self.lock() {
            None => Ok(()),
            Some(reason) => Err(reason.clone()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running link to Redis: the relay and the signals.
#[derive(Clone)]
pub(crate) struct Cluster {
    health: Health,
    signals: Signals,
}

impl Cluster {
    /// Starts the relay for `bus` and the signal listener on `tracker`; both keep
    /// reconnecting until `shutdown`. Redis need not be up yet: until it is, events stay
    /// on this host and [`Cluster::health`] says why.
    pub(crate) fn start(
        config: &RedisConfig,
        host: &str,
        bus: &EventBus,
        tracker: &TaskTracker,
        shutdown: CancellationToken,
    ) -> Result<Self, ClusterError> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|error| ClusterError::Url(error.to_string()))?;
        let keys = Keys::new(&config.key_prefix);
        let health = Health::default();
        health.down("not connected yet".to_owned());
        let relay = relay::Relay {
            client: client.clone(),
            keys: keys.clone(),
            bus: bus.clone(),
            stream_length: config.stream_length,
            health: health.clone(),
        };
        tracker.spawn(relay.run(shutdown.clone()));
        let (signals, queued) = Signals::new(client, keys.signals, host.to_owned());
        tracker.spawn(signals.clone().send_queued(queued, shutdown.clone()));
        tracker.spawn(signals.clone().listen(shutdown));
        Ok(Self { health, signals })
    }

    /// Whether Redis answers.
    pub(crate) fn health(&self) -> &Health {
        &self.health
    }

    /// Signals to and from the other hosts.
    pub(crate) fn signals(&self) -> &Signals {
        &self.signals
    }
}
