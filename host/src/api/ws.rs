//! `GET /ws/tasks`: the event bus over a WebSocket (N-G1, N-G2).
//!
//! Wire protocol, server to client, one JSON text message each:
//! - `{"type":"hello","data":{"boot","last_id","resync","missed"}}` first;
//! - events `{"id","type","at_ms","data"}`: the missed ones (replay), then live ones; the
//!   types and their `data` are [`crate::events::Event`] (the `Event` schema in OpenAPI);
//! - `{"type":"resync","data":{"missed"}}` when the connection fell behind and events
//!   were lost: reload state (at connect time, `hello.resync` says the same).
//!
//! Query: `since` (alias `last_event_id`) the last id the client saw; `boot` the run it
//! saw it in; `types` a comma list of event types (`task_*` matches a prefix); `token`
//! the API token, for browsers that cannot set `Authorization` (checked by the guard).
//!
//! Memory stays bounded however slow the client: events wait in the bus's fixed-size
//! ring, never in a per-connection queue; each send is awaited with a deadline.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use futures_util::SinkExt;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::AppState;
use super::connections::Slot;
use super::error::{ApiError, ErrorCode};
use super::extract::ApiQuery;
use super::params::{Params, bad, params, parse_num};
use crate::events::{EventBus, Published, Subscription};

/// How long one message may take to reach the client's socket before it is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing handshake may take; the peer may be why we close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Pings keep proxies from closing an idle connection and find dead peers.
const PING_EVERY: Duration = Duration::from_secs(30);
/// A client silent (not even a pong) for this long is gone.
const SILENCE_LIMIT: Duration = Duration::from_secs(75);
/// A client that falls behind this many times within [`LAG_WINDOW`] is closed.
const LAG_LIMIT: usize = 4;
const LAG_WINDOW: Duration = Duration::from_secs(60);
/// Clients only answer pings and close; nothing they send needs to be large.
const MAX_INCOMING: usize = 4 * 1024;
/// Bounds on the `types` filter.
const MAX_TYPES: usize = 32;
const MAX_TYPE_LEN: usize = 64;

/// `GET /ws/tasks` (N-G1): a WebSocket of `{id, type, at_ms, data}` events after a
/// `hello`; `since` replays what a reconnecting client missed.
#[utoipa::path(get, path = "/ws/tasks", tag = "events", params(("since" = Option<u64>, Query, description = "Last event id seen: replay what came after"), ("boot" = Option<String>, Query, description = "The run that id came from (from hello)"), ("types" = Option<String>, Query, description = "Comma list of event types; `task_*` is a prefix"), ("token" = Option<String>, Query, description = "The API token, for browsers")), responses((status = 101, description = "WebSocket: hello, missed events, then live events"), (status = 400, body = super::error::ErrorBody)))]
pub(super) async fn tasks(
    State(state): State<AppState>,
    ApiQuery(query): Params,
    slot: Option<Extension<Slot>>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let query = params(
        &query,
        &["since", "last_event_id", "boot", "types", "token"],
    )?;
    let since = match parse_num::<u64>(query, "since")? {
        Some(id) => Some(id),
        None => parse_num::<u64>(query, "last_event_id")?,
    };
    let boot = query.get("boot").cloned();
    let filter = Filter::parse(query.get("types").map(String::as_str))?;
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::with_status(
            rejection.status(),
            ErrorCode::WebsocketRequired,
            rejection.body_text(),
        )
    })?;
    let (bus, shutdown, tracker) = (
        state.events.clone(),
        state.shutdown.clone(),
        state.connections.clone(),
    );
    // The socket keeps its connection's place among the open connections until it ends.
    let hold = slot.map(|Extension(slot)| slot.hold_for_websocket());
    Ok(upgrade
        .max_message_size(MAX_INCOMING)
        .max_frame_size(MAX_INCOMING)
        .on_upgrade(move |socket| {
            let connection = Connection {
                socket,
                bus,
                filter,
                shutdown,
                last_id: 0,
                lags: VecDeque::new(),
            };
            tracker.track_future(async move {
                connection.run(since, boot).await;
                drop(hold);
            })
        }))
}

