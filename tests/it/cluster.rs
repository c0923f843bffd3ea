//! Several `kura serve` hosts as one server through Redis. Three child processes, each
//! with its own data directory, on one PostgreSQL database, one Redis and one shared
//! plugins and media directory:
//! - deliver every host's events to clients on every host in one order with the same
//!   ids (twenty downloads and fifty additions submitted round-robin);
//! - run the download lane one task at a time across the three;
//! - let a client resume on another host;
//! - stop a running task when the cancel arrives through another host;
//! - take a plugin switch, an upload and a source cookie made through one host at once,
//!   with no directory watcher.
//!
//! These need `KURA_TEST_DATABASE_URL` and `KURA_TEST_REDIS_URL`, as do `schedules.rs`
//! (every tick fires once), `soak.rs` (hosts killed at random lose no task) and
//! `takeover.rs` (a download a dead host left is resumed by another). One host
//! whose Redis is stopped keeps serving, says so in `/readyz`, and fans out again when
//! Redis is back (needs `redis-server`).

mod schedules;
mod soak;
mod takeover;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{self, ChildServer, TestConfig, TestServer};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The longest any wait below lasts.
const PATIENCE: Duration = Duration::from_secs(120);

/// The shared Redis, or why the test is skipped.
fn redis_url() -> Option<String> {
    match std::env::var("KURA_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("KURA_TEST_REDIS_URL is not set: the Redis tests are skipped");
            None
        }
    }
}

/// Counts, all along, how many download-lane tasks the database holds as running.
struct LaneSampler {
    stop: Arc<AtomicBool>,
    /// The most seen at once.
    task: tokio::task::JoinHandle<i64>,
}

impl LaneSampler {
    fn start(pool: sqlx::AnyPool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let stop = stop.clone();
            async move {
                let mut most = 0;
                while !stop.load(Ordering::Relaxed) {
                    let running: (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM tasks WHERE lane = 'download' AND status = 'running'",
                    )
                    .fetch_one(&pool)
                    .await
                    .expect("sample");
                    most = most.max(running.0);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                most
            }
        });
        Self { stop, task }
    }
}

/// Keys of this test alone on a shared Redis.
fn unique_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("kura-test-{}-{nanos}", std::process::id())
}

async fn connect(base: &str) -> Ws {
    let url = format!("{}/ws/tasks", base.replacen("http://", "ws://", 1));
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    ws
}

/// The next text message, or None when the socket closed.
async fn next(ws: &mut Ws) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a message in time")?;
        match message {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).expect("json")),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(other) => panic!("unexpected message {other:?}"),
        }
    }
}

/// The task events a client received, until every task of `ids` has ended.
async fn task_events_until_ended(ws: &mut Ws, ids: &BTreeSet<i64>) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut ended = BTreeSet::new();
    while !ids.is_subset(&ended) {
        let event = next(ws).await.expect("the socket stays open");
        let Some(task) = event["data"]["task_id"].as_i64() else {
            continue;
        };
        if !ids.contains(&task) {
            continue;
        }
        let kind = event["type"].as_str().unwrap_or_default();
        if matches!(kind, "task_completed" | "task_failed" | "task_cancelled") {
            ended.insert(task);
        }
        seen.push(json!({ "id": event["id"], "type": kind, "task": task }));
    }
    seen
}

