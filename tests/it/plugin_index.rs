//! A signed plugin index followed by a running server: the publisher's side with the
//! `kura` binary alone (keys, author signature, index add and sign), install by name
//! through the operator's approval, an update reaching the server with no failed call,
//! and a tampered or unreachable index that changes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{self, TestConfig, TestServer, kura_bin, plugin_wasm};

/// A hang guard for background work, far above any real figure.
const PATIENCE: Duration = Duration::from_secs(120);

/// The publisher's working directory: keys, plugin files and the index under `site/`.
pub(crate) struct Publisher {
    work: tempfile::TempDir,
}

impl Publisher {
    pub(crate) fn new() -> Self {
        let publisher = Self {
            work: tempfile::tempdir().expect("tempdir"),
        };
        for name in ["root", "index", "author"] {
            publisher.kura(&["plugin", "keygen", "--unencrypted", "--name", name]);
        }
        publisher.kura(&[
            "index",
            "init",
            "site",
            "--name",
            "demo",
            "--root-key",
            "root.key",
            "--index-key",
            "index.pub",
        ]);
        publisher
    }

    pub(crate) fn dir(&self) -> &Path {
        self.work.path()
    }

    /// Runs `kura ARGS` in the work directory; it must succeed.
    pub(crate) fn kura(&self, args: &[&str]) -> String {
        let output = self.try_kura(args);
        assert!(
            output.status.success(),
            "kura {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn try_kura(&self, args: &[&str]) -> std::process::Output {
        Command::new(kura_bin())
            .args(args)
            .arg("--data-dir")
            .arg(self.dir().join("kura-data"))
            .current_dir(self.dir())
            .env_remove("KURA_CONFIG")
            .output()
            .expect("run kura")
    }

    /// Signs a built plugin as its author, adds it to the index and signs the index.
    fn publish(&self, plugin: &str) {
        self.add(plugin, &format!("{plugin}.wasm"), "author");
        self.kura(&["index", "sign", "site", "--key", "index.key"]);
    }

    /// Signs a plugin file as the author, adds it to the index and signs the index.
    pub(crate) fn publish_file(&self, path: &Path) {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name");
        std::fs::copy(path, self.dir().join(file)).expect("copy");
        self.kura(&["plugin", "sign", file, "--key", "author.key"]);
        self.kura(&["index", "add", "site", file, "--author-key", "author.pub"]);
        self.kura(&["index", "sign", "site", "--key", "index.key"]);
    }

    /// Copies a built plugin in as `file`, signs it with the author key `author` and
    /// adds it to the draft, naming that key as the plugin's.
    fn add(&self, plugin: &str, file: &str, author: &str) {
        std::fs::copy(plugin_wasm(plugin), self.dir().join(file)).expect("copy");
        let (key, public) = (format!("{author}.key"), format!("{author}.pub"));
        self.kura(&["plugin", "sign", file, "--key", &key]);
        self.kura(&["index", "add", "site", file, "--author-key", &public]);
    }

    fn root_key(&self) -> String {
        let text = std::fs::read_to_string(self.dir().join("root.pub")).expect("root.pub");
        text.lines().nth(1).expect("key line").trim().to_owned()
    }

    fn site(&self) -> PathBuf {
        self.dir().join("site")
    }
}

/// A fixture site serving the publisher's directory (the index under `/files/site/`).
pub(crate) async fn serve(publisher: &Publisher) -> fixture_site::FixtureSite {
    fixture_site::FixtureSite::start(fixture_site::FixtureConfig {
        files: Some(publisher.dir().to_owned()),
        ..fixture_site::FixtureConfig::default()
    })
    .await
    .expect("fixture")
}

/// The config entry of the publisher's index as `fixture` serves it.
pub(crate) fn index_source(
    fixture: &fixture_site::FixtureSite,
    publisher: &Publisher,
    poll_seconds: u64,
) -> Value {
    json!({
        "name": "demo",
        "url": format!("{}/files/site/", fixture.base_url()),
        "root_keys": [publisher.root_key()],
        "poll_seconds": poll_seconds,
    })
}

/// `test-swap` 1.0.0 published, the index served, and a server following it (polling
/// every `poll_seconds`).
async fn follow_test_swap(poll_seconds: u64) -> (Publisher, fixture_site::FixtureSite, TestServer) {
    let publisher = Publisher::new();
    publisher.publish("test-swap-v1");
    let fixture = serve(&publisher).await;
    let config = support::config(&fixture.base_url()).merge(json!({
        "plugin_index": { "sources": [index_source(&fixture, &publisher, poll_seconds)] }
    }));
    let server = TestServer::start(&config, &[]).await;
    (publisher, fixture, server)
}

/// The events of a plugin's history, oldest first, and the whole answer.
async fn history(server: &TestServer, name: &str) -> (Vec<String>, Value) {
    let (_, body) = server
        .get_json(&format!("/api/plugins/{name}/history"))
        .await;
    let events = body["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|line| line["event"].as_str().map(str::to_owned))
        .collect();
    (events, body)
}

/// Installs `name` and approves exactly the difference the server shows; the outcome
/// (`installed`...). An answer that came before the install ended (`installing`: a
/// large component compiling on a busy machine) is followed by the plugin's history.
pub(crate) async fn install_approved(server: &TestServer, name: &str) -> String {
    let approval = approval_asked(server, name).await;
    let (status, body) = server
        .post_json(&format!("/api/plugins/{name}/approve"), approval.clone())
        .await;
    if body["outcome"] != "installing" {
        assert_eq!(status, 200, "{body}");
        return body["outcome"].as_str().unwrap_or_default().to_owned();
    }
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["version"], approval["version"], "{body}");
    let mut outcome = String::new();
    wait_for("the approved install, in the history", async || {
        let (events, _) = history(server, name).await;
        let ended = events
            .iter()
            .rev()
            .find(|event| ["installed", "updated", "refused"].contains(&event.as_str()));
        outcome = ended.cloned().unwrap_or_default();
        ended.is_some()
    })
    .await;
    outcome
}

/// Asks to install `name` and answers with the approval of exactly the difference the
/// server shows.
async fn approval_asked(server: &TestServer, name: &str) -> Value {
    let (status, body) = server
        .post_json("/api/plugins/install", json!({"name": name}))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["outcome"], "approval_required", "{body}");
    let pending = &body["pending"];
    json!({"version": pending["version"], "hosts_added": pending["hosts_added"], "author_keys": pending["author_keys_new"]})
}

