//! The event bus: every module reports what happened here; the API streams it.
//!
//! Each event has a monotonic id so a client that reconnects can tell what it missed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tokio::sync::broadcast;

/// One event, as sent to clients: `{id, type, data}`.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub at_ms: u64,
    pub data: serde_json::Value,
}

/// A cheap-to-clone handle on the bus.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
    next_id: Arc<AtomicU64>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl EventBus {
    /// A bus whose slow subscribers lag (and are told so) after `capacity` events.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        Self {
            sender,
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// Publishes an event; no subscriber is fine.
    pub fn publish(&self, kind: &'static str, data: serde_json::Value) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let event = Event {
            id,
            kind,
            at_ms: crate::util::unix_ms(std::time::SystemTime::now()),
            data,
        };
        let _ = self.sender.send(event);
        id
    }

    /// Receives events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}
