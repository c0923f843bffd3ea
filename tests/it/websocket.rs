//! `GET /ws/tasks`: hello, replay after reconnect, resync, the REST API's Origin and
//! token rules on the upgrade, slow clients, shutdown (N-G1, N-G2, N-F4, T-D1).
//!
//! These run on the default current-thread runtime on purpose: the server's WebSocket
//! task runs only when the test awaits, so "publish N events without awaiting" is a
//! deterministic way to make a client fall behind.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kura::events::{
    BACKLOG, Event, EventBus, LIVE_CAPACITY, ProgressEvent, ResourceEvent, TaskEvent,
};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::support::{TestConfig, TestServer};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[tokio::test]
async fn hello_then_live_events() {
    let server = TestServer::start(&TestConfig::bare(), &[]).await;
    let bus = bus(&server);
    bus.publish(Event::ResourceAdded(ResourceEvent {
        code: "OLD-001".into(),
        source: "demo".into(),
    }));
    let mut ws = connect(&server, "").await;
    let hello = next(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["data"]["boot"], bus.boot());
    assert_eq!(hello["data"]["last_id"], 1);
    assert_eq!(hello["data"]["resync"], false);
    assert!(hello.get("id").is_none(), "control messages carry no id");
    // A fresh client (no `since`) gets no replay: it loads state over REST.
    bus.publish(Event::TaskQueued(task(7)));
    bus.publish(Event::ProgressUpdate(ProgressEvent {
        task_id: 7,
        progress: json!({ "percent": 50 }),
        ..Default::default()
    }));
    let queued = next(&mut ws).await;
    assert_eq!(queued["id"], 2);
    assert_eq!(queued["type"], "task_queued");
    assert_eq!(queued["data"]["task_id"], 7);
    assert!(queued["at_ms"].as_u64().is_some_and(|ms| ms > 0));
    let progress = next(&mut ws).await;
    assert_eq!(
        (progress["id"].clone(), progress["type"].clone()),
        (json!(3), json!("progress_update"))
    );
    // Pings are answered.
    ws.send(Message::Ping(b"hi".to_vec().into()))
        .await
        .expect("ping");
    let pong = tokio::time::timeout(Duration::from_secs(60), ws.next())
        .await
        .expect("pong in time");
    assert!(
        matches!(pong, Some(Ok(Message::Pong(ref p))) if &p[..] == b"hi"),
        "{pong:?}"
    );
    // A client's close gets the closing reply, not a reset.
    ws.close(None).await.expect("close");
    let reply = tokio::time::timeout(Duration::from_secs(60), ws.next())
        .await
        .expect("reply in time");
    assert!(matches!(reply, Some(Ok(Message::Close(_)))), "{reply:?}");
    server.stop().await;
}