pub(crate) async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    for _ in 0..(PATIENCE.as_millis() / 50) {
        if done().await {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: gave up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: still waiting");
}

/// An approval whose install outlasts the request (here the index's server answers
/// each request after a second, the request timeout is a second) is answered
/// `installing` in time, and the install goes on to serve the release.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_install_that_outlasts_the_request_is_answered_installing_and_goes_on() {
    let publisher = Publisher::new();
    publisher.publish("test-swap-v1");
    let fixture = fixture_site::FixtureSite::start(fixture_site::FixtureConfig {
        files: Some(publisher.dir().to_owned()),
        latency_ms: 1000,
        ..fixture_site::FixtureConfig::default()
    })
    .await
    .expect("fixture");
    let config = support::config(&fixture.base_url()).merge(json!({
        "plugin_index": { "sources": [index_source(&fixture, &publisher, 3600)] },
        "server": { "request_timeout_ms": 1000 },
    }));
    let server = TestServer::start(&config, &[]).await;
    // The first poll, which reads several files of the slow index.
    wait_for("the index read", async || {
        let (_, body) = server.get_json("/api/index").await;
        body["indexes"][0]["plugins"]
            .as_array()
            .is_some_and(|plugins| plugins.iter().any(|p| p["name"] == "test-swap"))
    })
    .await;
    let approval = approval_asked(&server, "test-swap").await;
    // Downloading the release alone takes a second.
    let (status, body) = server
        .post_json("/api/plugins/test-swap/approve", approval)
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["outcome"], "installing", "{body}");
    assert_eq!(body["version"], "1.0.0", "{body}");
    assert!(server.plugins().registry().current("test-swap").is_none());
    // While it installs, its history reads from the index.
    let (events, body) = history(&server, "test-swap").await;
    assert!(
        events.starts_with(&["approval_required".to_owned(), "approved".to_owned()]),
        "{body}"
    );
    assert_eq!(body["index"], "demo", "{body}");
    wait_for("the release serving", async || {
        server
            .plugins()
            .registry()
            .current("test-swap")
            .is_some_and(|current| current.version() == "1.0.0")
    })
    .await;
    // The install is recorded once the new version serves.
    wait_for("the install recorded", async || {
        let (events, _) = history(&server, "test-swap").await;
        events.len() >= 3
    })
    .await;
    let (events, body) = history(&server, "test-swap").await;
    assert_eq!(
        events,
        ["approval_required", "approved", "installed"],
        "{body}"
    );
    server.stop().await;
}

