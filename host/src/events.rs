//! The event bus: every module reports what happened here, as an [`Event`]; the API
//! streams it.
//!
//! Each event has a monotonic id; the bus keeps the newest [`BACKLOG`] of them so a
//! client that reconnects with the last id it saw gets what it missed, then live events,
//! with no gap and no duplicate. Ids restart at 1 with each run of the server; the run's
//! random `boot` id tells a client that this happened.

mod backlog;
mod kinds;
mod library;
mod plugin;
mod plugin_update;
mod schedule;
mod task;

use std::sync::{Arc, Mutex, PoisonError};

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use tokio::sync::broadcast;

use backlog::{Backlog, Since};

pub use kinds::Event;
pub(crate) use library::CodeEvent;
pub use library::ResourceEvent;
pub(crate) use plugin::{PluginEvent, PluginFailedEvent, PluginReadyEvent, PluginRolledBackEvent};
pub(crate) use plugin_update::{
    PluginIndexErrorEvent, PluginUpdateInstalledEvent, PluginUpdatePendingEvent,
    PluginUpdateRefusedEvent, PluginUpdateRolledBackEvent, UpdateTimings,
};
pub(crate) use schedule::ScheduleEvent;
pub(crate) use task::QueueStatusEvent;
pub use task::{ProgressEvent, TaskEvent, TaskFailedEvent};

/// How many past events the bus keeps for clients that reconnect.
pub const BACKLOG: usize = 2048;

/// How many events a live subscriber may fall behind before it lags (and is told so).
pub const LIVE_CAPACITY: usize = 1024;

/// One published event, as sent to clients: `{id, type, at_ms, data}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Published {
    /// Monotonic within a run of the server, from 1.
    pub(crate) id: u64,
    /// Unix ms when it was published.
    pub(crate) at_ms: u64,
    /// What happened: `type` and `data` on the wire.
    #[serde(flatten)]
    pub event: Event,
}

impl Published {
    /// The event's type name.
    pub(crate) fn name(&self) -> &'static str {
        self.event.name()
    }
}

impl Serialize for Published {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut wire = serializer.serialize_struct("Published", 4)?;
        wire.serialize_field("id", &self.id)?;
        wire.serialize_field("type", self.event.name())?;
        wire.serialize_field("at_ms", &self.at_ms)?;
        wire.serialize_field("data", &self.event.data())?;
        wire.end()
    }
}

/// A cheap-to-clone handle on the bus.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

struct Inner {
    boot: String,
    sender: broadcast::Sender<Arc<Published>>,
    /// Held while an event is numbered, appended and sent, and while a subscriber takes
    /// its snapshot and its receiver: that is what makes replay + live gap-free.
    state: Mutex<State>,
}

struct State {
    latest: u64,
    backlog: Backlog,
}

/// What [`EventBus::subscribe_since`] hands a client.
pub(crate) struct Subscription {
    /// This run's id (random per start).
    pub(crate) boot: String,
    /// The newest id at the moment of subscribing (0 before the first event).
    pub(crate) latest: u64,
    /// The missed events, oldest first; then [`Subscription::live`] continues right after.
    pub(crate) replay: Vec<Arc<Published>>,
    /// The client's state cannot be brought up to date by replay: it should reload.
    pub(crate) resync: bool,
    /// How many events after the client's id are gone (0 when unknown or none).
    pub(crate) missed: u64,
    /// Events published after the snapshot.
    pub(crate) live: broadcast::Receiver<Arc<Published>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(LIVE_CAPACITY)
    }
}

impl EventBus {
    /// A bus whose slow subscribers lag (and are told so) after `capacity` events.
    pub(crate) fn new(capacity: usize) -> Self {
        Self::with_backlog(capacity, BACKLOG)
    }

    /// A bus with a chosen backlog size (tests use small ones).
    pub(crate) fn with_backlog(capacity: usize, backlog: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        let mut boot = [0u8; 8];
        if getrandom::fill(&mut boot).is_err() {
            // Not secret, only distinct per run: the clock will do.
            boot = crate::util::unix_ms(std::time::SystemTime::now()).to_le_bytes();
        }
        Self {
            inner: Arc::new(Inner {
                boot: hex::encode(boot),
                sender,
                state: Mutex::new(State {
                    latest: 0,
                    backlog: Backlog::new(backlog),
                }),
            }),
        }
    }

    /// This run's id, so a client can tell a restart (ids start again at 1).
    pub fn boot(&self) -> &str {
        &self.inner.boot
    }

    /// Publishes an event and returns its id; no subscriber is fine.
    pub fn publish(&self, event: Event) -> u64 {
        let mut state = self.lock();
        let id = state.latest + 1;
        let event = Arc::new(Published {
            id,
            at_ms: crate::util::unix_ms(std::time::SystemTime::now()),
            event,
        });
        state.latest = id;
        state.backlog.push(event.clone());
        let _ = self.inner.sender.send(event);
        id
    }

