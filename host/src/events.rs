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
    /// Increasing under one boot id, from 1: within a run of the server, or within the
    /// relay's epoch while attached to it (the same on every host).
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
    outlet: OnceLock<mpsc::UnboundedSender<Unnumbered>>,
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

/// What [`EventBus::deliver`] did with a relayed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivered {
    /// Numbered after the newest one (perhaps after a gap), kept and sent.
    Kept,
    /// Its id is not above the newest one: the stream went back (Redis lost it).
    Old,
    /// The bus is not attached.
    Ignored,
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

    /// The boot id and the newest id, read together.
    pub(crate) fn position(&self) -> (String, u64) {
        let state = self.lock();
        (state.boot.clone(), state.latest)
    }

    /// Told whenever ids stop following on from what a live subscriber saw: a new boot
    /// id (Redis lost or back), or a gap in the relay's sequence. Such a subscriber
    /// should reconnect and resume, which tells its client to resync.
    pub(crate) fn boot_changes(&self) -> watch::Receiver<String> {
        self.inner.boot_changes.subscribe()
    }

    /// Publishes an event; no subscriber is fine. Returns its id, or `None` while
    /// attached to the relay: the event then goes out through it, and gets its id when
    /// it comes back through [`EventBus::deliver`].
    pub fn publish(&self, event: Event) -> Option<u64> {
        metrics::counter!(crate::telemetry::EVENTS, "type" => event.name()).increment(1);
        let mut state = self.lock();
        let unnumbered = Unnumbered::now(event);
        let unnumbered = match self.inner.outlet.get() {
            Some(outlet) if state.relayed => match outlet.send(unnumbered) {
                Ok(()) => return None,
                // The relay is gone (shutting down): numbering here from now on, under
                // a boot id of this host's own, never under the shared epoch.
                Err(returned) => {
                    self.restart_locally(&mut state);
                    returned.0
                }
            },
            _ => unnumbered,
        };
        Some(self.number(&mut state, unnumbered))
    }

    /// Gives `event` the next local id, keeps it and sends it live.
    fn number(&self, state: &mut State, event: Unnumbered) -> u64 {
        let id = state.latest + 1;
        let event = Arc::new(event.numbered(id));
        state.latest = id;
        state.backlog.push(event.clone());
        let _ = self.inner.sender.send(event);
        id
    }

    /// Where events go while attached (set once, by the relay).
    pub(crate) fn set_outlet(&self, outlet: mpsc::UnboundedSender<Unnumbered>) {
        let _ = self.inner.outlet.set(outlet);
    }

    /// Attaches to the relay: `epoch` becomes the boot id, `latest` the newest id, and
    /// `recent` (oldest first, ending at `latest`) the backlog.
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
    /// from 1, under a fresh boot id. `unsent` (the events whose write failed, then what
    /// still waits in the relay's `outbox`) is numbered first, under the same lock, so
    /// nothing published meanwhile comes before it. Already detached, the boot id stays
    /// and only `unsent` is numbered.
    pub(crate) fn detach(
        &self,
        unsent: Vec<Unnumbered>,
        outbox: &mut mpsc::UnboundedReceiver<Unnumbered>,
    ) {
        let mut state = self.lock();
        if state.relayed {
            self.restart_locally(&mut state);
        }
        for event in unsent
            .into_iter()
            .chain(std::iter::from_fn(|| outbox.try_recv().ok()))
        {
            self.number(&mut state, event);
        }
    }

    fn restart_locally(&self, state: &mut State) {
        state.relayed = false;
        state.latest = 0;
        state.backlog = Backlog::new(self.inner.backlog_capacity);
        self.set_boot(state, fresh_boot());
    }

    /// Delivers an event numbered by the relay (the deployment's order). One already
    /// delivered is ignored. After a gap (entries this host never read) the backlog
    /// starts again, so replay never spans it, and live subscribers are told.
    pub(crate) fn deliver(&self, event: Published) -> Delivered {
        let mut state = self.lock();
        if !state.relayed {
            return Delivered::Ignored;
        }
        if event.id <= state.latest {
            return Delivered::Old;
        }
        let gap = event.id != state.latest + 1;
        let event = Arc::new(event);
        state.latest = event.id;
        state.backlog.push_after_gap(event.clone());
        if gap {
            self.inner.boot_changes.send_modify(|_| {});
        }
        let _ = self.inner.sender.send(event);
        Delivered::Kept
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
    /// no gap and no duplicate. `None` (a fresh client) replays nothing. `boot` is the
    /// boot id the client's `last_id` belongs to, when it says: another one means ids
    /// restarted since, so nothing is replayed and the client is told to resync. Both
    /// are compared under the lock that numbers events.
    pub(crate) fn subscribe_since(&self, last_id: Option<u64>, boot: Option<&str>) -> Subscription {
        let state = self.lock();
        let live = self.inner.sender.subscribe();
        let restarted = boot.is_some_and(|boot| boot != state.boot);
        let (replay, resync, missed) = match last_id {
            None => (Vec::new(), false, 0),
            Some(_) if restarted => (Vec::new(), true, 0),
            Some(id) => match state.backlog.since(id, state.latest) {
                Since::Replay(events) => (events, false, 0),
                Since::TooOld { missed } => (Vec::new(), true, missed),
                Since::Unknown => (Vec::new(), true, 0),
            },
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
            assert_eq!(bus.publish(Event::QueueStatus(Default::default())), Some(n));
        }
        assert_eq!(bus.backlog_len(), 16);
        let sub = bus.subscribe_since(Some(90), None);
        assert_eq!(sub.latest, 100);
        assert!(!sub.resync);
        let ids: Vec<u64> = sub.replay.iter().map(|e| e.id).collect();
        assert_eq!(ids, (91..=100).collect::<Vec<_>>());
        let old = bus.subscribe_since(Some(10), None);
        assert!(old.resync);
        assert_eq!(old.missed, 74);
        let foreign = bus.subscribe_since(Some(1000), None);
        assert!(foreign.resync && foreign.replay.is_empty());
        let fresh = bus.subscribe_since(None, None);
        assert!(!fresh.resync && fresh.replay.is_empty());
    }

    #[test]
    fn the_wire_shape_is_kept() {
        let bus = EventBus::default();
        bus.publish(Event::ResourceAdded(ResourceEvent {
            code: "ABC-123".into(),
            source: "demo".into(),
        }));
        let sub = bus.subscribe_since(Some(0), None);
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
    /// numbered by it; duplicates are ignored, a gap restarts the backlog and tells live
    /// subscribers, and detaching numbers what was on its way first, then locally again
    /// under a fresh boot id; a client's old boot id is never replayed against.
    #[test]
    fn the_relay_numbers_events_while_attached() {
        let bus = EventBus::with_backlog(64, 8);
        let local_boot = bus.boot();
        let (outlet, mut outbox) = mpsc::unbounded_channel();
        bus.set_outlet(outlet);
        // Not attached yet: the outlet is not used.
        assert_eq!(
            bus.publish(Event::PluginEnabled(Default::default())),
            Some(1)
        );
        assert!(outbox.try_recv().is_err());
        let mut boots = bus.boot_changes();
        let relayed = |id| Published {
            id,
            at_ms: 1,
            event: Event::QueueStatus(Default::default()),
        };
        bus.attach("epoch-1", 40, (38..=40).map(relayed).collect());
        assert_eq!(bus.position(), ("epoch-1".to_owned(), 40));
        assert!(boots.has_changed().expect("open"));
        boots.borrow_and_update();
        let mut live = bus.subscribe();
        assert_eq!(bus.publish(Event::PluginDisabled(Default::default())), None);
        assert_eq!(
            outbox.try_recv().expect("sent to the relay").event.name(),
            "plugin_disabled"
        );
        assert!(
            live.try_recv().is_err(),
            "not delivered before the relay numbers it"
        );
        assert_eq!(bus.deliver(relayed(41)), Delivered::Kept);
        assert_eq!(bus.deliver(relayed(41)), Delivered::Old);
        assert_eq!(bus.deliver(relayed(40)), Delivered::Old);
        assert_eq!(live.try_recv().expect("delivered").id, 41);
        assert!(live.try_recv().is_err(), "duplicates are ignored");
        assert!(!boots.has_changed().expect("open"));
        let replay = bus.subscribe_since(Some(37), Some("epoch-1"));
        let ids: Vec<u64> = replay.replay.iter().map(|e| e.id).collect();
        assert_eq!(
            (ids, replay.latest, replay.resync),
            ((38..=41).collect(), 41, false)
        );
        // Ids of another numbering are not replayed against this one.
        let foreign = bus.subscribe_since(Some(37), Some(&local_boot));
        assert!(foreign.resync && foreign.replay.is_empty());
        // Entries this host never read: the backlog starts again, live subscribers hear.
        assert_eq!(bus.deliver(relayed(50)), Delivered::Kept);
        assert!(boots.has_changed().expect("open"), "a gap is announced");
        boots.borrow_and_update();
        assert!(bus.subscribe_since(Some(41), None).resync);
        assert_eq!(bus.subscribe_since(Some(49), None).replay.len(), 1);
        // Detaching: the failed write, then what waited in the outbox, then new events.
        assert_eq!(bus.publish(Event::PluginEnabled(Default::default())), None);
        let waiting = bus.publish(Event::TaskQueued(Default::default()));
        assert_eq!(waiting, None);
        let first = outbox.try_recv().expect("the failed write");
        bus.detach(vec![first], &mut outbox);
        let detached = bus.boot();
        assert!(detached != "epoch-1" && detached != local_boot);
        assert!(boots.has_changed().expect("open"));
        assert_eq!(
            bus.publish(Event::PluginDisabled(Default::default())),
            Some(3)
        );
        let names: Vec<&str> = bus
            .subscribe_since(Some(0), None)
            .replay
            .iter()
            .map(|e| e.name())
            .collect();
        assert_eq!(names, ["plugin_enabled", "task_queued", "plugin_disabled"]);
        // Events the relay delivers late, after detaching, are not mixed in.
        assert_eq!(bus.deliver(relayed(51)), Delivered::Ignored);
        bus.detach(Vec::new(), &mut outbox);
        assert_eq!(bus.boot(), detached, "detaching twice changes nothing");
    }

    /// When the relay is gone (shut down) while attached, an event is numbered here under
    /// a fresh boot id, never under the shared epoch.
    #[test]
    fn a_closed_outlet_detaches() {
        let bus = EventBus::with_backlog(8, 8);
        let (outlet, outbox) = mpsc::unbounded_channel();
        bus.set_outlet(outlet);
        bus.attach("epoch-1", 10, Vec::new());
        drop(outbox);
        assert_eq!(
            bus.publish(Event::PluginEnabled(Default::default())),
            Some(1)
        );
        assert_ne!(bus.boot(), "epoch-1");
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
            let mut sub = bus.subscribe_since(Some(cursor), None);
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
