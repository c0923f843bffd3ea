//! Open connections: the cap on how many, which are idle, and the deadlines that close
//! them (the first request must arrive within `header_read_timeout`, on HTTP/1 and
//! HTTP/2 alike; a connection with no request in progress closes after `idle_timeout`).
//!
//! At the cap a new connection replaces the one idle the longest, so connections that
//! send nothing cannot lock out others (`/healthz` included); when every connection has
//! a request in progress the new one is closed at once.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// When connections are closed for doing nothing.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadlines {
    /// From accept to the first request.
    pub(crate) first_request: Duration,
    /// From the end of the last request to the next one.
    pub(crate) idle: Duration,
}

/// The table of open connections.
#[derive(Clone)]
pub(super) struct Connections {
    table: Arc<Mutex<Table>>,
    max: usize,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    open: BTreeMap<u64, Arc<Activity>>,
}

/// What one connection is doing.
pub(super) struct Activity {
    opened: Instant,
    requests: AtomicU64,
    in_flight: AtomicUsize,
    /// When the last request ended, in milliseconds after `opened`.
    last_end_ms: AtomicU64,
    /// Cancelled when the connection is closed to make room.
    evicted: CancellationToken,
    /// Upgraded to a WebSocket: its place is held by the socket, not the connection.
    upgraded: AtomicBool,
}

/// A connection's place in the table, given back when dropped (unless a WebSocket
/// took it over).
pub(super) struct Admitted {
    slot: Slot,
}

/// A place in the table. Every request carries its connection's, so a WebSocket upgrade
/// can take the place over.
#[derive(Clone)]
pub(super) struct Slot {
    id: u64,
    activity: Arc<Activity>,
    table: Arc<Mutex<Table>>,
}

impl Slot {
    /// The connection becomes a WebSocket: the place stays taken (and busy, so it is
    /// never closed to make room) until the returned hold is dropped.
    pub(super) fn hold_for_websocket(&self) -> WebSocketHold {
        self.activity.upgraded.store(true, Ordering::SeqCst);
        self.activity.in_flight.fetch_add(1, Ordering::SeqCst);
        WebSocketHold { slot: self.clone() }
    }
}

/// A WebSocket's place among the open connections, given back when dropped.
pub(super) struct WebSocketHold {
    slot: Slot,
}

impl Drop for WebSocketHold {
    fn drop(&mut self) {
        if let Ok(mut table) = self.slot.table.lock() {
            table.open.remove(&self.slot.id);
        }
    }
}

impl Connections {
    /// A table holding at most `max` connections.
    pub(super) fn new(max: usize) -> Self {
        Self {
            table: Arc::default(),
            max: max.max(1),
        }
    }

    /// Makes room for a new connection: at the cap, the connection idle the longest is
    /// closed; None when every open connection has a request in progress.
    pub(super) fn admit(&self) -> Option<Admitted> {
        let mut table = self.table.lock().ok()?;
        if table.open.len() >= self.max && !table.evict_idle() {
            return None;
        }
        table.next_id += 1;
        let id = table.next_id;
        let activity = Arc::new(Activity::new());
        table.open.insert(id, activity.clone());
        Some(Admitted {
            slot: Slot {
                id,
                activity,
                table: self.table.clone(),
            },
        })
    }

    /// Closes the connection idle the longest (out of file descriptors); false when none
    /// is idle.
    pub(super) fn evict_idle(&self) -> bool {
        self.table
            .lock()
            .map(|mut table| table.evict_idle())
            .unwrap_or(false)
    }

    /// How many connections are open.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.table.lock().map(|table| table.open.len()).unwrap_or(0)
    }
}

impl Table {
    fn evict_idle(&mut self) -> bool {
        let oldest = self
            .open
            .iter()
            .filter(|(_, activity)| activity.in_flight.load(Ordering::SeqCst) == 0)
            .min_by_key(|(id, activity)| (activity.idle_since(), **id))
            .map(|(id, _)| *id);
        let Some(id) = oldest else {
            return false;
        };
        if let Some(activity) = self.open.remove(&id) {
            activity.evicted.cancel();
        }
        true
    }
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            requests: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            last_end_ms: AtomicU64::new(0),
            evicted: CancellationToken::new(),
            upgraded: AtomicBool::new(false),
        }
    }

    /// Since when the connection has had no request in progress.
    fn idle_since(&self) -> Instant {
        self.opened + Duration::from_millis(self.last_end_ms.load(Ordering::SeqCst))
    }

    /// When the connection is to be closed if nothing happens meanwhile; None while a
    /// request is in progress.
    pub(super) fn deadline(&self, deadlines: Deadlines) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        Some(match self.requests.load(Ordering::SeqCst) {
            0 => self.opened + deadlines.first_request,
            _ => self.idle_since() + deadlines.idle,
        })
    }

    fn start_request(self: &Arc<Self>) -> RequestGuard {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        RequestGuard {
            activity: self.clone(),
        }
    }
}

