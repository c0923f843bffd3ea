//! The task queue through the API (T-A1, T-A6, T-C1, T-C2, T-G1, T-G2, N-D2, N-D3, N-D7,
//! N-D8, N-E1): lanes, priorities, dedup under concurrent submits, cancellation, retries,
//! progress in the queue status, and the API's errors. `soak.rs` kills the server.

mod offline;
mod soak;
mod wait_limit;

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{self, TestConfig, TestServer};

/// Mock downloads on, short leases and retries so the tests run fast.
fn quick_tasks() -> Value {
    json!({
        "tasks": {
            "mock_downloads": true,
            "lease_seconds": 3,
            "retry_base_seconds": 1,
            "retry_max_seconds": 2,
            "max_attempts": 2,
        },
    })
}

async fn server() -> (fixture_site::FixtureSite, TestServer) {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).merge(quick_tasks());
    let server =
        TestServer::start(&config, &["fixture-alpha", "fixture-beta", "fixture-meta"]).await;
    (fixture, server)
}

fn queue(server: &TestServer) -> &kura::TaskQueue {
    server.server.as_ref().expect("running").tasks()
}

async fn mock(server: &TestServer, code: &str, duration_ms: u64, priority: &str) -> (u16, Value) {
    server
        .post_json(
            &format!("/api/downloads/mock/{code}"),
            json!({ "duration_ms": duration_ms, "priority": priority }),
        )
        .await
}

async fn finished(server: &TestServer, id: i64) -> kura::store::TaskRow {
    let task = queue(server)
        .wait(id, Duration::from_secs(30))
        .await
        .expect("task");
    assert!(
        task.status.is_finished(),
        "task {id} did not finish: {task:?}"
    );
    task
}

