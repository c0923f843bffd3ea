//! Hot swap: a new file or upload replaces the running version without a failed call;
//! rollback; files that fail to load leave the running version serving (K-2).
//!
//! These tests assert what happens, never how fast: the swap latency is measured by
//! `cargo run --release -p kura-bench --bin hot_swap`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{self, TestServer, plugin_wasm};

/// How long a background change may take before a test gives up: a hang guard, far
/// above any real figure, never a speed requirement.
const PATIENCE: Duration = Duration::from_secs(120);

/// Writes `bytes` as `dir/name` the way an operator's copy lands: temp file, then rename.
fn drop_in(dir: &std::path::Path, name: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{name}.incoming"));
    std::fs::write(&tmp, bytes).expect("write");
    std::fs::rename(&tmp, dir.join(name)).expect("rename");
}

/// Polls `done` every 10 ms until it holds; a hang guard gives up after a bounded number
/// of polls (about [`PATIENCE`]).
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    const POLL: Duration = Duration::from_millis(10);
    let polls = PATIENCE.as_millis() / POLL.as_millis();
    for _ in 0..polls {
        if done() {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
    panic!("{what}: still waiting after {polls} polls");
}

/// What one calling client has seen: the titles in the order they changed.
#[derive(Default)]
struct Seen {
    titles: std::sync::Mutex<Vec<String>>,
}

impl Seen {
    fn note(&self, title: String) {
        let mut titles = self.titles.lock().expect("lock");
        if titles.last() != Some(&title) {
            titles.push(title);
        }
    }

    fn last_is(&self, title: &str) -> bool {
        self.titles.lock().expect("lock").last().map(String::as_str) == Some(title)
    }

    fn titles(&self) -> Vec<String> {
        self.titles.lock().expect("lock").clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swap_under_load_then_rollback() {
    let _exclusive = crate::support::exclusive().await;
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &[]).await;
    drop_in(
        &server.plugin_dir(),
        "test-swap.wasm",
        &std::fs::read(plugin_wasm("test-swap-v1")).expect("v1"),
    );
    let host = server.plugins().clone();
    wait_until("v1 loads", || {
        host.registry().current("test-swap").is_some()
    })
    .await;
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let seen: Vec<Arc<Seen>> = (0..8).map(|_| Arc::new(Seen::default())).collect();
    let mut clients = Vec::new();
    for client_seen in &seen {
        let (host, stop, failures, client_seen) = (
            host.clone(),
            stop.clone(),
            failures.clone(),
            client_seen.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut calls = 0u64;
            let deadline = Instant::now() + PATIENCE * 3;
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                match host.resolve("test-swap", "DEMO-001").await {
                    Ok(hit) => client_seen.note(hit.title.unwrap_or_default()),
                    Err(error) => {
                        eprintln!("call failed: {error}");
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                }
                calls += 1;
                // Let the other clients and the swap in between calls on a busy machine.
                tokio::task::yield_now().await;
            }
            calls
        }));
    }
    wait_until("every client calls v1", || {
        seen.iter().all(|s| s.last_is("v1"))
    })
    .await;
    drop_in(
        &server.plugin_dir(),
        "test-swap.wasm",
        &std::fs::read(plugin_wasm("test-swap-v2")).expect("v2"),
    );
    wait_until("every client sees v2", || {
        seen.iter().all(|s| s.last_is("v2"))
    })
    .await;
    let (status, body) = server
        .post_json("/api/plugins/test-swap/rollback", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], "1.0.0");
    wait_until("every client sees v1 again", || {
        seen.iter().all(|s| s.last_is("v1"))
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    let mut total = 0;
    for client in clients {
        total += client.await.expect("client");
    }
    for client_seen in &seen {
        assert_eq!(
            client_seen.titles(),
            ["v1", "v2", "v1"],
            "each client sees v1, then v2, then v1 after rollback"
        );
    }
    println!("{total} calls by 8 clients across a swap and a rollback");
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "calls failed during the swap"
    );
    // The rollback wrote v1 back to the file, so a restart keeps v1.
    let on_disk = std::fs::read(server.plugin_dir().join("test-swap.wasm")).expect("file");
    assert_eq!(
        on_disk,
        std::fs::read(plugin_wasm("test-swap-v1")).expect("v1")
    );
    server.stop().await;
}