impl Admitted {
    /// The connection's activity, for its deadlines.
    pub(super) fn activity(&self) -> &Arc<Activity> {
        &self.slot.activity
    }

    /// The connection's place, for its service.
    pub(super) fn slot(&self) -> &Slot {
        &self.slot
    }

    /// Cancelled when the connection is closed to make room for another.
    pub(super) fn evicted(&self) -> &CancellationToken {
        &self.slot.activity.evicted
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        // An upgraded connection's place now belongs to its WebSocket.
        if self.slot.activity.upgraded.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(mut table) = self.slot.table.lock() {
            table.open.remove(&self.slot.id);
        }
    }
}

/// One request in progress, until its answer's body is sent or dropped.
struct RequestGuard {
    activity: Arc<Activity>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let elapsed = self.activity.opened.elapsed().as_millis();
        self.activity
            .last_end_ms
            .store(u64::try_from(elapsed).unwrap_or(u64::MAX), Ordering::SeqCst);
        self.activity.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The router as one connection's service: every request counts as in progress until
/// its answer's body has been sent.
#[derive(Clone)]
pub(super) struct Tracked {
    router: Router,
    slot: Slot,
}

impl Tracked {
    pub(super) fn new(router: Router, slot: Slot) -> Self {
        Self { router, slot }
    }
}

impl<B> tower::Service<http::Request<B>> for Tracked
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let guard = self.slot.activity.start_request();
        request.extensions_mut().insert(self.slot.clone());
        let future = tower::Service::call(&mut self.router, request);
        Box::pin(async move {
            let response = future.await?;
            Ok(response.map(|inner| {
                Body::new(GuardedBody {
                    inner,
                    _guard: guard,
                })
            }))
        })
    }
}

/// An answer's body that holds its request's guard.
struct GuardedBody {
    inner: Body,
    _guard: RequestGuard,
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(context)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEADLINES: Deadlines = Deadlines {
        first_request: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    #[tokio::test]
    async fn deadlines_follow_the_requests() {
        let activity = Arc::new(Activity::new());
        let opened = activity.opened;
        assert_eq!(
            activity.deadline(DEADLINES),
            Some(opened + Duration::from_secs(10))
        );
        let guard = activity.start_request();
        assert_eq!(activity.deadline(DEADLINES), None);
        drop(guard);
        let ended = activity.idle_since();
        assert!(ended >= opened);
        assert_eq!(
            activity.deadline(DEADLINES),
            Some(ended + Duration::from_secs(60))
        );
    }

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_makes_room() {
        let connections = Connections::new(2);
        let first = connections.admit().expect("room");
        let second = connections.admit().expect("room");
        let third = connections.admit().expect("an idle one makes room");
        assert!(first.evicted().is_cancelled());
        assert!(!second.evicted().is_cancelled());
        assert_eq!(connections.len(), 2);
        drop(first);
        assert_eq!(connections.len(), 2, "an evicted entry is gone already");
        drop((second, third));
        assert_eq!(connections.len(), 0);
    }

    #[tokio::test]
    async fn busy_connections_are_never_evicted() {
        let connections = Connections::new(2);
        let first = connections.admit().expect("room");
        let second = connections.admit().expect("room");
        let busy = (
            first.activity().start_request(),
            second.activity().start_request(),
        );
        assert!(connections.admit().is_none());
        assert!(!connections.evict_idle());
        drop(busy);
        let third = connections.admit().expect("idle again");
        assert!(first.evicted().is_cancelled() || second.evicted().is_cancelled());
        drop(third);
    }

    #[tokio::test]
    async fn the_connection_idle_longest_goes_first() {
        let connections = Connections::new(2);
        let first = connections.admit().expect("room");
        let second = connections.admit().expect("room");
        // The first connection ended a request a minute after it opened; the second has
        // been idle since it opened.
        drop(first.activity().start_request());
        first.activity().last_end_ms.store(60_000, Ordering::SeqCst);
        let _third = connections.admit().expect("room");
        assert!(second.evicted().is_cancelled());
        assert!(!first.evicted().is_cancelled());
    }
}