/// Why a connection ends.
enum End {
    /// Tell the client why, in a close frame.
    Close(u16, &'static str),
    /// The client left, or cannot be written to: just drop the socket.
    Drop,
}

struct Connection {
    socket: WebSocket,
    bus: EventBus,
    filter: Filter,
    shutdown: CancellationToken,
    /// The newest event id this connection has dealt with (sent or filtered out).
    last_id: u64,
    /// When the client fell behind recently.
    lags: VecDeque<Instant>,
}

/// A connected client, counted in the metrics while it lives.
struct Counted;

impl Counted {
    fn new() -> Self {
        metrics::gauge!(crate::telemetry::WEBSOCKET_CLIENTS).increment(1.0);
        Self
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        metrics::gauge!(crate::telemetry::WEBSOCKET_CLIENTS).decrement(1.0);
    }
}

impl Connection {
    async fn run(mut self, since: Option<u64>, boot: Option<String>) {
        let _counted = Counted::new();
        match self.serve(since, boot).await {
            Ok(()) | Err(End::Drop) => {}
            Err(End::Close(code, reason)) => {
                let frame = CloseFrame {
                    code,
                    reason: reason.into(),
                };
                // Best effort, and short: the client may be the reason we stop.
                let close = self.socket.send(Message::Close(Some(frame)));
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, close).await;
            }
        }
    }

    async fn serve(&mut self, since: Option<u64>, boot: Option<String>) -> Result<(), End> {
        // Ids from another run mean nothing here, whatever their value: the bus compares
        // the client's boot id with its own as it takes the snapshot.
        let mut boot_changes = self.bus.boot_changes();
        let mut subscription = self.bus.subscribe_since(since, boot.as_deref());
        let resync = subscription.resync;
        let hello = json!({ "type": "hello", "data": {
            "boot": subscription.boot, "last_id": subscription.latest,
            "resync": resync, "missed": subscription.missed,
        }});
        self.send(Message::text(hello.to_string())).await?;
        // The hello already says whether to resync.
        self.catch_up(&mut subscription, false).await?;
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
        let mut heard = Instant::now();
        loop {
            tokio::select! {
                biased;
                () = self.shutdown.cancelled() => {
                    return Err(End::Close(close_code::AWAY, "server shutting down"));
                }
                // The ids start again (Redis was lost or is back): the client reconnects
                // with its boot and last id, and is told to resync.
                _ = boot_changes.changed() => {
                    return Err(End::Close(close_code::RESTART, "event numbering restarted"));
                }
                incoming = self.socket.recv() => match incoming {
                    // Pings are answered by the protocol layer; text is ignored.
                    Some(Ok(Message::Close(_))) => {
                        // The protocol layer queued the closing reply: let it out.
                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.socket.flush()).await;
                        return Ok(());
                    }
                    Some(Err(_)) | None => return Ok(()),
                    Some(Ok(_)) => heard = Instant::now(),
                },
                event = subscription.live.recv() => match event {
                    Ok(event) => self.deliver(&event).await?,
                    Err(RecvError::Lagged(_)) => {
                        self.lagged()?;
                        // The bus's backlog is longer than the live ring: it often
                        // still holds what this client skipped.
                        let boot = subscription.boot.clone();
                        subscription = self.bus.subscribe_since(Some(self.last_id), Some(&boot));
                        self.catch_up(&mut subscription, true).await?;
                    }
                    Err(RecvError::Closed) => {
                        return Err(End::Close(close_code::AWAY, "server shutting down"));
                    }
                },
                _ = ping.tick() => {
                    if heard.elapsed() > SILENCE_LIMIT {
                        return Err(End::Close(close_code::POLICY, "no pong"));
                    }
                    self.send(Message::Ping(Default::default())).await?;
                }
            }
        }
    }

    /// Sends a subscription's replay, or (if `announce`) tells the client to resync.
    async fn catch_up(
        &mut self,
        subscription: &mut Subscription,
        announce: bool,
    ) -> Result<(), End> {
        if subscription.resync && announce {
            let resync = json!({ "type": "resync", "data": { "missed": subscription.missed } });
            self.send(Message::text(resync.to_string())).await?;
        }
        for event in std::mem::take(&mut subscription.replay) {
            self.deliver(&event).await?;
        }
        self.last_id = self.last_id.max(subscription.latest);
        Ok(())
    }

    async fn deliver(&mut self, event: &Arc<Published>) -> Result<(), End> {
        self.last_id = event.id;
        if !self.filter.matches(event.name()) {
            return Ok(());
        }
        let text = serde_json::to_string(&**event).map_err(|_| End::Drop)?;
        self.send(Message::text(text)).await
    }

    /// Records a lag; a client that keeps lagging is closed rather than fed forever.
    fn lagged(&mut self) -> Result<(), End> {
        let now = Instant::now();
        self.lags.retain(|at| now.duration_since(*at) < LAG_WINDOW);
        self.lags.push_back(now);
        if self.lags.len() >= LAG_LIMIT {
            tracing::debug!("closing a WebSocket client that keeps falling behind");
            return Err(End::Close(
                close_code::AGAIN,
                "too slow: reconnect with since=<last id>",
            ));
        }
        Ok(())
    }

    /// One message, within [`SEND_TIMEOUT`]; shutdown interrupts a stuck send.
    async fn send(&mut self, message: Message) -> Result<(), End> {
        let sent = tokio::select! {
            () = self.shutdown.cancelled() => return Err(End::Drop),
            sent = tokio::time::timeout(SEND_TIMEOUT, self.socket.send(message)) => sent,
        };
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Drop),
            Err(_) => {
                tracing::debug!("dropping a WebSocket client that stopped reading");
                Err(End::Drop)
            }
        }
    }
}

