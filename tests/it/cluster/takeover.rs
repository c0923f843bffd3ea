//! A host killed mid-download: three `kura serve` processes on one PostgreSQL, one Redis
//! and one shared media directory; the host running a 200-segment download from the
//! fixture site is killed with SIGKILL; another host takes the task when its lease
//! expires and resumes from the journal in the shared work directory (only the
//! segments in flight at the kill are fetched again); the clients connected to the
//! surviving hosts see it continue to its end; the file is the stream, byte for byte.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use fixture_site::{FixtureConfig, FixtureSite};
use serde_json::json;

use super::{connect, get, next, redis_url, submit, unique_prefix, wait_for};
use crate::download_faults::{
    BEST_VARIANT, complete_on_disk, fetched_segments, segment_path, settle,
};
use crate::support::{self, ChildServer};

const CODE: &str = "DEMO-001";
const SEGMENTS: usize = 200;

fn fetched(fixture: &FixtureSite) -> BTreeSet<usize> {
    fetched_segments(fixture, CODE, SEGMENTS)
}

#[tokio::test]
async fn another_host_resumes_a_download_a_dead_host_left() {
    let (Some(admin), Some(redis)) = (
        test_database::admin_url("the several-host takeover"),
        redis_url(),
    ) else {
        return;
    };
    let _exclusive = support::exclusive().await;
    let fixture = FixtureSite::start(FixtureConfig {
        segment_bytes: 16 * 1024,
        stream_segments: Some(SEGMENTS),
        latency_ms: 25,
        ..FixtureConfig::default()
    })
    .await
    .expect("fixture site");
    let database = test_database::ScratchDatabase::create(&admin).await;
    let shared = tempfile::tempdir().expect("shared directory");
    let plugins_dir = shared.path().join("plugins");
    std::fs::create_dir_all(&plugins_dir).expect("plugins dir");
    for name in ["fixture-alpha", "fixture-beta", "fixture-meta"] {
        support::server::install_file(&plugins_dir, name);
    }
    let media = shared.path().join("media");
    let config = support::config(&fixture.base_url()).merge(json!({
        "database": { "url": database.url() },
        "redis": { "url": redis, "key_prefix": unique_prefix() },
        "library": { "media_dir": media },
        "plugins": { "dir": plugins_dir, "watch": false },
        "tasks": { "lease_seconds": 3 },
        "download": { "remux": false, "concurrency": 4, "request_ahead": 2 },
    }));
    let mut hosts = Vec::new();
    for _ in 0..3 {
        hosts.push(Some(ChildServer::start(&config, &[]).await));
    }
    let client = reqwest::Client::new();
    let base = |hosts: &[Option<ChildServer>], index: usize| {
        hosts[index]
            .as_ref()
            .map(|host| host.base.clone())
            .expect("alive")
    };
    let added = client
        .post(format!("{}/api/resource?wait=60", base(&hosts, 0)))
        .json(&json!({ "code": CODE }))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status(), 201);
    let id = submit(
        &client,
        &base(&hosts, 0),
        json!({ "type": "download", "data": { "code": CODE } }),
    )
    .await;

    // A quarter of the way in, the host running it dies.
    let deadline = Instant::now() + Duration::from_secs(120);
    while fetched(&fixture).len() < SEGMENTS / 4 {
        assert!(Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (_, running) = get(&client, &format!("{}/api/tasks/{id}", base(&hosts, 0))).await;
    let holder = running["lease_holder"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let victim = hosts
        .iter()
        .position(|host| {
            host.as_ref().is_some_and(|host| {
                std::fs::read_to_string(host.data_dir().join("host-id"))
                    .is_ok_and(|id| id.trim() == holder)
            })
        })
        .unwrap_or_else(|| panic!("no host holds the lease: {running}"));
    let survivors: Vec<usize> = (0..3).filter(|&index| index != victim).collect();
    let mut sockets = Vec::new();
    for &index in &survivors {
        let mut ws = connect(&base(&hosts, index)).await;
        next(&mut ws).await.expect("hello");
        sockets.push(ws);
    }
    if let Some(host) = hosts[victim].take() {
        drop(host.kill_keeping_data());
    }
    // Let the dead host's last requests land, then see what it left.
    settle(&fixture).await;
    let work_dir = media.join("work/download").join(CODE);
    let on_disk = complete_on_disk(&work_dir);
    let in_flight: BTreeSet<usize> = fetched(&fixture).difference(&on_disk).copied().collect();
    assert!(on_disk.len() < SEGMENTS, "the kill came after the end");

    // Another host takes it when the lease expires, and finishes it.
    let task_url = format!("{}/api/tasks/{id}", base(&hosts, survivors[0]));
    let done = wait_for(&client, &task_url, |_, task| task["status"] == "completed").await;
    assert_eq!(done["attempts"], 2, "{done}");
    for ws in &mut sockets {
        let mut progressed = false;
        loop {
            let event = next(ws).await.expect("the socket stays open");
            if event["data"]["task_id"] != id {
                continue;
            }
            match event["type"].as_str() {
                Some("progress_update") => progressed = true,
                Some("task_completed") => break,
                _ => {}
            }
        }
        assert!(progressed, "a surviving host's client saw no progress");
    }
    let written = std::fs::read(media.join("resource/video").join(format!("{CODE}.ts")))
        .or_else(|_| std::fs::read(media.join("resource/video").join(format!("{CODE}.mp4"))))
        .expect("the video");
    assert!(
        written == fixture.full_stream(1, BEST_VARIANT),
        "the file is the stream"
    );
    let mut refetched = Vec::new();
    for index in 0..SEGMENTS {
        let hits = fixture.hits(&segment_path(CODE, index, "ts"));
        assert!(
            hits == 1 || (hits == 2 && in_flight.contains(&index)),
            "segment {index}: fetched {hits} times; in flight at the kill: {in_flight:?}"
        );
        if hits == 2 {
            refetched.push(index);
        }
    }
    eprintln!(
        "takeover: {} segments on disk at the kill, {} in flight, {} fetched again by the host that took over",
        on_disk.len(),
        in_flight.len(),
        refetched.len()
    );
    drop(hosts);
    database.drop_database().await;
}