#[tokio::test]
async fn download_lane_runs_one_while_general_tasks_go_on() {
    let (_fixture, server) = server().await;
    let (status, long) = mock(&server, "LONG-001", 20_000, "normal").await;
    assert_eq!(status, 202, "{long}");
    let long_id = long["task"]["id"].as_i64().expect("id");
    let (_, short) = mock(&server, "SHORT-001", 10, "normal").await;
    let short_id = short["task"]["id"].as_i64().expect("id");

    // Wait for the long one to start and report progress.
    let mut running = Value::Null;
    for _ in 0..600 {
        let (_, status) = server.get_json("/api/tasks/queue/status").await;
        if status["running"][0]["progress"]["segments_done"]
            .as_u64()
            .is_some()
        {
            running = status;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let running_tasks = running["running"].as_array().expect("status with progress");
    assert_eq!(running_tasks.len(), 1, "one download at a time: {running}");
    assert_eq!(running_tasks[0]["id"], long_id);
    assert_eq!(running["pending"][0]["id"], short_id, "{running}");

    // A general task is not held up by the download lane.
    let (status, added) = server
        .post_json("/api/resource?wait=60", json!({ "code": "DEMO-001" }))
        .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["result"]["resource"]["code"], "DEMO-001");
    assert_eq!(
        queue(&server).get(long_id).await.expect("long").status,
        kura::store::TaskStatus::Running
    );

    // Cancelling the running download stops it before its 20 s run is over; the next
    // one then runs.
    let response = server
        .client
        .delete(server.url(&format!("/api/tasks/{long_id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), 200);
    let cancelled = finished(&server, long_id).await;
    assert_eq!(cancelled.status, kura::store::TaskStatus::Cancelled);
    // A download that ignored the cancel would have run its 20 segments and ended
    // completed; cancelled means the kind stopped on the token.
    assert_eq!(
        cancelled.error_code,
        Some(kura::ErrorCode::TaskCancelled),
        "{cancelled:?}"
    );
    assert!(
        cancelled.progress.is_none(),
        "progress is cleared when a task is cancelled"
    );
    let short = finished(&server, short_id).await;
    assert_eq!(short.status, kura::store::TaskStatus::Completed);
    assert_eq!(short.result.as_ref().expect("result")["mock"], true);
    // A completed task keeps the progress it last reported, for the history to show.
    assert!(short.progress.is_some(), "{short:?}");

    // A finished task is removed by a second DELETE.
    let response = server
        .client
        .delete(server.url(&format!("/api/tasks/{long_id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), 204);
    assert_eq!(
        server.get_json(&format!("/api/tasks/{long_id}")).await.0,
        404
    );
    server.stop().await;
}

#[tokio::test]
async fn priorities_order_the_queue_fifo_within_one() {
    let (_fixture, server) = server().await;
    let (_, blocker) = mock(&server, "BLOCK-001", 60_000, "urgent").await;
    let blocker_id = blocker["task"]["id"].as_i64().expect("id");
    // The blocker holds the download lane before the others arrive, so they all wait
    // (a worker may take a moment to claim it on a busy machine).
    for _ in 0..300 {
        let status = queue(&server)
            .get(blocker_id)
            .await
            .expect("blocker")
            .status;
        if status == kura::store::TaskStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        queue(&server)
            .get(blocker_id)
            .await
            .expect("blocker")
            .status,
        kura::store::TaskStatus::Running,
        "the blocker runs"
    );
    let mut ids = Vec::new();
    for (code, priority) in [
        ("P-001", "low"),
        ("P-002", "normal"),
        ("P-003", "urgent"),
        ("P-004", "high"),
        ("P-005", "normal"),
        ("P-006", "urgent"),
    ] {
        let (status, body) = mock(&server, code, 1, priority).await;
        assert_eq!(status, 202, "{body}");
        ids.push(body["task"]["id"].as_i64().expect("id"));
    }
    let (_, status) = server.get_json("/api/tasks/queue/status").await;
    let pending: Vec<i64> = status["pending"]
        .as_array()
        .expect("pending")
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    let expected = [ids[2], ids[5], ids[3], ids[1], ids[4], ids[0]];
    assert_eq!(
        pending, expected,
        "urgent, high, normal, low; FIFO within one"
    );
    queue(&server).cancel(blocker_id).await.expect("cancel");
    let mut started = Vec::new();
    for id in &ids {
        let task = finished(&server, *id).await;
        started.push((task.started_at.expect("started"), task.id));
    }
    started.sort();
    let order: Vec<i64> = started.into_iter().map(|(_, id)| id).collect();
    assert_eq!(order, expected);
    server.stop().await;
}

#[tokio::test]
async fn sixty_four_concurrent_submits_make_one_task_per_round() {
    let _exclusive = crate::support::exclusive().await;
    let (_fixture, server) = server().await;
    // The lane is kept busy so every round's task stays pending while it is submitted.
    mock(&server, "BUSY-001", 600_000, "urgent").await;
    for round in 0..100 {
        let code = format!("ROUND-{round:03}");
        let submits = (0..64).map(|_| {
            let client = server.client.clone();
            let url = server.url(&format!("/api/downloads/mock/{code}"));
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .json(&json!({ "duration_ms": 1 }))
                    .send()
                    .await
                    .expect("post");
                let status = response.status().as_u16();
                let body: Value = response.json().await.expect("json");
                (status, body["task"]["id"].as_i64().expect("id"))
            })
        });
        let answers: Vec<(u16, i64)> = futures_util::future::join_all(submits)
            .await
            .into_iter()
            .map(|joined| joined.expect("join"))
            .collect();
        let ids: std::collections::BTreeSet<i64> = answers.iter().map(|(_, id)| *id).collect();
        let created = answers.iter().filter(|(status, _)| *status == 202).count();
        assert_eq!((ids.len(), created), (1, 1), "round {round}: {answers:?}");
    }
    let (_, tasks) = server
        .get_json("/api/tasks?kind=mock_download&page_size=1000")
        .await;
    assert_eq!(tasks["total"], 101, "one task per round plus the blocker");
    server.stop().await;
}

#[tokio::test]
async fn a_dead_source_is_retried_then_fails_and_the_queue_goes_on() {
    let fixture = support::fixture().await;
    // The only source points at a port where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let host = fixture.base_url().trim_start_matches("http://").to_owned();
    let config = TestConfig::bare()
        .merge(json!({
            "fetch": { "allow_private_hosts": [host, format!("127.0.0.1:{dead}")] },
            "sources": { "fixture-alpha": { "domain": format!("http://127.0.0.1:{dead}/alpha") } },
        }))
        .merge(quick_tasks());
    let server = TestServer::start(&config, &["fixture-alpha"]).await;
    let (status, body) = server
        .post_json(
            "/api/resource",
            json!({ "code": "DEMO-001", "priority": "high" }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["task"]["id"].as_i64().expect("id");
    let (_, other) = mock(&server, "OTHER-001", 1, "low").await;
    let task = finished(&server, id).await;
    assert_eq!(task.status, kura::store::TaskStatus::Failed);
    assert_eq!(
        task.attempts, 2,
        "retried once, then failed at max_attempts"
    );
    assert_eq!(
        task.error_code,
        Some(kura::ErrorCode::CodeNotFound),
        "{task:?}"
    );
    assert!(
        task.error
            .as_deref()
            .unwrap_or_default()
            .contains("DEMO-001"),
        "the message explains, without the code glued in front: {task:?}"
    );
    let other = finished(&server, other["task"]["id"].as_i64().expect("id")).await;
    assert_eq!(
        other.status,
        kura::store::TaskStatus::Completed,
        "the queue kept running"
    );
    server.stop().await;
}

#[tokio::test]
async fn task_api_errors_and_quick_operations() {
    let (_fixture, server) = server().await;
    for (body, status, code) in [
        (json!({ "type": "nope" }), 400, "unknown_task_type"),
        (
            json!({ "type": "add_resource", "data": { "code": "../x" } }),
            400,
            "bad_task_data",
        ),
        (
            json!({ "type": "add_resource", "data": {} }),
            400,
            "bad_task_data",
        ),
        (
            json!({ "type": "mock_download", "priority": 9, "data": { "code": "A-001" } }),
            400,
            "bad_request",
        ),
        (json!({ "kind": "x" }), 422, "bad_body"),
    ] {
        let (got, answer) = server.post_json("/api/tasks", body.clone()).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
    }
    for (path, status, code) in [
        ("/api/tasks/999999", 404, "task_not_found"),
        ("/api/tasks/abc", 400, "bad_request"),
        ("/api/tasks?status=weird", 400, "bad_request"),
        ("/api/tasks?page_size=0", 400, "bad_request"),
    ] {
        let (got, answer) = server.get_json(path).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{path}: {answer}"
        );
    }
    let (status, answer) = server.post_json("/api/downloads/DEMO-001", json!({})).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (404, Some("resource_not_found")),
        "{answer}"
    );

    let (status, answer) = server.post_json("/api/quick/translate", json!({})).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (403, Some("task_type_disabled")),
        "no translator profile is active: {answer}"
    );
    let (status, upgrade) = server
        .post_json("/api/quick/db-upgrade?wait=60", json!({}))
        .await;
    assert_eq!(status, 201, "{upgrade}");
    assert_eq!(upgrade["result"]["outcome"], "up_to_date", "{upgrade}");
    let (status, avatars) = server
        .post_json("/api/quick/avatars?wait=30", json!({}))
        .await;
    assert_eq!(status, 201, "{avatars}");
    assert_eq!(avatars["result"]["people"], 0);
    server
        .post_json("/api/resource?wait=60", json!({ "code": "DEMO-002" }))
        .await;
    let (status, quick) = server
        .post_json(
            "/api/quick/refresh-metadata",
            json!({ "codes": ["DEMO-002", "bad/code"] }),
        )
        .await;
    assert_eq!(status, 202, "{quick}");
    assert_eq!(
        (
            quick["queued"].as_u64(),
            quick["invalid"].as_array().map(Vec::len)
        ),
        (Some(1), Some(1))
    );
    server.stop().await;

    let fixture = support::fixture().await;
    let off = TestServer::start(&support::config(&fixture.base_url()), &[]).await;
    let (status, answer) = mock(&off, "A-001", 1, "normal").await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (403, Some("task_type_disabled")),
        "{answer}"
    );
    off.stop().await;
}