    /// Receives events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.inner.sender.subscribe()
    }

    /// Receives the events after `last_id` still in the backlog, then live ones, with
    /// no gap and no duplicate. `None` (a fresh client) replays nothing.
    pub(crate) fn subscribe_since(&self, last_id: Option<u64>) -> Subscription {
        let state = self.lock();
        let live = self.inner.sender.subscribe();
        let (replay, resync, missed) = match last_id.map(|id| state.backlog.since(id, state.latest))
        {
            None => (Vec::new(), false, 0),
            Some(Since::Replay(events)) => (events, false, 0),
            Some(Since::TooOld { missed }) => (Vec::new(), true, missed),
            Some(Since::Unknown) => (Vec::new(), true, 0),
        };
        let latest = state.latest;
        drop(state);
        Subscription {
            boot: self.inner.boot.clone(),
            latest,
            replay,
            resync,
            missed,
            live,
        }
    }

    /// How many events the backlog holds now.
    pub fn backlog_len(&self) -> usize {
        self.lock().backlog.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something did, the state is still whole.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_monotonic_and_the_backlog_bounded() {
        let bus = EventBus::with_backlog(8, 16);
        for n in 1..=100 {
            assert_eq!(bus.publish(Event::QueueStatus(Default::default())), n);
        }
        assert_eq!(bus.backlog_len(), 16);
        let sub = bus.subscribe_since(Some(90));
        assert_eq!(sub.latest, 100);
        assert!(!sub.resync);
        let ids: Vec<u64> = sub.replay.iter().map(|e| e.id).collect();
        assert_eq!(ids, (91..=100).collect::<Vec<_>>());
        let old = bus.subscribe_since(Some(10));
        assert!(old.resync);
        assert_eq!(old.missed, 74);
        let foreign = bus.subscribe_since(Some(1000));
        assert!(foreign.resync && foreign.replay.is_empty());
        let fresh = bus.subscribe_since(None);
        assert!(!fresh.resync && fresh.replay.is_empty());
    }

    #[test]
    fn the_wire_shape_is_kept() {
        let bus = EventBus::default();
        bus.publish(Event::ResourceAdded(ResourceEvent {
            code: "ABC-123".into(),
            source: "demo".into(),
        }));
        let sub = bus.subscribe_since(Some(0));
        let text = serde_json::to_string(&*sub.replay[0]).expect("serializes");
        let wire: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let at_ms = text.find(r#","at_ms":"#).expect("at_ms");
        assert!(
            text.starts_with(r#"{"id":1,"type":"resource_added","#),
            "{text}"
        );
        assert!(text[at_ms..].contains(r#","data":{"#), "{text}");
        assert_eq!(wire["id"], 1);
        assert_eq!(wire["type"], "resource_added");
        assert_eq!(wire["data"], json!({ "code": "ABC-123", "source": "demo" }));
        assert!(wire["at_ms"].as_u64().is_some_and(|ms| ms > 0));
        let back: Published = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back, *sub.replay[0]);
        assert_eq!(bus.boot().len(), 16);
        assert_ne!(bus.boot(), EventBus::default().boot());
    }

    /// Subscribers that join while several threads publish see every id after their
    /// cursor exactly once, in order: replay then live, no gap, no duplicate.
    #[test]
    fn no_gap_and_no_duplicate_under_concurrent_publish() {
        const PUBLISHERS: u64 = 4;
        const EACH: u64 = 20_000;
        const TOTAL: u64 = PUBLISHERS * EACH;
        let bus = EventBus::with_backlog(TOTAL as usize, 512);
        let publishers: Vec<_> = (0..PUBLISHERS)
            .map(|_| {
                let bus = bus.clone();
                std::thread::spawn(move || {
                    for _ in 0..EACH {
                        bus.publish(Event::PluginEnabled(Default::default()));
                    }
                })
            })
            .collect();
        while !publishers.iter().all(|p| p.is_finished()) {
            let cursor = bus.lock().latest.saturating_sub(100);
            let mut sub = bus.subscribe_since(Some(cursor));
            if sub.resync {
                // Publishers ran more than the backlog ahead between the two locks.
                assert!(sub.latest > cursor + 512 && sub.replay.is_empty());
                continue;
            }
            let mut expected = cursor + 1;
            for event in &sub.replay {
                assert_eq!(event.id, expected, "replay");
                expected += 1;
            }
            assert_eq!(expected, sub.latest + 1, "replay ends at the snapshot");
            // Live continues exactly where the snapshot ended.
            let until = (sub.latest + 1_000).min(TOTAL);
            while expected <= until {
                match sub.live.try_recv() {
                    Ok(event) => {
                        assert_eq!(event.id, expected, "live");
                        expected += 1;
                    }
                    Err(broadcast::error::TryRecvError::Empty) => std::thread::yield_now(),
                    Err(other) => panic!("{other:?}"),
                }
            }
        }
        for publisher in publishers {
            publisher.join().expect("publisher");
        }
        assert_eq!(bus.lock().latest, TOTAL);
        assert_eq!(bus.backlog_len(), 512);
    }
}