fn plugin_of<'a>(index: &'a Value, name: &str) -> &'a Value {
    index["indexes"][0]["plugins"]
        .as_array()
        .and_then(|plugins| plugins.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("{name} not in {index}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_release_installs_with_approval_and_updates_without_a_failed_call() {
    let _exclusive = support::exclusive().await;
    let publisher = Publisher::new();
    publisher.publish("test-swap-v1");
    let fixture = serve(&publisher).await;
    let config = support::config(&fixture.base_url()).merge(json!({
        "plugin_index": { "sources": [index_source(&fixture, &publisher, 1)]},
        // An index that never answers is given up on after this long.
        "fetch": { "timeout_ms": 2000 },
    }));
    let server = TestServer::start(&config, &[]).await;

    // The index as the server sees it.
    let (status, body) = server.post_json("/api/index/refresh", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let swap = plugin_of(&body, "test-swap");
    assert_eq!(swap["status"], "not_installed", "{body}");
    assert_eq!(swap["available"], "1.0.0");

    // A first install asks for approval of the hosts and the author key.
    let (status, body) = server
        .post_json("/api/plugins/install", json!({"name": "test-swap"}))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["outcome"], "approval_required");
    let pending = body["pending"].clone();
    assert_eq!(pending["version"], "1.0.0");
    assert_eq!(
        pending["hosts_added"],
        json!(["http://127.0.0.1:*", "http://localhost:*"])
    );
    assert!(server.plugins().registry().current("test-swap").is_none());

    // An approval of something else is refused; the exact difference installs.
    let stale = json!({"version": "1.0.0", "hosts_added": ["http://127.0.0.1:*"], "author_keys": pending["author_keys_new"]});
    let (status, body) = server
        .post_json("/api/plugins/test-swap/approve", stale)
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "approval_stale");
    let approval = json!({"version": "1.0.0", "hosts_added": pending["hosts_added"], "author_keys": pending["author_keys_new"]});
    let (status, body) = server
        .post_json("/api/plugins/test-swap/approve", approval)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], "installed");
    let host = server.plugins().clone();
    let hit = host
        .resolve("test-swap", "DEMO-001")
        .await
        .expect("v1 serves");
    assert_eq!(hit.title.as_deref(), Some("v1"));

    // Four clients call the plugin throughout the update.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let v2_answers = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (host, stop, failures, v2_answers) = (
            host.clone(),
            stop.clone(),
            failures.clone(),
            v2_answers.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut calls = 0u64;
            let deadline = Instant::now() + PATIENCE * 2;
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                match host.resolve("test-swap", "DEMO-001").await {
                    Ok(hit) if hit.title.as_deref() == Some("v2") => {
                        v2_answers.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(_) => {}
                    Err(error) => {
                        eprintln!("call failed: {error}");
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                }
                calls += 1;
                tokio::task::yield_now().await;
            }
            calls
        }));
    }
    publisher.publish("test-swap-v2");
    wait_for("every client sees the update", async || {
        v2_answers.load(Ordering::SeqCst) >= 4
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    let mut calls = 0;
    for client in clients {
        calls += client.await.expect("client");
    }
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "failed calls of {calls}"
    );
    assert!(calls > 4, "the clients called throughout: {calls}");
    let (events, body) = history(&server, "test-swap").await;
    assert_eq!(
        events,
        ["approval_required", "approved", "installed", "updated"],
        "{body}"
    );

    // A tampered index is refused; the plugin keeps serving, /healthz stays up.
    let index_path = publisher.site().join("index.json");
    let mut bytes = std::fs::read(&index_path).expect("index");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&index_path, &bytes).expect("tamper");
    let (_, body) = server.post_json("/api/index/refresh", json!({})).await;
    let error = &body["indexes"][0]["poll"]["last_error"];
    assert!(
        matches!(
            error["code"].as_str(),
            Some("index_signature_invalid" | "index_malformed")
        ),
        "{body}"
    );
    assert_eq!(
        body["indexes"][0]["index_version"], 2,
        "the verified index stays: {body}"
    );
    let hit = host
        .resolve("test-swap", "DEMO-001")
        .await
        .expect("still serves");
    assert_eq!(hit.title.as_deref(), Some("v2"));
    let (status, _) = server.get_json("/healthz").await;
    assert_eq!(status, 200);

    // An unreachable index, every way it can be: the same.
    bytes[at] ^= 0x01;
    std::fs::write(&index_path, &bytes).expect("untamper");
    for fault in [
        fixture_site::Fault::Status(500),
        fixture_site::Fault::Reset,
        fixture_site::Fault::Hang,
        fixture_site::Fault::NotFound,
    ] {
        // Every request while it is armed: the server's own polls run meanwhile.
        fixture.arm_fault("/files/site/index.json", fault, fixture_site::FOREVER);
        let (_, body) = server.post_json("/api/index/refresh", json!({})).await;
        assert_eq!(
            body["indexes"][0]["poll"]["last_error"]["code"], "index_unreachable",
            "{fault:?}: {body}"
        );
        assert_eq!(body["indexes"][0]["index_version"], 2, "{fault:?}");
        let hit = host.resolve("test-swap", "DEMO-001").await.expect("serves");
        assert_eq!(hit.title.as_deref(), Some("v2"), "{fault:?}");
        fixture.disarm_faults();
    }
    let (_, body) = server.post_json("/api/index/refresh", json!({})).await;
    assert!(
        body["indexes"][0]["poll"]["last_error"].is_null(),
        "back: {body}"
    );
    server.stop().await;
}