/// The `types` filter: exact names, or prefixes written `task_*`.
#[derive(Default)]
struct Filter {
    patterns: Option<Vec<String>>,
}

impl Filter {
    fn parse(text: Option<&str>) -> Result<Self, ApiError> {
        let Some(text) = text else {
            return Ok(Self::default());
        };
        let patterns: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if patterns.len() > MAX_TYPES {
            return Err(bad(format!("`types` takes at most {MAX_TYPES} names")));
        }
        if let Some(wrong) = patterns.iter().find(|p| !valid_pattern(p)) {
            return Err(bad(format!(
                "`types`: `{wrong}` is not an event type (lower case, digits, `_`, a trailing `*`)"
            )));
        }
        Ok(Self {
            patterns: Some(patterns),
        })
    }

    fn matches(&self, kind: &str) -> bool {
        let Some(patterns) = &self.patterns else {
            return true;
        };
        patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => kind.starts_with(prefix),
            None => p == kind,
        })
    }
}

fn valid_pattern(pattern: &str) -> bool {
    let name = pattern.strip_suffix('*').unwrap_or(pattern);
    pattern.len() <= MAX_TYPE_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_filters() {
        let check = |text: Option<&str>, kind: &str, expected: bool| {
            let filter = Filter::parse(text).expect("valid filter");
            assert_eq!(filter.matches(kind), expected, "{text:?} vs {kind}");
        };
        check(None, "task_queued", true);
        check(Some("task_queued"), "task_queued", true);
        check(Some("task_queued"), "task_started", false);
        check(Some("task_*,queue_status"), "task_failed", true);
        check(Some("task_*,queue_status"), "queue_status", true);
        check(Some("task_*, queue_status"), "plugin_loaded", false);
        check(Some("*"), "anything", true);
        check(Some(""), "task_queued", false);
        for wrong in ["Task", "a-b", "x*y", &"a".repeat(65), &"a,".repeat(33)] {
            assert!(Filter::parse(Some(wrong)).is_err(), "{wrong}");
        }
    }
}
