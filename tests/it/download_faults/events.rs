//! A download seen over `/ws/tasks`: `task_queued`, `task_started`, `progress_update`s
//! and `task_completed` in order; a client that disconnects mid-download and reconnects
//! with `since` and `boot` gets exactly the events it missed (no gap, no duplicate), the
//! rest of the progress and the completion among them. Every message reads back as the
//! typed event it was.

use std::time::Duration;

use fixture_site::Fault;
use futures_util::StreamExt;
use kura::events::Published;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{
    add, finished, full_stream, number, segment_path, server, submit_download, video_path,
};
use crate::support::{self, TestServer};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const CODE: &str = "DEMO-023";

async fn connect(server: &TestServer, query: &str) -> Ws {
    let url = format!(
        "{}/ws/tasks{query}",
        server.base.replacen("http://", "ws://", 1)
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade")
        .0
}

/// The next JSON message (pings and pongs skipped), within 30 s.
async fn next(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message within 30 s")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}

/// Whether `event` is about task `id`.
fn about(event: &Value, id: i64) -> bool {
    event["data"]["task_id"].as_i64() == Some(id)
}

#[tokio::test]
async fn a_client_sees_the_download_in_order_and_catches_up_after_a_reconnect() {
    let fixture = support::fixture().await;
    let server = server(&fixture, json!({})).await;
    add(&server, CODE).await;
    // A 429 with `Retry-After: 2` on the last segment keeps the download running for two
    // seconds after its first progress, with progress every 250 ms while it waits.
    let last = fixture.segment_count(23) - 1;
    let path = segment_path(CODE, last, "ts");
    fixture.arm_fault(&path, Fault::TooMany { retry_after: 2 }, 1);

    let mut ws = connect(&server, "").await;
    let hello = next(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    let boot = hello["data"]["boot"].as_str().expect("boot").to_owned();
    let id = submit_download(&server, CODE, "normal").await;

    // Live, until the first progress of this task.
    let mut seen: Vec<Value> = Vec::new();
    loop {
        let event = next(&mut ws).await;
        let is_progress = about(&event, id) && event["type"] == "progress_update";
        seen.push(event);
        if is_progress {
            break;
        }
    }
    let last_seen = number(&seen.last().expect("an event")["id"]);
    drop(ws);
    let task = finished(&server, id, Duration::from_secs(60)).await;
    assert_eq!(task.status, kura::store::TaskStatus::Completed, "{task:?}");

    // Reconnect where we left off: the replay carries on without a gap.
    let mut ws = connect(&server, &format!("?since={last_seen}&boot={boot}")).await;
    let hello = next(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["data"]["resync"], false, "{hello}");
    let newest = number(&hello["data"]["last_id"]);
    assert!(newest > last_seen, "{hello}");
    let mut replayed: Vec<Value> = Vec::new();
    while replayed
        .last()
        .is_none_or(|event| number(&event["id"]) < newest)
    {
        replayed.push(next(&mut ws).await);
    }
    let ids: Vec<u64> = seen
        .iter()
        .chain(&replayed)
        .map(|event| number(&event["id"]))
        .collect();
    assert!(
        ids.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "every event once, in order, none lost across the reconnect: {ids:?}"
    );
    // What the server sent reads back as the typed events it published.
    for event in seen.iter().chain(&replayed) {
        let typed: Published = serde_json::from_value(event.clone())
            .unwrap_or_else(|error| panic!("{error}: {event}"));
        assert_eq!(serde_json::to_value(&typed).expect("serializes"), *event);
    }

    // This task's events, before and after the reconnect.
    let mine = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .filter(|event| about(event, id))
            .map(|event| event["type"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let before = mine(&seen);
    let after = mine(&replayed);
    assert_eq!(
        before,
        ["task_queued", "task_started", "progress_update"],
        "live"
    );
    assert_eq!(
        after.last().map(String::as_str),
        Some("task_completed"),
        "{after:?}"
    );
    let (progress_after, rest): (Vec<&String>, Vec<&String>) = after[..after.len() - 1]
        .iter()
        .partition(|kind| *kind == "progress_update");
    assert!(
        rest.is_empty(),
        "only progress between start and completion: {after:?}"
    );
    assert!(
        progress_after.len() >= 2,
        "the progress made while away is replayed: {after:?}"
    );
    // Progress only grows, and stays within the stream.
    let progress: Vec<&Value> = seen
        .iter()
        .chain(&replayed)
        .filter(|event| about(event, id) && event["type"] == "progress_update")
        .map(|event| &event["data"]["progress"])
        .collect();
    let total = fixture.segment_count(23) as u64;
    assert!(
        progress
            .iter()
            .all(|p| number(&p["segments_total"]) == total && number(&p["segments_done"]) <= total),
        "{progress:?}"
    );
    assert!(
        progress.windows(2).all(|pair| {
            number(&pair[0]["segments_done"]) <= number(&pair[1]["segments_done"])
                && number(&pair[0]["bytes"]) <= number(&pair[1]["bytes"])
        }),
        "{progress:?}"
    );
    // Where clients of the system Kura replaces read them: `data.avid`, `data.percent`
    // (0 to 100, growing, 100 once every segment is done) and `data.speed`.
    let data: Vec<&Value> = seen
        .iter()
        .chain(&replayed)
        .filter(|event| about(event, id) && event["type"] == "progress_update")
        .map(|event| &event["data"])
        .collect();
    assert!(
        data.iter().all(|d| d["avid"] == CODE
            && d["speed"]
                .as_str()
                .is_some_and(|speed| speed.ends_with("B/s"))
            && d["percent"]
                .as_f64()
                .is_some_and(|p| (0.0..=100.0).contains(&p))),
        "{data:?}"
    );
    assert!(
        data.windows(2)
            .all(|pair| pair[0]["percent"].as_f64() <= pair[1]["percent"].as_f64()),
        "{data:?}"
    );
    assert_eq!(
        data.last().and_then(|d| d["percent"].as_f64()),
        Some(100.0),
        "the last report says 100: {data:?}"
    );
    let completed = replayed
        .iter()
        .find(|event| about(event, id) && event["type"] == "task_completed")
        .expect("completed");
    let written = std::fs::read(video_path(&server, CODE)).expect("video");
    assert_eq!(
        number(&completed["data"]["result"]["bytes"]),
        written.len() as u64
    );
    assert!(written == full_stream(&fixture, CODE).await);
    server.stop().await;
}