#[test]
fn the_publisher_refuses_what_a_host_would_refuse() {
    let publisher = Publisher::new();
    // A plugin that fails the host's import policy.
    let file = "bad.wasm";
    std::fs::copy(
        plugin_wasm("test-forbidden-import"),
        publisher.dir().join(file),
    )
    .expect("copy");
    publisher.kura(&["plugin", "sign", file, "--key", "author.key"]);
    let output = publisher.try_kura(&["index", "add", "site", file, "--author-key", "author.pub"]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("would refuse"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A signature by a key that is not the plugin's author key.
    std::fs::copy(plugin_wasm("test-swap-v1"), publisher.dir().join("v1.wasm")).expect("copy");
    publisher.kura(&["plugin", "sign", "v1.wasm", "--key", "index.key"]);
    let output = publisher.try_kura(&[
        "index",
        "add",
        "site",
        "v1.wasm",
        "--author-key",
        "author.pub",
    ]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("author signature"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // What is published verifies as a host checks it.
    publisher.publish("test-swap-v1");
    let out = publisher.kura(&[
        "index",
        "verify",
        "site",
        "--name",
        "demo",
        "--root-key",
        "root.pub",
    ]);
    assert!(out.contains("1 release(s)"), "{out}");
    let out = publisher.kura(&[
        "plugin",
        "verify",
        "test-swap-v1.wasm",
        "--author-key",
        "author.pub",
    ]);
    assert!(out.contains("test-swap 1.0.0"), "{out}");
}

/// Probes for `test-canary`: resolve `DEMO-001` offline against a page whose marker line
/// says `title`, expecting `expected`; with `live`, the real site's answer must have a
/// title too.
fn canary_probes(title: &str, expected: &str, live: bool) -> Value {
    let mut probe = json!({
        "name": "resolve-demo-001",
        "call": {"resolve": "DEMO-001"},
        "settings": {"domain": "http://127.0.0.1:8399"},
        "cassette": [{
            "request": {"method": "GET", "url": "http://127.0.0.1:8399/canary/DEMO-001"},
            "response": {"status": 200, "headers": [["content-type", "text/plain"]],
                         "body": format!("kura-canary-ok: {title}\n"),
                         "final_url": "http://127.0.0.1:8399/canary/DEMO-001"}
        }],
        "expect": {"ok": {"title": expected}},
    });
    if live {
        probe["live"] = json!({"ok": {"required": ["title"]}});
    }
    json!({"format": "kura-probes/1", "probes": [probe]})
}

impl Publisher {
    /// Packs probes into a copy of a built plugin, signs it, and adds it to the index;
    /// the output of `index add`.
    fn pack_and_add(&self, plugin: &str, probes: &Value) -> std::process::Output {
        let file = format!("{plugin}.wasm");
        std::fs::copy(plugin_wasm(plugin), self.dir().join(&file)).expect("copy");
        let probes_file = format!("{plugin}.probes.json");
        std::fs::write(self.dir().join(&probes_file), probes.to_string()).expect("probes");
        self.kura(&["plugin", "pack", &file, "--probes", &probes_file]);
        self.kura(&["plugin", "sign", &file, "--key", "author.key"]);
        self.try_kura(&["index", "add", "site", &file, "--author-key", "author.pub"])
    }

    fn publish_packed(&self, plugin: &str, probes: &Value) {
        let output = self.pack_and_add(plugin, probes);
        let file = format!("{plugin}.wasm");
        let probed = self.kura(&["plugin", "probe", &file]);
        assert!(probed.contains("1 probe(s) passed offline"), "{probed}");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        self.kura(&["index", "sign", "site", "--key", "index.key"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canaries_refuse_a_worse_release_and_the_watch_rolls_one_back() {
    let _exclusive = support::exclusive().await;
    let publisher = Publisher::new();
    publisher.publish_packed(
        "test-canary-v1",
        &canary_probes("canary v1", "canary v1", true),
    );
    let fixture = serve(&publisher).await;
    let config = support::config(&fixture.base_url()).merge(json!({
        "sources": { "test-canary": { "domain": fixture.base_url() } },
        "plugin_index": {
            "watch_window_seconds": 120,
            "sources": [index_source(&fixture, &publisher, 1)],
        },
    }));
    let server = TestServer::start(&config, &[]).await;
    install_approved(&server, "test-canary").await;
    let host = server.plugins().clone();
    let current = || {
        host.registry()
            .current("test-canary")
            .map(|p| p.version().to_owned())
    };
    let v1 = current().expect("v1 serves");
    assert_eq!(v1, "1.0.0");

    // Probes that fail offline: the publisher refuses the release, and so does a server
    // the file is uploaded to.
    let output = publisher.pack_and_add(
        "test-canary-v2",
        &canary_probes("canary v2", "something else", true),
    );
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("failed its probes"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let packed = std::fs::read(publisher.dir().join("test-canary-v2.wasm")).expect("packed");
    let upload = reqwest::Client::new()
        .post(server.url("/api/plugins"))
        .header("content-type", "application/wasm")
        .body(packed)
        .send()
        .await
        .expect("upload");
    assert_eq!(upload.status(), 422);
    let body: Value = upload.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("probes")),
        "{body}"
    );
    assert_eq!(current(), Some(v1.clone()));

    // Passes its recorded probes, fails against the real site where 1.0.0 passes: the
    // live canary refuses it and it is not tried again.
    publisher.publish_packed(
        "test-canary-v2",
        &canary_probes("canary v2", "canary v2", true),
    );
    wait_for("the live canary refuses 2.0.0", async || {
        let (_, body) = server.get_json("/api/index").await;
        plugin_of(&body, "test-canary")["bad_versions"]
            .as_array()
            .is_some_and(|bad| bad.iter().any(|b| b["version"] == "2.0.0"))
    })
    .await;
    let (_, body) = server.get_json("/api/index").await;
    let plugin = plugin_of(&body, "test-canary");
    assert_eq!(plugin["last_failure"]["code"], "canary_failed", "{body}");
    assert_eq!(current(), Some(v1.clone()), "1.0.0 keeps serving");

    // No live rule: it goes live, fails in production, and the watch rolls it back.
    publisher.publish_packed(
        "test-canary-v3",
        &canary_probes("canary v3", "canary v3", false),
    );
    wait_for("3.0.0 goes live", async || {
        host.registry()
            .current("test-canary")
            .is_some_and(|p| p.version() == "3.0.0")
    })
    .await;
    let mut failed_calls = 0;
    for _ in 0..2_000 {
        if current() == Some(v1.clone()) {
            break;
        }
        if host.resolve("test-canary", "DEMO-001").await.is_err() {
            failed_calls += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(current(), Some(v1.clone()), "rolled back to 1.0.0");
    assert!(failed_calls >= 5, "{failed_calls}");
    // Each version's calls are counted by how they ended.
    let (_, body) = server.get_json("/api/plugins").await;
    let plugin = body["plugins"]
        .as_array()
        .and_then(|plugins| plugins.iter().find(|p| p["name"] == "test-canary"))
        .expect("listed");
    let bad = &plugin["previous_versions"][0];
    assert_eq!(bad["version"], "3.0.0", "{plugin}");
    assert!(
        bad["outcomes"]["parse"].as_u64().is_some_and(|n| n >= 5),
        "{plugin}"
    );
    assert!(bad["outcomes"].get("ok").is_none(), "{plugin}");
    // Polls after the rollback do not install 3.0.0 again.
    let (_, before) = server.get_json("/api/index").await;
    let polled = before["indexes"][0]["poll"]["last_ok_at_ms"]
        .as_u64()
        .expect("polled");
    wait_for("two more polls", async || {
        let (_, body) = server.get_json("/api/index").await;
        body["indexes"][0]["poll"]["last_ok_at_ms"]
            .as_u64()
            .is_some_and(|at| at > polled + 1500)
    })
    .await;
    assert_eq!(current(), Some(v1), "3.0.0 is not installed again");
    let (events, body) = history(&server, "test-canary").await;
    assert_eq!(
        events,
        [
            "approval_required",
            "approved",
            "installed",
            "refused",
            "updated",
            "rolled_back"
        ],
        "{body}"
    );
    let hit = host
        .resolve("test-canary", "DEMO-001")
        .await
        .expect("1.0.0 serves");
    assert_eq!(hit.title.as_deref(), Some("canary v1"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_data_directory_has_the_built_in_plugins_and_a_file_replaces_one() {
    let _exclusive = support::exclusive().await;
    let config = TestConfig::bare().set("plugins.builtins", json!(true));
    let server = TestServer::start(&config, &[]).await;
    let (status, body) = server.get_json("/api/plugins").await;
    assert_eq!(status, 200, "{body}");
    let origin_of = |body: &Value, name: &str| {
        body["plugins"]
            .as_array()
            .and_then(|plugins| plugins.iter().find(|p| p["name"] == name))
            .map(|p| p["origin"]["type"].clone())
    };
    assert_eq!(
        origin_of(&body, "default-cleaner"),
        Some(json!("built_in")),
        "{body}"
    );
    assert_eq!(
        origin_of(&body, "jsonld"),
        Some(json!("built_in")),
        "{body}"
    );
    let cleaned = server
        .plugins()
        .clean("default-cleaner", "Translation: **\"Summer Seaside\"**")
        .await
        .expect("the built-in cleaner cleans");
    assert_eq!(cleaned, "Summer Seaside");
    // A file of the same name replaces the built-in; removing it brings the built-in back.
    let file = support::server::install_file(&server.plugin_dir(), "default-cleaner");
    wait_for("the file replaces the built-in", async || {
        let (_, body) = server.get_json("/api/plugins").await;
        origin_of(&body, "default-cleaner") == Some(json!("local"))
    })
    .await;
    std::fs::remove_file(file).expect("remove");
    wait_for("the built-in is back", async || {
        let (_, body) = server.get_json("/api/plugins").await;
        origin_of(&body, "default-cleaner") == Some(json!("built_in"))
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_installs_pins_and_updates_and_yanks_move_the_server_off_a_version() {
    let _exclusive = support::exclusive().await;
    let (publisher, _fixture, server) = follow_test_swap(3600).await;
    let url = server.url("");
    let url = url.trim_end_matches('/');
    let cli = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--server", url]);
        publisher.try_kura(&all)
    };
    let stdout =
        |output: &std::process::Output| String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr =
        |output: &std::process::Output| String::from_utf8_lossy(&output.stderr).into_owned();

    let output = cli(&["plugin", "update"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("not_installed"),
        "{}",
        stdout(&output)
    );
    // Approval is never assumed: without a terminal, --yes is required.
    let output = cli(&["plugin", "install", "test-swap"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--yes"), "{}", stderr(&output));
    assert!(server.plugins().registry().current("test-swap").is_none());
    let output = cli(&["plugin", "install", "test-swap@1.0.0", "--yes"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("http://127.0.0.1:*"),
        "the hosts are shown: {}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("test-swap 1.0.0 installed"),
        "{}",
        stdout(&output)
    );

    // Pinned: a new release is not taken; unpinned, it is.
    let output = cli(&["plugin", "pin", "test-swap"]);
    assert!(output.status.success(), "{}", stderr(&output));
    publisher.publish("test-swap-v2");
    let output = cli(&["plugin", "update", "test-swap"]);
    assert!(stdout(&output).contains("pinned"), "{}", stdout(&output));
    let version = || {
        server
            .plugins()
            .registry()
            .current("test-swap")
            .map(|p| p.version().to_owned())
    };
    assert_eq!(version().as_deref(), Some("1.0.0"));
    cli(&["plugin", "unpin", "test-swap"]);
    let output = cli(&["plugin", "update", "test-swap"]);
    assert!(
        stdout(&output).contains("up_to_date"),
        "{}",
        stdout(&output)
    );
    assert_eq!(version().as_deref(), Some("2.0.0"));
    let output = cli(&["plugin", "search", "swap"]);
    assert!(stdout(&output).contains("test-swap"), "{}", stdout(&output));

    // 2.0.0 yanked as broken, nothing newer: back to the kept 1.0.0.
    publisher.kura(&[
        "index",
        "yank",
        "site",
        "test-swap",
        "2.0.0",
        "--reason",
        "search returns nothing",
    ]);
    publisher.kura(&["index", "sign", "site", "--key", "index.key"]);
    cli(&["plugin", "update"]);
    assert_eq!(version().as_deref(), Some("1.0.0"));
    // 1.0.0 yanked as malicious, nothing clean kept: switched off, reversibly.
    publisher.kura(&[
        "index",
        "yank",
        "site",
        "test-swap",
        "1.0.0",
        "--reason",
        "exfiltrates",
        "--malicious",
    ]);
    publisher.kura(&["index", "sign", "site", "--key", "index.key"]);
    cli(&["plugin", "update"]);
    let enabled = async || {
        let (_, body) = server.get_json("/api/plugins").await;
        body["plugins"]
            .as_array()
            .and_then(|plugins| plugins.iter().find(|p| p["name"] == "test-swap"))
            .map(|p| p["enabled"].clone())
    };
    assert_eq!(enabled().await, Some(json!(false)));
    assert!(
        server
            .plugins()
            .resolve("test-swap", "DEMO-001")
            .await
            .is_err()
    );
    let (status, body) = server
        .post_json("/api/plugins/test-swap/enable", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(enabled().await, Some(json!(true)));
    let (events, body) = history(&server, "test-swap").await;
    assert_eq!(
        events,
        [
            "approval_required",
            "approved",
            "installed",
            "pinned",
            "unpinned",
            "updated",
            "rolled_back",
            "yanked"
        ],
        "{body}"
    );
    server.stop().await;
}

/// Every file under `dir` whose name marks an unfinished atomic write.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry.file_name().to_string_lossy().starts_with(".kura-") {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_an_update_restarts_consistent_and_then_updates() {
    let _exclusive = support::exclusive().await;
    let publisher = Publisher::new();
    publisher.publish("test-swap-v1");
    let fixture = serve(&publisher).await;
    let config = support::config(&fixture.base_url()).merge(json!({
        "plugin_index": { "sources": [index_source(&fixture, &publisher, 1)]}
    }));
    let server = support::ChildServer::start(&config, &[]).await;
    let http = reqwest::Client::new();
    let post = async |base: &str, path: &str, body: Value| -> Value {
        let response = http
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await
            .expect("post");
        response.json().await.expect("json")
    };
    let version_of = async |base: &str| -> Option<String> {
        let body: Value = http
            .get(format!("{base}/api/plugins"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        body["plugins"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == "test-swap")
            .and_then(|p| p["version"].as_str())
            .map(str::to_owned)
    };
    let answer = post(
        &server.base,
        "/api/plugins/install",
        json!({"name": "test-swap"}),
    )
    .await;
    let pending = &answer["pending"];
    let approval = json!({"version": "1.0.0", "hosts_added": pending["hosts_added"], "author_keys": pending["author_keys_new"]});
    let answer = post(&server.base, "/api/plugins/test-swap/approve", approval).await;
    assert_eq!(answer["outcome"], "installed", "{answer}");

    // 2.0.0's file stops halfway through; the server is killed while it waits for the rest.
    publisher.add("test-swap-v2", "v2.wasm", "author");
    let draft: Value =
        serde_json::from_slice(&std::fs::read(publisher.site().join("draft.json")).expect("draft"))
            .expect("draft json");
    let url = draft["plugins"]["test-swap"]["releases"]
        .as_array()
        .and_then(|releases| releases.iter().find(|r| r["version"] == "2.0.0"))
        .and_then(|r| r["url"].as_str())
        .expect("2.0.0 listed")
        .to_owned();
    let artifact = format!("/files/site/{url}");
    fixture.arm_fault(&artifact, fixture_site::Fault::Stall, 1);
    publisher.kura(&["index", "sign", "site", "--key", "index.key"]);
    assert!(
        fixture.wait_for_hits(&artifact, 1, PATIENCE).await,
        "the server fetches 2.0.0"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let data = server.kill_keeping_data();
    let state: Value = serde_json::from_slice(
        &std::fs::read(data.path().join("plugin-index/demo/state.json")).expect("state"),
    )
    .expect("the state file is whole");
    assert_eq!(state["plugins"]["test-swap"]["installed"], "1.0.0");

    // Restarted: a whole version serves, and the update completes.
    let server = support::ChildServer::start_in(data, &config, &[]).await;
    let serving = version_of(&server.base).await;
    assert!(
        matches!(serving.as_deref(), Some("1.0.0" | "2.0.0")),
        "{serving:?}"
    );
    wait_for("2.0.0 installs after the restart", async || {
        version_of(&server.base).await.as_deref() == Some("2.0.0")
    })
    .await;
    // A write cut short by the kill leaves nothing behind once the server is back. (A
    // write in progress right now has a temporary file for a moment: a leftover stays.)
    let data_dir = server.data_dir().to_owned();
    wait_for("no temporary file left behind", async || {
        temp_files(&data_dir).is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_down_during_the_canary_is_no_verdict_and_the_update_follows_when_it_returns() {
    let _exclusive = support::exclusive().await;
    let publisher = Publisher::new();
    // The site's page, served beside the index: what versions 2 and 3 read live.
    let page = publisher.dir().join("pages/canary/DEMO-001");
    std::fs::create_dir_all(page.parent().expect("dir")).expect("pages");
    std::fs::write(&page, "kura-canary-ok: live\n").expect("page");
    publisher.publish_packed(
        "test-canary-v2",
        &canary_probes("canary v2", "canary v2", true),
    );
    let fixture = serve(&publisher).await;
    let config = support::config(&fixture.base_url()).merge(json!({
        "sources": { "test-canary": { "domain": format!("{}/files/pages", fixture.base_url()) } },
        "plugin_index": { "sources": [index_source(&fixture, &publisher, 1)]},
    }));
    let server = TestServer::start(&config, &[]).await;
    install_approved(&server, "test-canary").await;
    let host = server.plugins().clone();
    let version = || {
        host.registry()
            .current("test-canary")
            .map(|p| p.version().to_owned())
    };
    assert_eq!(version().as_deref(), Some("2.0.0"));

    // The site answers 503 to everyone: 3.0.0 fails live, and so does 2.0.0.
    fixture.arm_fault(
        "/files/pages/canary/DEMO-001",
        fixture_site::Fault::Status(503),
        fixture_site::FOREVER,
    );
    publisher.publish_packed(
        "test-canary-v3",
        &canary_probes("canary v3", "canary v3", true),
    );
    wait_for("the canary finds no verdict", async || {
        let (_, body) = server.get_json("/api/index").await;
        plugin_of(&body, "test-canary")["last_failure"]["code"] == "canary_inconclusive"
    })
    .await;
    let (_, body) = server.get_json("/api/index").await;
    let plugin = plugin_of(&body, "test-canary");
    assert_eq!(
        plugin["bad_versions"],
        json!([]),
        "no verdict is not a refusal: {body}"
    );
    assert_eq!(version().as_deref(), Some("2.0.0"));

    // The site is back: the next poll tries again and 3.0.0 goes live.
    fixture.disarm_faults();
    wait_for("3.0.0 goes live once the site is back", async || {
        version().as_deref() == Some("3.0.0")
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_of_what_the_index_no_longer_asks_is_stale() {
    let _exclusive = support::exclusive().await;
    let (publisher, _fixture, server) = follow_test_swap(3600).await;
    let (status, body) = server
        .post_json("/api/plugins/install", json!({"name": "test-swap"}))
        .await;
    assert_eq!(status, 202, "{body}");
    let shown = body["pending"].clone();
    // Meanwhile the index names another author key for the plugin.
    publisher.kura(&["plugin", "keygen", "--unencrypted", "--name", "author2"]);
    publisher.add("test-swap-v2", "v2.wasm", "author2");
    publisher.kura(&["index", "sign", "site", "--key", "index.key"]);
    let (status, _) = server.post_json("/api/index/refresh", json!({})).await;
    assert_eq!(status, 200);
    // The operator approves what was shown: refused, and what is asked now is shown.
    let approval = json!({"version": "1.0.0", "hosts_added": shown["hosts_added"], "author_keys": shown["author_keys_new"]});
    let (status, body) = server
        .post_json("/api/plugins/test-swap/approve", approval)
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "approval_stale");
    assert!(server.plugins().registry().current("test-swap").is_none());
    let (_, index) = server.get_json("/api/index").await;
    let pending = &plugin_of(&index, "test-swap")["pending"];
    assert_ne!(
        pending["author_keys_new"], shown["author_keys_new"],
        "{index}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_refuses_every_bad_index_and_release_and_keeps_serving() {
    let _exclusive = support::exclusive().await;
    let publisher = Publisher::new();
    publisher.publish("test-swap-v1");
    let fixture = serve(&publisher).await;
    let config = support::config(&fixture.base_url()).merge(
        json!({ "plugin_index": { "sources": [index_source(&fixture, &publisher, 3600)] } }),
    );
    let server = TestServer::start(&config, &[]).await;
    install_approved(&server, "test-swap").await;
    let host = server.plugins().clone();
    let version = || {
        host.registry()
            .current("test-swap")
            .map(|p| p.version().to_owned())
    };
    let refresh = async || server.post_json("/api/index/refresh", json!({})).await.1;
    let error_of = |body: &Value| body["indexes"][0]["poll"]["last_error"]["code"].clone();
    let site = publisher.site();
    let (v1_index, v1_sig) = (
        std::fs::read(site.join("index.json")).expect("index"),
        std::fs::read(site.join("index.json.minisig")).expect("sig"),
    );

    // A release file with other bytes than the index lists: refused, 1.0.0 serves.
    publisher.add("test-swap-v2", "v2.wasm", "author");
    publisher.kura(&["index", "sign", "site", "--key", "index.key"]);
    let v2_index = std::fs::read(site.join("index.json")).expect("index");
    let artifact = std::fs::read_dir(site.join("artifacts"))
        .expect("artifacts")
        .flatten()
        .map(|entry| entry.path())
        .find(|path| {
            std::fs::read(path).ok() == std::fs::read(publisher.dir().join("v2.wasm")).ok()
        })
        .expect("2.0.0's file");
    let good = std::fs::read(&artifact).expect("artifact");
    let mut bad = good.clone();
    bad[good.len() / 3] ^= 0x10;
    std::fs::write(&artifact, &bad).expect("corrupt");
    refresh().await;
    let (_, body) = server.get_json("/api/index").await;
    assert_eq!(
        plugin_of(&body, "test-swap")["last_failure"]["code"],
        "artifact_mismatch",
        "{body}"
    );
    assert_eq!(version().as_deref(), Some("1.0.0"));
    // Fixed, and signed again: it goes live.
    std::fs::write(&artifact, &good).expect("restore");
    publisher.kura(&["index", "sign", "site", "--key", "index.key"]);
    refresh().await;
    assert_eq!(version().as_deref(), Some("2.0.0"));

    // Single-bit flips of index.json served to the server: none is taken (1,000 each of
    // the index and a release go through the same checks in the unit tests).
    let current = std::fs::read(site.join("index.json")).expect("index");
    let verified = refresh().await["indexes"][0]["index_version"].clone();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut accepted = 0;
    for _ in 0..200 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut flipped = current.clone();
        let at = (seed as usize) % flipped.len();
        flipped[at] ^= 1 << (seed >> 61);
        std::fs::write(site.join("index.json"), &flipped).expect("flip");
        let body = refresh().await;
        if error_of(&body).is_null() || body["indexes"][0]["index_version"] != verified {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 0, "flipped indexes taken");
    std::fs::write(site.join("index.json"), &current).expect("restore");

    // A replayed older index, and a second content for a version already seen.
    std::fs::write(site.join("index.json"), &v1_index).expect("replay");
    std::fs::write(site.join("index.json.minisig"), &v1_sig).expect("replay sig");
    assert_eq!(error_of(&refresh().await), "index_rollback");
    std::fs::write(site.join("index.json"), &v2_index).expect("back to version 2");
    publisher.kura(&["index", "sign", "site", "--key", "index.key"]);
    assert_eq!(
        error_of(&refresh().await),
        "index_equivocation",
        "version 3 again, other bytes"
    );
    // An expired index pauses updates; the plugin serves and /healthz is fine.
    std::fs::write(site.join("index.json"), &current).expect("restore");
    publisher.kura(&[
        "index",
        "sign",
        "site",
        "--key",
        "index.key",
        "--valid-for",
        "1s",
    ]);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let body = refresh().await;
    assert_eq!(error_of(&body), "index_expired", "{body}");
    assert_eq!(body["indexes"][0]["updates_paused"], true);
    assert_eq!(version().as_deref(), Some("2.0.0"));
    assert_eq!(server.get_json("/healthz").await.0, 200);

    // Root rotation: the old index key can no longer publish, the new one can.
    publisher.kura(&["plugin", "keygen", "--unencrypted", "--name", "root2"]);
    publisher.kura(&["plugin", "keygen", "--unencrypted", "--name", "index2"]);
    publisher.kura(&[
        "index",
        "rotate",
        "site",
        "--key",
        "root.key",
        "--key",
        "root2.key",
        "--root-pub",
        "root2.pub",
        "--index-key",
        "index2.pub",
    ]);
    let old_key = publisher.try_kura(&["index", "sign", "site", "--key", "index.key"]);
    assert!(
        !old_key.status.success(),
        "the publisher refuses the old index key"
    );
    publisher.kura(&["index", "sign", "site", "--key", "index2.key"]);
    let body = refresh().await;
    assert!(error_of(&body).is_null(), "{body}");
    assert_eq!(body["indexes"][0]["root_version"], 2, "{body}");
    assert_eq!(version().as_deref(), Some("2.0.0"));

    // A valid, newer index that lists only 1.0.0: nothing is downgraded.
    let draft_path = site.join("draft.json");
    let mut draft: Value =
        serde_json::from_slice(&std::fs::read(&draft_path).expect("draft")).expect("json");
    draft["plugins"]["test-swap"]["releases"]
        .as_array_mut()
        .expect("releases")
        .retain(|release| release["version"] == "1.0.0");
    std::fs::write(&draft_path, draft.to_string()).expect("draft");
    publisher.kura(&["index", "sign", "site", "--key", "index2.key"]);
    let body = refresh().await;
    assert!(error_of(&body).is_null(), "{body}");
    assert_eq!(
        plugin_of(&body, "test-swap")["status"],
        "index_behind",
        "{body}"
    );
    assert_eq!(version().as_deref(), Some("2.0.0"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_kept_off_auto_update_waits_for_an_install_and_shows_its_origin() {
    let _exclusive = support::exclusive().await;
    let publisher = Publisher::new();
    publisher.publish("test-swap-v1");
    let fixture = serve(&publisher).await;
    let mut source = index_source(&fixture, &publisher, 3600);
    source["auto_update_plugins"] = json!({"test-swap": false});
    let config = support::config(&fixture.base_url())
        .merge(json!({ "plugin_index": { "sources": [source] } }));
    let server = TestServer::start(&config, &[]).await;
    install_approved(&server, "test-swap").await;
    publisher.publish("test-swap-v2");
    let (_, body) = server.post_json("/api/index/refresh", json!({})).await;
    assert_eq!(
        plugin_of(&body, "test-swap")["status"],
        "update_available",
        "{body}"
    );
    let version = || {
        server
            .plugins()
            .registry()
            .current("test-swap")
            .map(|p| p.version().to_owned())
    };
    assert_eq!(version().as_deref(), Some("1.0.0"));
    let (status, body) = server
        .post_json("/api/plugins/install", json!({"name": "test-swap"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["previous_version"], "1.0.0");
    assert_eq!(version().as_deref(), Some("2.0.0"));
    // Where it came from, and who signed it.
    let (_, plugins) = server.get_json("/api/plugins").await;
    let (_, index) = server.get_json("/api/index").await;
    let plugin = plugins["plugins"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "test-swap"))
        .expect("listed");
    assert_eq!(plugin["origin"]["type"], "index", "{plugin}");
    assert_eq!(plugin["origin"]["index"], "demo");
    assert_eq!(
        plugin["origin"]["author_keys"],
        plugin_of(&index, "test-swap")["author_keys"],
        "{plugin}"
    );
    server.stop().await;
}
