//! Downloads through the real server under faults (N-D1, N-F1, K-8, N-D2, T-A1), with
//! faults armed on single paths of the fixture site's real streams:
//! - `matrix.rs`: reset, short body, stall, hang, 5xx, 429 with `Retry-After`, 404 and
//!   expired URLs on segments, keys, init sections and playlists; every recoverable case
//!   ends with the file byte for byte the stream, every unrecoverable one ends `failed`
//!   with a reason and no file;
//! - `resume.rs`: `kura serve` killed with SIGKILL ten times during a 200-segment
//!   download; each restart fetches again at most the segments that were in flight;
//! - `disk.rs`: a full disk fails the task with its reason and loses nothing;
//! - `events.rs`: a WebSocket client sees started, progress and completed in order, and
//!   catches up after a reconnect;
//! - `lane.rs`: 20 downloads and 50 general tasks queued: never two downloads at once,
//!   and downloads start in priority order, FIFO within one.

mod disk;
mod events;
mod lane;
mod matrix;
mod resume;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{self, TestServer};

/// Remux off (the file is compared byte for byte), four segments at once, four tries per
/// request with quick backoff, a one-second idle timeout; failed attempts are retried
/// after about a second.
pub fn fault_settings() -> Value {
    json!({
        "download": {
            "remux": false,
            "concurrency": 4,
            "retries": 3,
            "retry_delay_ms": 20,
            "idle_timeout_ms": 1000,
        },
        "tasks": { "retry_base_seconds": 1, "retry_max_seconds": 1 },
    })
}

/// The variant the default rule (`best`) picks.
pub const BEST_VARIANT: usize = 2;

/// A server with the fixture plugins and [`fault_settings`], then `settings` merged in.
pub async fn server(fixture: &fixture_site::FixtureSite, settings: Value) -> TestServer {
    let config = support::config(&fixture.base_url())
        .merge(fault_settings())
        .merge(settings);
    TestServer::start(&config, &["fixture-alpha", "fixture-beta", "fixture-meta"]).await
}

/// Adds `code` to the library through the source plugins.
pub async fn add(server: &TestServer, code: &str) {
    let (status, body) = server
        .post_json("/api/resource?wait=60", json!({ "code": code }))
        .await;
    assert_eq!(status, 201, "{code}: {body}");
}

/// Queues the download of `code` without waiting; its task id.
pub async fn submit_download(server: &TestServer, code: &str, priority: &str) -> i64 {
    let (status, body) = server
        .post_json(
            &format!("/api/downloads/{code}"),
            json!({ "priority": priority }),
        )
        .await;
    assert_eq!(status, 202, "{code}: {body}");
    body["task"]["id"].as_i64().expect("task id")
}

/// What `GET /stream/{CODE}/2/full` answers: the file a download must produce.
pub async fn full_stream(fixture: &fixture_site::FixtureSite, code: &str) -> Vec<u8> {
    let url = format!("{}/stream/{code}/{BEST_VARIANT}/full", fixture.base_url());
    reqwest::get(url)
        .await
        .expect("full")
        .bytes()
        .await
        .expect("bytes")
        .to_vec()
}

/// The video of `code` in the server's data directory: `resource/video/{CODE}.ts` (an
/// MPEG-TS stream kept as it is) or `{CODE}.mp4`, whichever is there (the `.mp4` when
/// neither is).
pub fn video_path(server: &TestServer, code: &str) -> PathBuf {
    let dir = server.data.path().join("resource/video");
    let ts = dir.join(format!("{code}.ts"));
    if ts.exists() {
        ts
    } else {
        dir.join(format!("{code}.mp4"))
    }
}

pub fn queue(server: &TestServer) -> &kura::TaskQueue {
    server.server.as_ref().expect("running").tasks()
}

/// Waits (at most `limit`) for task `id` to finish.
pub async fn finished(server: &TestServer, id: i64, limit: Duration) -> kura::store::TaskRow {
    let task = queue(server).wait(id, limit).await.expect("task");
    assert!(
        task.status.is_finished(),
        "task {id} did not finish within {limit:?}: {task:?}"
    );
    task
}

/// The `/stream/...` path (no query) of segment `index` of `code`'s best variant.
pub fn segment_path(code: &str, index: usize, extension: &str) -> String {
    format!("/stream/{code}/{BEST_VARIANT}/seg{index}.{extension}")
}

/// A JSON number field as `u64`, 0 when absent.
pub fn number(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

/// Waits until the fixture has seen every request a killed process sent (its count stops
/// moving for 100 ms; at most 3 s).
pub async fn settle(fixture: &fixture_site::FixtureSite) {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut last = fixture.total_hits();
    let mut still_since = Instant::now();
    while Instant::now() < deadline && still_since.elapsed() < Duration::from_millis(100) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let now = fixture.total_hits();
        if now != last {
            (last, still_since) = (now, Instant::now());
        }
    }
}

/// Segments of `code`'s best variant the fixture was asked for at least once, of the
/// first `segments`.
pub fn fetched_segments(
    fixture: &fixture_site::FixtureSite,
    code: &str,
    segments: usize,
) -> std::collections::BTreeSet<usize> {
    (0..segments)
        .filter(|&index| fixture.hits(&segment_path(code, index, "ts")) > 0)
        .collect()
}

/// Segments a restart will not fetch again: joined into the stream, per the work
/// directory's journal, or complete (`seg-N`, never `seg-N.part`) and waiting their turn.
pub fn complete_on_disk(work_dir: &std::path::Path) -> std::collections::BTreeSet<usize> {
    kura::download::saved_parts(work_dir)
        .iter()
        .filter_map(|name| name.strip_prefix("seg-")?.parse().ok())
        .collect()
}