async fn submit(client: &reqwest::Client, base: &str, body: Value) -> i64 {
    let answer: Value = client
        .post(format!("{base}/api/tasks"))
        .json(&body)
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .expect("json");
    answer["task"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no task id in {answer}"))
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Polls `url` until `done` holds for its answer; that answer.
async fn wait_for(
    client: &reqwest::Client,
    url: &str,
    done: impl Fn(u16, &Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    crate::plugin_index::wait_for(url, async || {
        let (status, body) = get(client, url).await;
        let reached = done(status, &body);
        last = body;
        reached
    })
    .await;
    last
}

#[tokio::test]
async fn three_hosts_deliver_every_event_in_one_order() {
    let (Some(admin), Some(redis)) = (test_database::admin_url("the three-host test"), redis_url())
    else {
        return;
    };
    let database = test_database::ScratchDatabase::create(&admin).await;
    let fixture = support::fixture().await;
    let shared = tempfile::tempdir().expect("shared directory");
    let plugins_dir = shared.path().join("plugins");
    std::fs::create_dir_all(&plugins_dir).expect("plugins dir");
    for name in [
        "test-probe",
        "fixture-alpha",
        "fixture-beta",
        "fixture-meta",
    ] {
        support::server::install_file(&plugins_dir, name);
    }
    let config = support::config(&fixture.base_url()).merge(json!({
        "database": { "url": database.url() },
        "redis": { "url": redis, "key_prefix": unique_prefix() },
        "library": { "media_dir": shared.path().join("media") },
        // No watcher, as on a network file system: the signals carry the changes.
        "plugins": { "dir": plugins_dir, "watch": false },
        // Heartbeats this far apart leave the cancel to the signal between hosts.
        "tasks": { "mock_downloads": true, "lease_seconds": 900 },
    }));
    let mut hosts = Vec::new();
    for _ in 0..3 {
        hosts.push(ChildServer::start(&config, &[]).await);
    }
    let client = reqwest::Client::new();
    for host in &hosts {
        let ready = wait_for(&client, &format!("{}/readyz", host.base), |status, _| {
            status == 200
        })
        .await;
        assert_eq!(ready["checks"]["redis"]["ok"], true, "{ready}");
    }
    let mut sockets = Vec::new();
    let mut boots = BTreeSet::new();
    for host in &hosts {
        let mut ws = connect(&host.base).await;
        let hello = next(&mut ws).await.expect("hello");
        boots.insert(
            hello["data"]["boot"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        sockets.push(ws);
    }
    assert_eq!(
        boots.len(),
        1,
        "one event numbering for the deployment: {boots:?}"
    );

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database.url())
        .await
        .expect("database");
    let lane_sampler = LaneSampler::start(pool.clone());
    // Twenty downloads and fifty additions of codes the fixture site knows, submitted
    // round-robin through the three APIs.
    let mut known = fixture_site::catalog::all().filter(|&n| fixture_site::catalog::is_known(n));
    let mut downloads = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for n in 0..70 {
        let base = &hosts[n % 3].base;
        let task = if n % 7 < 2 {
            json!({ "type": "mock_download", "data": { "code": format!("CLU-{n:03}"), "duration_ms": 150 } })
        } else {
            let code = fixture_site::catalog::code(known.next().expect("fifty known codes"));
            json!({ "type": "add_resource", "data": { "code": code } })
        };
        let id = submit(&client, base, task.clone()).await;
        if task["type"] == "mock_download" {
            downloads.insert(id);
        }
        ids.insert(id);
    }
    assert_eq!(downloads.len(), 20);
    let mut sequences = Vec::new();
    for ws in &mut sockets {
        sequences.push(task_events_until_ended(ws, &ids).await);
    }
    assert_eq!(
        sequences[0], sequences[1],
        "hosts 1 and 2 saw another order"
    );
    assert_eq!(
        sequences[0], sequences[2],
        "hosts 1 and 3 saw another order"
    );
    // Every task completed once; every download with its progress seen.
    let mut ended: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for event in &sequences[0] {
        let kind = event["type"].as_str().unwrap_or_default();
        if matches!(kind, "task_completed" | "task_failed" | "task_cancelled") {
            ended
                .entry(event["task"].as_i64().unwrap_or_default())
                .or_default()
                .push(kind.to_owned());
        }
    }
    assert_eq!(ended.len(), ids.len(), "{ended:?}");
    assert!(
        ended.values().all(|ends| ends == &["task_completed"]),
        "{ended:?}"
    );
    for id in &downloads {
        for kind in ["task_started", "progress_update"] {
            assert!(
                sequences[0]
                    .iter()
                    .any(|e| e["task"] == *id && e["type"] == kind),
                "no {kind} of download {id}"
            );
        }
    }
    // Never two downloads at once across the hosts, sampled in the database all along
    // (the event order is the order events reached Redis, not the order of causes).
    lane_sampler.stop.store(true, Ordering::Relaxed);
    let most_at_once = lane_sampler.task.await.expect("sampler");
    assert_eq!(most_at_once, 1, "downloads running at once, at most");

    // A client of host 1 resumes on host 2: exactly what came after its last id.
    let boot = boots.first().cloned().unwrap_or_default();
    let since = sequences[0][2]["id"].as_u64().expect("an id");
    let last = sequences[0]
        .last()
        .and_then(|e| e["id"].as_u64())
        .expect("an id");
    let url = format!(
        "{}/ws/tasks?since={since}&boot={boot}",
        hosts[1].base.replacen("http://", "ws://", 1)
    );
    let (mut resumed, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    let hello = next(&mut resumed).await.expect("hello");
    assert_eq!(hello["data"]["resync"], false, "{hello}");
    let mut replayed: Vec<Value> = Vec::new();
    while replayed.last().and_then(|e| e["id"].as_u64()) < Some(last) {
        let event = next(&mut resumed).await.expect("replay");
        let Some(task) = event["data"]["task_id"].as_i64() else {
            continue;
        };
        if ids.contains(&task) {
            replayed.push(json!({ "id": event["id"], "type": event["type"], "task": task }));
        }
    }
    let expected: Vec<Value> = sequences[0]
        .iter()
        .filter(|e| e["id"].as_u64() > Some(since))
        .cloned()
        .collect();
    assert_eq!(replayed, expected, "the replay on another host");

    // A long download, cancelled through a host that does not run it.
    let long = submit(
        &client,
        &hosts[0].base,
        json!({ "type": "mock_download", "data": { "code": "CLU-999", "duration_ms": 600_000 } }),
    )
    .await;
    let task_url = format!("{}/api/tasks/{long}", hosts[0].base);
    let running = wait_for(&client, &task_url, |_, task| task["status"] == "running").await;
    let holder = running["lease_holder"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let other = hosts
        .iter()
        .find(|host| {
            std::fs::read_to_string(host.data_dir().join("host-id"))
                .is_ok_and(|id| id.trim() != holder)
        })
        .expect("a host that does not run it");
    let cancel = client
        .delete(format!("{}/api/tasks/{long}", other.base))
        .send()
        .await
        .expect("cancel");
    assert!(cancel.status().is_success(), "{}", cancel.status());
    let cancelled = wait_for(&client, &task_url, |_, task| task["status"] == "cancelled").await;
    assert!(cancelled["finished_at"].as_i64().is_some(), "{cancelled}");

    plugins_and_cookies_reach_every_host(&client, &hosts, &fixture.base_url()).await;
    pool.close().await;
    drop(sockets);
    drop(hosts);
    database.drop_database().await;
}

/// Switches, uploads, a rollback and a cookie made through one host take effect on the
/// others.
async fn plugins_and_cookies_reach_every_host(
    client: &reqwest::Client,
    hosts: &[ChildServer],
    fixture_url: &str,
) {
    let plugin = |list: &Value, name: &str| {
        list["plugins"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|plugin| plugin["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    // Each change goes through one host; the other two must show it.
    let others = |through: usize| {
        hosts
            .iter()
            .enumerate()
            .filter(move |(index, _)| *index != through)
    };
    let steps: [(usize, &str, Option<&str>, &str, Value); 5] = [
        (
            0,
            "/api/plugins/test-probe/disable",
            None,
            "test-probe",
            json!({ "enabled": false }),
        ),
        (
            1,
            "/api/plugins/test-probe/enable",
            None,
            "test-probe",
            json!({ "enabled": true }),
        ),
        (
            2,
            "/api/plugins",
            Some("test-swap-v1"),
            "test-swap",
            json!({ "version": "1.0.0" }),
        ),
        (
            0,
            "/api/plugins",
            Some("test-swap-v2"),
            "test-swap",
            json!({ "version": "2.0.0" }),
        ),
        (
            1,
            "/api/plugins/test-swap/rollback",
            None,
            "test-swap",
            json!({ "version": "1.0.0" }),
        ),
    ];
    for (through, path, upload, name, expected) in steps {
        let mut request = client.post(format!("{}{path}", hosts[through].base));
        if let Some(file) = upload {
            let wasm = std::fs::read(support::plugin_wasm(file)).expect("a built plugin");
            request = request
                .header("content-type", "application/wasm")
                .body(wasm);
        }
        let answer = request.send().await.expect("a plugin change");
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
        for (_, host) in others(through) {
            wait_for(client, &format!("{}/api/plugins", host.base), |_, list| {
                let shown = plugin(list, name);
                expected
                    .as_object()
                    .into_iter()
                    .flatten()
                    .all(|(key, value)| shown[key] == *value)
            })
            .await;
        }
    }

    let echo = format!("{fixture_url}/echo");
    let set = client
        .post(format!("{}/api/source/cookie", hosts[0].base))
        .json(&json!({ "source": "test-probe", "name": "kura_session", "value": "shared", "url": echo }))
        .send()
        .await
        .expect("cookie");
    assert!(set.status().is_success(), "{}", set.status());
    for host in &hosts[1..] {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let seen = support::cookie_seen_by_probe(&host.base, &echo).await;
            if seen == "kura_session=shared" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} never sent the cookie: {seen:?}",
                host.base
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A `redis-server` of the test's own on a free port, without persistence.
struct OwnRedis {
    child: Child,
    port: u16,
}

impl OwnRedis {
    fn start(port: u16) -> Option<Self> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        Some(Self { child, port })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn stop(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mock download submitted on `server` and the events a fresh client sees until it ends.
async fn download_seen_by_a_client(server: &TestServer, code: &str) -> (String, Vec<Value>) {
    let mut ws = connect(&server.base).await;
    let hello = next(&mut ws).await.expect("hello");
    let boot = hello["data"]["boot"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, answer) = server
        .post_json(
            "/api/tasks",
            json!({ "type": "mock_download", "data": { "code": code, "duration_ms": 100 } }),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["task"]["id"].as_i64().expect("id");
    let events = task_events_until_ended(&mut ws, &BTreeSet::from([id])).await;
    (boot, events)
}

#[tokio::test]
async fn a_host_keeps_serving_while_redis_is_down() {
    let port = support::process::free_port();
    let Some(redis) = OwnRedis::start(port) else {
        eprintln!("redis-server is not installed: the Redis outage test is skipped");
        return;
    };
    let config = TestConfig::bare().merge(json!({
        "redis": { "url": redis.url() },
        "tasks": { "mock_downloads": true },
    }));
    let server = TestServer::start(&config, &[]).await;
    let client = reqwest::Client::new();
    let readyz = server.url("/readyz");
    wait_for(&client, &readyz, |status, _| status == 200).await;
    let (relayed_boot, events) = download_seen_by_a_client(&server, "OUT-001").await;
    assert!(
        events.iter().any(|e| e["type"] == "task_completed"),
        "{events:?}"
    );

    let port = redis.stop();
    let down = wait_for(&client, &readyz, |status, _| status == 503).await;
    assert_eq!(down["checks"]["redis"]["ok"], false, "{down}");
    assert_eq!(down["checks"]["database"]["ok"], true, "{down}");
    // The host keeps working; its clients get its events under a boot id of its own.
    let (local_boot, events) = download_seen_by_a_client(&server, "OUT-002").await;
    assert_ne!(local_boot, relayed_boot);
    assert!(
        events.iter().any(|e| e["type"] == "task_completed"),
        "{events:?}"
    );

    let redis = OwnRedis::start(port).expect("redis-server again");
    wait_for(&client, &readyz, |status, _| status == 200).await;
    let (back_boot, events) = download_seen_by_a_client(&server, "OUT-003").await;
    // This Redis kept nothing: a new stream, a new epoch.
    assert!(
        back_boot != local_boot && back_boot != relayed_boot,
        "{back_boot}"
    );
    assert!(
        events.iter().any(|e| e["type"] == "task_completed"),
        "{events:?}"
    );
    // The events went through Redis again: its stream holds them.
    match Command::new("redis-cli")
        .args(["-p", &port.to_string(), "XLEN", "kura:events"])
        .output()
    {
        Ok(output) => {
            let length: u64 = String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .unwrap_or(0);
            assert!(
                length >= events.len() as u64,
                "the stream holds {length} events: {events:?}"
            );
        }
        Err(error) => eprintln!("redis-cli cannot run ({error}): the stream is not inspected"),
    }
    server.stop().await;
    drop(redis);
}

/// Redis stopped and started again while three hosts work through a queue: no host
/// dies, every task completes once, and afterwards a task submitted on host 1 reaches a
/// client of host 3 again.
#[tokio::test]
async fn three_hosts_ride_out_a_redis_restart() {
    let Some(admin) = test_database::admin_url("the Redis restart with three hosts") else {
        return;
    };
    let port = support::process::free_port();
    let Some(redis) = OwnRedis::start(port) else {
        eprintln!("redis-server is not installed: the Redis restart test is skipped");
        return;
    };
    let database = test_database::ScratchDatabase::create(&admin).await;
    let config = TestConfig::bare().merge(json!({
        "database": { "url": database.url() },
        "redis": { "url": redis.url() },
        "tasks": { "mock_downloads": true },
    }));
    let mut hosts = Vec::new();
    for _ in 0..3 {
        hosts.push(ChildServer::start(&config, &[]).await);
    }
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for n in 0..30 {
        let task = json!({ "type": "mock_download", "data": { "code": format!("RST-{n:03}"), "duration_ms": 50 } });
        ids.push(submit(&client, &hosts[n % 3].base, task).await);
    }
    // A third of the way through, Redis goes away, then comes back.
    let first = format!("{}/api/tasks/{}", hosts[0].base, ids[9]);
    wait_for(&client, &first, |_, task| task["status"] == "completed").await;
    let port = redis.stop();
    for host in &hosts {
        wait_for(&client, &format!("{}/readyz", host.base), |status, _| {
            status == 503
        })
        .await;
    }
    let redis = OwnRedis::start(port).expect("redis-server again");
    for host in &hosts {
        wait_for(&client, &format!("{}/readyz", host.base), |status, _| {
            status == 200
        })
        .await;
    }
    for id in &ids {
        let url = format!("{}/api/tasks/{id}", hosts[2].base);
        let task = wait_for(&client, &url, |_, task| task["status"] == "completed").await;
        assert_eq!(task["attempts"], 1, "{task}");
    }
    // Fanning out again: a client of host 3 sees a task host 1 queued and someone ran.
    let mut ws = connect(&hosts[2].base).await;
    next(&mut ws).await.expect("hello");
    let task = json!({ "type": "mock_download", "data": { "code": "RST-999", "duration_ms": 50 } });
    let id = submit(&client, &hosts[0].base, task).await;
    let events = task_events_until_ended(&mut ws, &BTreeSet::from([id])).await;
    assert!(
        events.iter().any(|e| e["type"] == "task_queued"),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e["type"] == "task_completed"),
        "{events:?}"
    );
    drop(hosts);
    drop(redis);
    database.drop_database().await;
}
