//! The event bus: every module reports what happened here, as an [`Event`]; the API
//! streams it.
//!
//! Each event has a monotonic id; the bus keeps the newest [`BACKLOG`] of them so a
//! client that reconnects with the last id it saw gets what it missed, then live events,
//! with no gap and no duplicate. Ids restart at 1 with each run of the server; the run's
//! random `boot` id tells a client that this happened.
//!
//! With Redis (`redis.url`), the bus is attached to the cluster's relay: what is
//! published goes out through the relay's outlet, and comes back numbered in the
//! deployment's one order through [`EventBus::deliver`]; the boot id is then the
//! stream's epoch, the same on every host. While Redis cannot be used the bus is
//! detached and numbers events itself under a fresh boot id; live subscribers learn of
//! each switch through [`EventBus::boot_changes`].

mod backlog;
mod kinds;
mod library;
mod plugin;
mod plugin_update;
mod schedule;
mod task;

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use tokio::sync::{broadcast, mpsc, watch};

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

/// An event as the relay carries it between hosts: `{type, at_ms, data}`, the id to be
/// given by the deployment's one sequence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unnumbered {
    /// Unix ms when it was published.
    pub(crate) at_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

impl Unnumbered {
    /// `event`, published now.
    pub(crate) fn now(event: Event) -> Self {
        Self {
            at_ms: crate::util::unix_ms(std::time::SystemTime::now()),
            event,
        }
    }

    /// The event with its id.
    pub(crate) fn numbered(self, id: u64) -> Published {
        Published {
            id,
            at_ms: self.at_ms,
            event: self.event,
        }
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
    sender: broadcast::Sender<Arc<Published>>,
    /// Held while an event is numbered, appended and sent, and while a subscriber takes
    /// its snapshot and its receiver: that is what makes replay + live gap-free.
    state: Mutex<State>,
    /// Where events go while attached to the relay.
    outlet: OnceLock<mpsc::UnboundedSender<Event>>,
    /// The boot id, for live subscribers that must learn it changed.
    boot_changes: watch::Sender<String>,
    backlog_capacity: usize,
}

struct State {
    boot: String,
    latest: u64,
    backlog: Backlog,
    /// Attached to the relay: ids come from the deployment's sequence.
    relayed: bool,
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
        let boot = fresh_boot();
        Self {
            inner: Arc::new(Inner {
                sender,
                state: Mutex::new(State {
                    boot: boot.clone(),
                    latest: 0,
                    backlog: Backlog::new(backlog),
                    relayed: false,
                }),
                outlet: OnceLock::new(),
                boot_changes: watch::channel(boot).0,
                backlog_capacity: backlog,
            }),
        }
    }

    /// The id of this numbering of events, so a client can tell a restart (ids start
    /// again at 1): random per run, or the relay's epoch while attached to it.
    pub fn boot(&self) -> String {
        self.lock().boot.clone()
    }

    /// Changes of [`EventBus::boot`]: a live subscriber's ids mean nothing after one.
    pub(crate) fn boot_changes(&self) -> watch::Receiver<String> {
        self.inner.boot_changes.subscribe()
    }

