//! Task plugins (WIT 0.2): the kind a task plugin names is submitted like a built-in one,
//! its payload checked against the plugin's schema; an attempt reads the library, queues
//! other tasks and reports progress through the plugin's imports. The shipped Rust
//! `refresh-stale`, and the same task scaffolded in JavaScript and Python, each queue a
//! refresh for every stale resource.

use std::process::Command;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::plugin_authoring::{drop_in, kura};
use crate::support::{self, TestServer};

async fn add(server: &TestServer, code: &str) {
    let (status, body) = server
        .post_json("/api/resource?wait=60", json!({ "code": code }))
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn run(server: &TestServer, kind: &str, data: Value) -> (u16, Value) {
    server
        .post_json("/api/tasks?wait=120", json!({ "type": kind, "data": data }))
        .await
}

/// The refresh tasks queued so far, by code.
async fn refreshes(server: &TestServer) -> Vec<String> {
    let (_, list) = server
        .get_json("/api/tasks?kind=refresh_resource&page_size=100")
        .await;
    let mut codes: Vec<String> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|task| task["payload"]["code"].as_str().map(str::to_owned))
        .collect();
    codes.sort();
    codes
}

#[tokio::test]
async fn a_task_plugin_adds_a_kind_whose_runs_queue_refreshes() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url());
    let server = TestServer::start(&config, &["fixture-alpha", "refresh-stale"]).await;
    add(&server, "DEMO-001").await;
    add(&server, "DEMO-002").await;

    // The payload is checked against the plugin's schema at submit.
    for bad in [
        json!({ "older_than_days": "soon" }),
        json!({ "surprise": 1 }),
    ] {
        let (status, body) = run(&server, "refresh_stale", bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["code"], "bad_task_data", "{body}");
    }
    // Nothing is older than 30 days: the run reads the library and queues nothing.
    let (status, body) = run(&server, "refresh_stale", json!({ "older_than_days": 30 })).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["result"]["checked"], 2, "{body}");
    assert_eq!(body["result"]["queued"], 0, "{body}");
    // Everything is older than 0 days: a stream refresh for each resource, and the
    // progress the plugin reports reaches clients.
    let url = format!("{}/ws/tasks", server.base.replacen("http://", "ws://", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    let (status, body) = run(&server, "refresh_stale", json!({ "older_than_days": 0 })).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["result"]["queued"], 2, "{body}");
    let id = body["task"]["id"].as_i64().expect("id");
    let mut progress = Vec::new();
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(30), ws.next())
            .await
            .expect("an event within 30 s")
            .expect("open")
            .expect("frame");
        let Message::Text(text) = message else {
            continue;
        };
        let event: Value = serde_json::from_str(&text).expect("JSON");
        if event["data"]["task_id"].as_i64() != Some(id) {
            continue;
        }
        match event["type"].as_str() {
            Some("progress_update") => progress.push(event["data"]["progress"].clone()),
            Some("task_completed") => break,
            _ => {}
        }
    }
    assert_eq!(
        progress.last().map(|p| p["done"].clone()),
        Some(json!(2)),
        "{progress:?}"
    );
    assert_eq!(refreshes(&server).await, ["DEMO-001", "DEMO-002"]);
    // Disabled, the plugin's kind is gone from the queue.
    let (status, _) = server
        .post_json("/api/plugins/refresh-stale/disable", json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = run(&server, "refresh_stale", json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "unknown_task_type", "{body}");
    server.stop().await;
}

/// The task scaffolded by `kura plugin new --kind task` runs in every language.
#[tokio::test]
async fn scaffolded_task_plugins_run_in_javascript_and_python() {
    for lang in ["js", "python"] {
        let (tool, check): (&str, &[&str]) = if lang == "js" {
            ("npm", &["--version"])
        } else {
            ("python3", &["-m", "venv", "--help"])
        };
        if !Command::new(tool)
            .args(check)
            .output()
            .is_ok_and(|output| output.status.success())
        {
            eprintln!("skipping the {lang} task plugin: {tool} is not installed");
            continue;
        }
        let work = tempfile::tempdir().expect("tempdir");
        let name = format!("stale-{lang}");
        kura(
            work.path(),
            &["plugin", "new", &name, "--kind", "task", "--lang", lang],
        );
        let project = work.path().join(&name);
        kura(&project, &["plugin", "build"]);
        let fixture = support::fixture().await;
        let server =
            TestServer::start(&support::config(&fixture.base_url()), &["fixture-alpha"]).await;
        let file = project.join("dist").join(format!("{name}-0.1.0.wasm"));
        drop_in(&server, &file, &name).await;
        add(&server, "DEMO-001").await;
        add(&server, "DEMO-002").await;
        let (status, body) = run(&server, &name, json!({ "older_than_days": 0, "limit": 1 })).await;
        assert_eq!(status, 201, "{lang}: {body}");
        assert_eq!(body["result"]["checked"], 2, "{lang}: {body}");
        assert_eq!(
            body["result"]["queued"], 1,
            "{lang}: the limit holds: {body}"
        );
        assert_eq!(refreshes(&server).await, ["DEMO-001"], "{lang}");
        server.stop().await;
    }
}

/// A running task plugin's progress reaches the task, and a cancel stops its call at once,
/// even a plugin that never checks for it (the host drops the call): the task ends
/// cancelled, not at its deadline, and the plugin is not blamed.
#[tokio::test]
async fn a_cancelled_task_plugin_stops_at_once() {
    let fixture = support::fixture().await;
    let server =
        TestServer::start(&support::config(&fixture.base_url()), &["test-task-spin"]).await;
    let (status, body) = server
        .post_json(
            "/api/tasks",
            json!({ "type": "test_spin", "data": { "ignore_cancel": true } }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["task"]["id"].as_i64().expect("id");
    // Wait (bounded) until it runs and has reported progress.
    let mut progressed = false;
    for _ in 0..600 {
        let (_, task) = server.get_json(&format!("/api/tasks/{id}")).await;
        if task["status"] == "running" && task["progress"]["done"].as_u64().unwrap_or(0) > 0 {
            progressed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(progressed, "the task ran and reported progress");
    let cancelled_at = std::time::Instant::now();
    let response = server
        .client
        .delete(server.url(&format!("/api/tasks/{id}")))
        .send()
        .await
        .expect("cancel");
    assert!(response.status().is_success(), "{}", response.status());
    let (_, task) = server.get_json(&format!("/api/tasks/{id}?wait=60")).await;
    let mut status = task["status"].clone();
    for _ in 0..600 {
        if status == "cancelled" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        status = server.get_json(&format!("/api/tasks/{id}")).await.1["status"].clone();
    }
    assert_eq!(status, "cancelled");
    let (_, list) = server.get_json("/api/plugins").await;
    let spin = list["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "test-task-spin")
        .cloned()
        .unwrap_or_default();
    assert_eq!(spin["stats"]["timeouts"], 0, "{spin}");
    assert_eq!(
        spin["stats"]["plugin_errors"], 0,
        "a cancel is not the plugin's fault: {spin}"
    );
    println!(
        "a spinning task plugin stopped {:.0} ms after its cancel",
        cancelled_at.elapsed().as_secs_f64() * 1000.0
    );
    server.stop().await;
}