#[tokio::test]
async fn broken_files_leave_the_running_version_serving() {
    let fixture = support::fixture().await;
    let server =
        TestServer::start(&support::config(&fixture.base_url()), &["default-cleaner"]).await;
    let (_, before) = server.get_json("/api/plugins").await;
    let version = before["plugins"][0]["version"].clone();
    // A cleaner that fails the golden cases, under the same name.
    drop_in(
        &server.plugin_dir(),
        "default-cleaner.wasm",
        &std::fs::read(plugin_wasm("test-cleaner-bad")).expect("bad"),
    );
    // Garbage bytes in a new file.
    drop_in(
        &server.plugin_dir(),
        "garbage.wasm",
        b"\0asm this is not a component",
    );
    let mut list = serde_json::Value::Null;
    for _ in 0..PATIENCE.as_millis() / 20 {
        (_, list) = server.get_json("/api/plugins").await;
        if list["load_errors"].as_array().map_or(0, Vec::len) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        list["load_errors"].as_array().map_or(0, Vec::len) >= 2,
        "failures never reported: {list}"
    );
    assert_eq!(
        list["plugins"][0]["version"], version,
        "the running cleaner stayed"
    );
    let cleaner_error = list["plugins"][0]["last_error"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(cleaner_error.contains("golden"), "{list}");
    let (status, body) = server
        .post_json(
            "/api/plugins/default-cleaner/call",
            json!({"input": "Translation: Summer Seaside"}),
        )
        .await;
    assert_eq!((status, body), (200, json!("Summer Seaside")));
    // The same bad cleaner uploaded through the API is refused with the reason.
    let response = server
        .client
        .post(server.url("/api/plugins"))
        .body(std::fs::read(plugin_wasm("test-cleaner-bad")).expect("bad"))
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["code"], "plugin_rejected");
    server.stop().await;
}

#[tokio::test]
async fn upload_swap_rollback_enable_disable_and_restart_from_cache() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url());
    let server = TestServer::start(&config, &["test-swap-v1"]).await;
    let upload = |bytes: Vec<u8>| {
        server
            .client
            .post(server.url("/api/plugins"))
            .body(bytes)
            .send()
    };
    let response = upload(std::fs::read(plugin_wasm("test-swap-v2")).expect("v2"))
        .await
        .expect("upload");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["outcome"], "swapped");
    assert_eq!(body["previous_version"], "1.0.0");
    assert_eq!(body["plugin"]["version"], "2.0.0");
    assert_eq!(body["plugin"]["previous_versions"][0]["version"], "1.0.0");
    let response = upload(std::fs::read(plugin_wasm("test-swap-v2")).expect("v2"))
        .await
        .expect("upload");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["outcome"], "unchanged");
    // The upload replaced the file the plugin came from.
    let files: Vec<_> = std::fs::read_dir(server.plugin_dir())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        files
            .iter()
            .filter(|f| f.to_string_lossy().ends_with(".wasm"))
            .count(),
        1,
        "{files:?}"
    );

    let (status, body) = server
        .post_json("/api/plugins/test-swap/disable", json!({}))
        .await;
    assert_eq!((status, body["enabled"].clone()), (200, json!(false)));
    let (status, body) = server
        .post_json("/api/plugins/test-swap/call", json!({"input": "DEMO-001"}))
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("plugin_disabled"))
    );
    let (status, _) = server
        .post_json("/api/plugins/test-swap/enable", json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = server
        .post_json("/api/plugins/test-swap/rollback", json!({}))
        .await;
    assert_eq!((status, body["version"].clone()), (200, json!("1.0.0")));
    let (status, body) = server
        .post_json("/api/plugins/test-swap/disable", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");

    // Restart on the same data directory: compiled code comes from the cache, and the
    // run-time switch is remembered.
    let data = server.data.path().to_path_buf();
    let mut server = server;
    if let Some(running) = server.server.take() {
        running.shutdown().await;
    }
    let overrides = kura::Overrides {
        data_dir: Some(data),
        ..Default::default()
    };
    let config = kura::Config::parse(&config.render(), std::path::Path::new("t.yaml"), &overrides)
        .expect("config");
    let restarted = kura::Server::start(config).await.expect("restart");
    let (plugins, failures) = restarted.plugins().registry().views();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(plugins.len(), 1);
    assert_eq!(plugins[0].version, "1.0.0");
    assert!(plugins[0].from_cache, "the restart recompiled the plugin");
    assert!(!plugins[0].enabled, "the disable switch was forgotten");
    restarted.shutdown().await;
}

/// An upload that fails on the server's side (its plugins directory is gone) answers as
/// every internal error does: an id, never a path of the server; the running version
/// keeps serving.
#[tokio::test]
async fn an_upload_the_server_cannot_store_is_an_internal_error_without_paths() {
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &["test-swap-v1"]).await;
    let plugin_dir = server.plugin_dir();
    std::fs::remove_dir_all(&plugin_dir).expect("remove the plugins directory");
    std::fs::write(&plugin_dir, b"not a directory").expect("a file in its place");
    let response = server
        .client
        .post(server.url("/api/plugins"))
        .body(std::fs::read(plugin_wasm("test-swap-v2")).expect("v2"))
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 500);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["code"], "internal", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("(id "), "{body}");
    let data_dir = server.data.path().to_string_lossy().into_owned();
    assert!(!message.contains(&data_dir), "{body}");
    assert!(!message.contains("plugins"), "{body}");
    let (status, answer) = server
        .post_json("/api/plugins/test-swap/call", json!({"input": "DEMO-001"}))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["title"], "v1", "the running version kept serving");
    server.stop().await;
}