    /// Publishes an event and returns its id; no subscriber is fine. While attached to
    /// the relay the event goes out through it and 0 is returned: its id is given when
    /// it comes back through [`EventBus::deliver`].
    pub fn publish(&self, event: Event) -> u64 {
        let mut state = self.lock();
        let event = match self.inner.outlet.get() {
            Some(outlet) if state.relayed => match outlet.send(event) {
                Ok(()) => return 0,
                Err(returned) => returned.0,
            },
            _ => event,
        };
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

    /// Where events go while attached (set once, by the relay).
    pub(crate) fn set_outlet(&self, outlet: mpsc::UnboundedSender<Event>) {
        let _ = self.inner.outlet.set(outlet);
    }

    /// Attaches to the relay: `epoch` becomes the boot id, `latest` the newest id, and
    /// `recent` (oldest first, ids contiguous, ending at `latest`) the backlog.
    pub(crate) fn attach(&self, epoch: &str, latest: u64, recent: Vec<Published>) {
        let mut state = self.lock();
        state.backlog = Backlog::new(self.inner.backlog_capacity);
        let start = recent.len().saturating_sub(self.inner.backlog_capacity);
        for event in recent.into_iter().skip(start) {
            if event.id <= latest {
                state.backlog.push_after_gap(Arc::new(event));
            }
        }
        state.latest = latest;
        state.relayed = true;
        self.set_boot(&mut state, epoch.to_owned());
    }

    /// Detaches from the relay (Redis cannot be used): events are numbered here again,
    /// from 1, under a fresh boot id. Nothing happens when already detached.
    pub(crate) fn detach(&self) {
        let mut state = self.lock();
        if !state.relayed {
            return;
        }
        state.relayed = false;
        state.latest = 0;
        state.backlog = Backlog::new(self.inner.backlog_capacity);
        self.set_boot(&mut state, fresh_boot());
    }

    /// Delivers an event numbered by the relay (the deployment's order). One already
    /// delivered is ignored; after a gap (entries this host never read) the backlog
    /// starts again, so replay never spans the gap.
    pub(crate) fn deliver(&self, event: Published) {
        let mut state = self.lock();
        if !state.relayed || event.id <= state.latest {
            return;
        }
        let event = Arc::new(event);
        state.latest = event.id;
        state.backlog.push_after_gap(event.clone());
        let _ = self.inner.sender.send(event);
    }

    fn set_boot(&self, state: &mut State, boot: String) {
        if state.boot != boot {
            state.boot = boot.clone();
            self.inner.boot_changes.send_replace(boot);
        }
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
        let boot = state.boot.clone();
        drop(state);
        Subscription {
            boot,
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

/// A random boot id (not secret, only distinct per numbering).
fn fresh_boot() -> String {
    let mut boot = [0u8; 8];
    if getrandom::fill(&mut boot).is_err() {
        boot = crate::util::unix_ms(std::time::SystemTime::now()).to_le_bytes();
    }
    hex::encode(boot)
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

    /// Attached to the relay, published events leave through the outlet and come back
    /// numbered by it; duplicates are ignored, a gap restarts the backlog, and detaching
    /// numbers locally again under a fresh boot id; every switch is announced.
    #[test]
    fn the_relay_numbers_events_while_attached() {
        let bus = EventBus::with_backlog(64, 8);
        let local_boot = bus.boot();
        let (outlet, mut outbox) = mpsc::unbounded_channel();
        bus.set_outlet(outlet);
        // Not attached yet: the outlet is not used.
        assert_eq!(bus.publish(Event::PluginEnabled(Default::default())), 1);
        assert!(outbox.try_recv().is_err());
        let mut boots = bus.boot_changes();
        let relayed = |id| Published {
            id,
            at_ms: 1,
            event: Event::QueueStatus(Default::default()),
        };
        bus.attach("epoch-1", 40, (38..=40).map(relayed).collect());
        assert_eq!(bus.boot(), "epoch-1");
        assert!(boots.has_changed().expect("open"));
        boots.borrow_and_update();
        let mut live = bus.subscribe();
        assert_eq!(bus.publish(Event::PluginDisabled(Default::default())), 0);
        assert_eq!(
            outbox.try_recv().expect("sent to the relay").name(),
            "plugin_disabled"
        );
        assert!(
            live.try_recv().is_err(),
            "not delivered before the relay numbers it"
        );
        bus.deliver(relayed(41));
        bus.deliver(relayed(41));
        bus.deliver(relayed(40));
        assert_eq!(live.try_recv().expect("delivered").id, 41);
        assert!(live.try_recv().is_err(), "duplicates are ignored");
        let replay = bus.subscribe_since(Some(37));
        let ids: Vec<u64> = replay.replay.iter().map(|e| e.id).collect();
        assert_eq!(
            (ids, replay.latest, replay.boot.as_str()),
            ((38..=41).collect(), 41, "epoch-1")
        );
        // Entries this host never read: the backlog starts again after the gap.
        bus.deliver(relayed(50));
        assert!(bus.subscribe_since(Some(41)).resync);
        assert_eq!(bus.subscribe_since(Some(49)).replay.len(), 1);
        bus.detach();
        let detached = bus.boot();
        assert!(detached != "epoch-1" && detached != local_boot);
        assert!(boots.has_changed().expect("open"));
        assert_eq!(bus.publish(Event::PluginEnabled(Default::default())), 1);
        assert!(outbox.try_recv().is_err());
        // Events the relay delivers late, after detaching, are not mixed in.
        bus.deliver(relayed(51));
        assert_eq!(bus.subscribe_since(Some(0)).latest, 1);
        bus.detach();
        assert_eq!(bus.boot(), detached, "detaching twice changes nothing");
    }

    /// An event crosses hosts as `{type, at_ms, data}` and reads back whole.
    #[test]
    fn an_unnumbered_event_reads_back() {
        for event in Event::samples() {
            let unnumbered = Unnumbered::now(event.clone());
            let text = serde_json::to_string(&unnumbered).expect("serializes");
            let back: Unnumbered = serde_json::from_str(&text).expect("reads back");
            let published = back.numbered(7);
            assert_eq!((published.id, &published.event), (7, &event), "{text}");
            assert!(
                text.contains(r#""type":"#) && text.contains(r#""at_ms":"#),
                "{text}"
            );
        }
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
