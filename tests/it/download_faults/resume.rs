//! Kill -9 during a 600-segment download, ten times (N-D1, T-A1): `kura serve` runs as a
//! child process on one data directory while the fixture site runs here and counts every
//! segment request. Each kill lands at a random point (after a random number of new
//! segments, plus a random delay); the restarted server takes its task back at once and
//! resumes from the part files. After every kill the segments requested but not saved
//! (the ones in flight: bodies being read, and requests sent ahead of their turn) are at
//! most what the engine keeps out (`concurrency + request_ahead`, raised by the pacer up
//! to `MAX_IN_FLIGHT` while the site's 25 ms latency is long next to a body's transfer),
//! and in the end every segment was
//! fetched once plus once per kill that caught it in flight: a restart fetches again at
//! most what was in flight. The file is the stream, byte for byte.
//!
//! A kill during an attempt uses that attempt up (a task that kills its worker must not
//! loop forever), and a download task has five: after its last kill the task ends
//! `failed` ("the worker stopped during every attempt") and the download is submitted
//! again, which resumes from the same part files.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use fixture_site::{FixtureConfig, FixtureSite};
use serde_json::{Value, json};

use super::{complete_on_disk, fetched_segments, number, settle};
use crate::support::process::{Lcg, free_port, prepare_data_dir, spawn_serve, wait_healthy};
use crate::support::{self};

const CODE: &str = "DEMO-001";
const SEGMENTS: usize = 600;
const CONCURRENCY: usize = 4;
const REQUEST_AHEAD: usize = 2;
const KILLS: usize = 10;
/// New segments fetched between two kills: at most this many (plus what the pacer sends
/// ahead before the kill lands, at most `MAX_IN_FLIGHT`), so ten kills land before the
/// end of the stream.
const MOST_NEW_SEGMENTS: u64 = 15;

fn segment_path(index: usize) -> String {
    super::segment_path(CODE, index, "ts")
}

/// Segments requested at least once.
fn fetched(fixture: &FixtureSite) -> BTreeSet<usize> {
    fetched_segments(fixture, CODE, SEGMENTS)
}

async fn task(client: &reqwest::Client, base: &str, id: i64) -> Value {
    client
        .get(format!("{base}/api/tasks/{id}"))
        .send()
        .await
        .expect("task")
        .json()
        .await
        .expect("json")
}

async fn submit(client: &reqwest::Client, base: &str) -> i64 {
    let response = client
        .post(format!("{base}/api/downloads/{CODE}"))
        .json(&json!({}))
        .send()
        .await
        .expect("submit");
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.expect("json");
    body["task"]["id"].as_i64().expect("id")
}

#[tokio::test]
async fn kill_nine_mid_download_refetches_only_what_was_in_flight() {
    let _exclusive = crate::support::exclusive().await;
    // 600 segments of about 21 KB with 25 ms per request: with the latency this long next
    // to a body, the pacer keeps up to `MAX_IN_FLIGHT` requests out, and ten kills still
    // land before the end.
    let fixture = FixtureSite::start(FixtureConfig {
        segment_bytes: 16 * 1024,
        stream_segments: Some(SEGMENTS),
        latency_ms: 25,
        ..FixtureConfig::default()
    })
    .await
    .expect("fixture site");
    let data = tempfile::tempdir().expect("temp dir");
    let config = support::config(&fixture.base_url()).set(
        "download",
        json!({
            "remux": false,
            "concurrency": CONCURRENCY,
            "request_ahead": REQUEST_AHEAD,
        }),
    );
    prepare_data_dir(
        data.path(),
        &config,
        &["fixture-alpha", "fixture-beta", "fixture-meta"],
    );
    let work_dir = data.path().join("work/download").join(CODE);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut random = Lcg::seeded("resume");

    let mut child = spawn_serve(data.path(), port);
    wait_healthy(&base).await;
    let response = client
        .post(format!("{base}/api/resource?wait=60"))
        .json(&json!({ "code": CODE }))
        .send()
        .await
        .expect("add");
    assert_eq!(response.status(), 201);
    let mut id = submit(&client, &base).await;
    let max_attempts = number(&task(&client, &base, id).await["max_attempts"]) as usize;

    let mut in_flight_per_kill: Vec<BTreeSet<usize>> = Vec::new();
    let mut resubmitted = 0;
    for kill in 0..KILLS {
        let target = fetched(&fixture).len() as u64 + 1 + random.below(MOST_NEW_SEGMENTS);
        let deadline = Instant::now() + Duration::from_secs(60);
        while (fetched(&fixture).len() as u64) < target {
            assert!(
                Instant::now() < deadline,
                "kill {kill}: no progress to {target} segments"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(random.below(25))).await;
        child.kill().expect("kill -9");
        child.wait().expect("reaped");
        settle(&fixture).await;
        let on_disk = complete_on_disk(&work_dir);
        let in_flight: BTreeSet<usize> = fetched(&fixture).difference(&on_disk).copied().collect();
        assert!(
            in_flight.len() <= (CONCURRENCY + REQUEST_AHEAD).max(kura::download::MAX_IN_FLIGHT),
            "kill {kill}: {} segments fetched but not on disk: {in_flight:?}",
            in_flight.len()
        );
        assert!(on_disk.len() < SEGMENTS, "kill {kill} came after the end");
        in_flight_per_kill.push(in_flight);

        child = spawn_serve(data.path(), port);
        wait_healthy(&base).await;
        // Taken back at once; after its last attempt the task is failed instead.
        let state = task(&client, &base, id).await;
        if state["status"] == "failed" {
            assert_eq!(state["attempts"], state["max_attempts"], "{state}");
            assert!(
                state["error"]
                    .as_str()
                    .is_some_and(|error| error.contains("worker stopped")),
                "{state}"
            );
            id = submit(&client, &base).await;
            resubmitted += 1;
        } else {
            assert!(
                state["status"] == "pending" || state["status"] == "running",
                "kill {kill}: {state}"
            );
        }
    }

    let deadline = Instant::now() + Duration::from_secs(120);
    let done = loop {
        let state = task(&client, &base, id).await;
        if state["status"] == "completed" {
            break state;
        }
        assert!(
            state["status"] == "pending" || state["status"] == "running",
            "{state}"
        );
        assert!(Instant::now() < deadline, "not done after 120 s: {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    child.kill().expect("kill");
    child.wait().expect("reaped");

    let written = std::fs::read(
        data.path()
            .join("resource/video")
            .join(format!("{CODE}.ts")),
    )
    .expect("video");
    assert!(
        written == fixture.full_stream(1, super::BEST_VARIANT),
        "the file is the stream"
    );
    assert!(!work_dir.exists(), "work dir removed");
    let mut refetched = 0;
    for index in 0..SEGMENTS {
        let hits = fixture.hits(&segment_path(index));
        let caught = in_flight_per_kill
            .iter()
            .filter(|in_flight| in_flight.contains(&index))
            .count() as u64;
        assert!(
            (1..=1 + caught).contains(&hits),
            "segment {index}: fetched {hits} times, in flight at {caught} kills"
        );
        refetched += hits - 1;
    }
    let in_flight_total: usize = in_flight_per_kill.iter().map(BTreeSet::len).sum();
    eprintln!(
        "resume: {KILLS} kills, {in_flight_total} segments in flight at them, {refetched} fetched again, \
         {resubmitted} resubmissions after a task's last attempt, last task reused {} segments",
        number(&done["result"]["reused_segments"])
    );
    assert_eq!(
        resubmitted,
        KILLS / max_attempts,
        "every kill used an attempt"
    );
}