#[tokio::test]
async fn reconnect_with_since_gets_exactly_what_it_missed_then_live() {
    let server = TestServer::start(&TestConfig::bare(), &[]).await;
    let bus = bus(&server);
    let mut ws = connect(&server, "").await;
    let boot = next(&mut ws).await["data"]["boot"].clone();
    bus.publish(Event::TaskQueued(task(1)));
    let seen = next(&mut ws).await["id"].as_u64().expect("id");
    drop(ws);
    let missed: Vec<u64> = [
        Event::TaskStarted(task(1)),
        Event::PluginLoaded(Default::default()),
        Event::ProgressUpdate(Default::default()),
        Event::TaskCompleted(task(1)),
        Event::QueueStatus(Default::default()),
    ]
    .into_iter()
    .map(|event| bus.publish(event).expect("numbered in the process"))
    .collect();
    let boot = boot.as_str().expect("boot");
    let mut ws = connect(&server, &format!("?since={seen}&boot={boot}")).await;
    let hello = next(&mut ws).await;
    assert_eq!(hello["data"]["resync"], false);
    assert_eq!(hello["data"]["last_id"], missed[4]);
    for id in &missed {
        assert_eq!(next(&mut ws).await["id"], *id, "replayed in order");
    }
    let live = bus
        .publish(Event::TaskFailed(kura::events::TaskFailedEvent {
            task: TaskEvent {
                error: Some("boom".into()),
                ..task(1)
            },
            ..Default::default()
        }))
        .expect("numbered in the process");
    let event = next(&mut ws).await;
    assert_eq!(
        (event["id"].as_u64(), event["type"].as_str()),
        (Some(live), Some("task_failed"))
    );
    drop(ws);
    // `last_event_id` is the same cursor; `types` filters replay and live alike.
    let mut ws = connect(
        &server,
        &format!("?last_event_id={seen}&types=task_*,queue_status"),
    )
    .await;
    assert_eq!(next(&mut ws).await["type"], "hello");
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(next(&mut ws).await["type"].clone());
    }
    assert_eq!(
        got,
        [
            "task_started",
            "task_completed",
            "queue_status",
            "task_failed"
        ]
    );
    bus.publish(Event::PluginSwapped(Default::default()));
    bus.publish(Event::TaskCancelled(task(1)));
    assert_eq!(
        next(&mut ws).await["type"],
        "task_cancelled",
        "plugin_swapped is filtered out"
    );
    // A bad filter or cursor is a 400 before any upgrade.
    for query in ["?types=Task-Queued", "?since=abc", "?bogus=1"] {
        assert_eq!(refused(&server, query, &[]).await, 400, "{query}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_cursor_the_backlog_cannot_serve_asks_for_resync() {
    let server = TestServer::start(&TestConfig::bare(), &[]).await;
    let bus = bus(&server);
    let total = BACKLOG as u64 + 10;
    for _ in 0..total {
        bus.publish(progress());
    }
    // Too old: ids 1..=10 fell out of the backlog.
    let mut ws = connect(&server, "?since=1").await;
    let hello = next(&mut ws).await;
    assert_eq!(hello["data"]["resync"], true);
    assert_eq!(hello["data"]["missed"], 9);
    let live = bus
        .publish(Event::TaskQueued(task(2)))
        .expect("numbered in the process");
    assert_eq!(
        next(&mut ws).await["id"],
        live,
        "then live, without a stale replay"
    );
    // From the future (another run), or from another boot: resync too.
    for query in [
        format!("?since={}", total * 10),
        "?since=3&boot=0123456789abcdef".to_owned(),
    ] {
        let mut ws = connect(&server, &query).await;
        assert_eq!(next(&mut ws).await["data"]["resync"], true, "{query}");
    }
    // Right before the oldest id still held is fine (one more was published since).
    let mut ws = connect(&server, "?since=11").await;
    assert_eq!(next(&mut ws).await["data"]["resync"], false);
    assert_eq!(next(&mut ws).await["id"], 12);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_falls_behind_catches_up_from_the_backlog_or_resyncs() {
    let server = TestServer::start(&TestConfig::bare(), &[]).await;
    let bus = bus(&server);
    let mut ws = connect(&server, "").await;
    next(&mut ws).await;
    // More than the live ring holds, less than the backlog: no await, so the server's
    // task lags, then refills from the backlog without a gap.
    let burst = LIVE_CAPACITY as u64 + 100;
    for _ in 0..burst {
        bus.publish(progress());
    }
    for id in 1..=burst {
        let event = next(&mut ws).await;
        assert_eq!(event["id"], id, "{event}");
    }
    // More than the backlog: what was skipped is gone, so the client is told to reload.
    let flood = BACKLOG as u64 + 100;
    for _ in 0..flood {
        bus.publish(progress());
    }
    let resync = next(&mut ws).await;
    assert_eq!(resync["type"], "resync");
    assert_eq!(resync["data"]["missed"], 100);
    let live = bus
        .publish(Event::QueueStatus(Default::default()))
        .expect("numbered in the process");
    assert_eq!(next(&mut ws).await["id"], live);
    server.stop().await;
}

/// The server never queues per client: a client that stops reading loses events (and,
/// once its socket stays full for the send deadline, the connection); 40 MB of events
/// are never held for it.
#[tokio::test]
async fn a_client_that_never_reads_is_dropped_not_buffered() {
    let server = TestServer::start(&TestConfig::bare(), &[]).await;
    let bus = bus(&server);
    let mut ws = connect(&server, "").await;
    next(&mut ws).await;
    let blob = "x".repeat(4096);
    for n in 0..10_000 {
        bus.publish(Event::ProgressUpdate(ProgressEvent {
            progress: json!({ "n": n, "blob": blob }),
            ..Default::default()
        }));
        if n % 20 == 0 {
            // Let the server write until the socket buffers are full.
            tokio::task::yield_now().await;
        }
    }
    assert!(bus.backlog_len() <= BACKLOG);
    // Past the server's send deadline (10 s) the stuck connection is dropped.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let (mut events, mut last, mut resynced) = (0u64, 0u64, false);
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(Ok(message)) = ws.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).expect("json");
            match value["type"].as_str() {
                Some("resync") => resynced = true,
                _ => {
                    let id = value["id"].as_u64().expect("id");
                    assert!(id > last, "ids increase");
                    (last, events) = (id, events + 1);
                }
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the connection was not closed");
    assert!(
        events < 10_000,
        "the server held everything for a stuck client"
    );
    assert!(
        !resynced,
        "the client never read, so the server never got past the stuck send"
    );
    // The server itself is fine: a new client gets hello and live events.
    let mut ws = connect(&server, "").await;
    assert_eq!(next(&mut ws).await["type"], "hello");
    let id = bus
        .publish(Event::TaskQueued(task(3)))
        .expect("numbered in the process");
    assert_eq!(next(&mut ws).await["id"], id);
    server.stop().await;
}

#[tokio::test]
async fn the_upgrade_follows_the_rest_origin_rules() {
    let server = TestServer::start(&TestConfig::bare(), &[]).await;
    for origin in ["https://evil.test", "null", "http://127.0.0.1.evil.test"] {
        assert_eq!(
            refused(&server, "", &[("Origin", origin)]).await,
            403,
            "{origin}"
        );
    }
    let mut ws = connect_with(&server, "", &[("Origin", &server.base)])
        .await
        .expect("same-host origin");
    assert_eq!(next(&mut ws).await["type"], "hello");
    // Not an upgrade: a clear 4xx in the API's error shape.
    let (status, body) = server.get_json("/ws/tasks").await;
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(body["code"], "websocket_required");
    server.stop().await;
}

#[tokio::test]
async fn a_required_token_is_checked_on_the_upgrade_also_as_a_query_parameter() {
    let server = TestServer::start(
        &TestConfig::bare().set("server.require_token", json!(true)),
        &[],
    )
    .await;
    let token = std::fs::read_to_string(server.data.path().join("api-token"))
        .expect("token written")
        .trim()
        .to_owned();
    assert_eq!(refused(&server, "", &[]).await, 401);
    assert_eq!(refused(&server, "?token=wrong", &[]).await, 401);
    let mut ws = connect(&server, &format!("?token={token}")).await;
    assert_eq!(next(&mut ws).await["type"], "hello");
    let bearer = format!("Bearer {token}");
    let mut ws = connect_with(&server, "", &[("Authorization", &bearer)])
        .await
        .expect("bearer header");
    assert_eq!(next(&mut ws).await["type"], "hello");
    // `?token=` is for WebSockets only.
    let (status, _) = server
        .get_json(&format!("/api/plugins?token={token}"))
        .await;
    assert_eq!(status, 401);
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_open_sockets_with_going_away() {
    let server = TestServer::start(&TestConfig::bare(), &[]).await;
    let mut ws = connect(&server, "").await;
    next(&mut ws).await;
    server.stop().await;
    let message = tokio::time::timeout(Duration::from_secs(60), ws.next())
        .await
        .expect("close in time");
    match message {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// A task event about task `task_id`.
#[tokio::test]
async fn websockets_hold_places_among_the_open_connections() {
    let config = TestConfig::bare().set("server.max_connections", json!(2));
    let server = TestServer::start(&config, &[]).await;
    let first = connect(&server, "").await;
    let _second = connect(&server, "").await;
    // Both places are held by live WebSockets: a new connection is turned away, and
    // so is a third WebSocket.
    let refused = reqwest::Client::new()
        .get(server.url("/healthz"))
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert!(connect_with(&server, "", &[]).await.is_err());
    // One leaves: its place is free again.
    drop(first);
    let mut answered = false;
    for _ in 0..200 {
        if let Ok(response) = reqwest::Client::new()
            .get(server.url("/healthz"))
            .send()
            .await
        {
            answered = response.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(answered, "a place frees when a WebSocket closes");
    server.stop().await;
}

fn task(task_id: i64) -> TaskEvent {
    TaskEvent {
        task_id,
        kind: "add_resource".into(),
        ..Default::default()
    }
}

/// A progress event with no progress in it.
fn progress() -> Event {
    Event::ProgressUpdate(ProgressEvent::default())
}

fn bus(server: &TestServer) -> EventBus {
    server.server.as_ref().expect("running").events().clone()
}

async fn connect(server: &TestServer, query: &str) -> Ws {
    connect_with(server, query, &[]).await.expect("upgrade")
}

async fn connect_with(
    server: &TestServer,
    query: &str,
    headers: &[(&str, &str)],
) -> Result<Ws, WsError> {
    let url = format!(
        "{}/ws/tasks{query}",
        server.base.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().expect("request");
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(http_name(name), value.parse().expect("header value"));
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

fn http_name(name: &str) -> tokio_tungstenite::tungstenite::http::HeaderName {
    name.parse().expect("header name")
}

/// The HTTP status of an upgrade the server refuses.
async fn refused(server: &TestServer, query: &str, headers: &[(&str, &str)]) -> u16 {
    match connect_with(server, query, headers).await {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("the upgrade was accepted"),
    }
}

/// The next JSON text message (pings and pongs skipped), within 10 s.
async fn next(ws: &mut Ws) -> Value {
    let deadline = Duration::from_secs(60);
    loop {
        let message = tokio::time::timeout(deadline, ws.next())
            .await
            .expect("a message in time")
            .expect("socket open")
            .expect("no socket error");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("json"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}
