//! `kura tasks list | show | cancel | retry` on the database while no server runs: a
//! completed task shown, a waiting one cancelled then queued again as a new task, a
//! running one asked to stop; then a server on the same data directory runs what was
//! queued again (the cancelled long one is not resumed).

use serde_json::Value;

use super::{finished, mock, quick_tasks};
use crate::maintenance::{kura_async, text};
use crate::support::{self, TestServer};

#[tokio::test]
async fn the_queue_is_read_and_changed_without_a_server() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).merge(quick_tasks());
    let server = TestServer::start(&config, &[]).await;
    let (_, done) = mock(&server, "DEMO-001", 10, "normal").await;
    let done = done["task"]["id"].as_i64().expect("id");
    assert_eq!(
        finished(&server, done).await.status.to_string(),
        "completed"
    );
    // The download lane runs one task at a time: a long mock runs, the next one waits.
    let (_, long) = mock(&server, "DEMO-002", 600_000, "normal").await;
    let long = long["task"]["id"].as_i64().expect("id");
    let (_, pending) = mock(&server, "DEMO-003", 10, "normal").await;
    let pending = pending["task"]["id"].as_i64().expect("id");
    let (_, answer) = server.get_json(&format!("/api/tasks/{pending}")).await;
    assert_eq!(answer["status"], "pending", "{answer}");
    let data = server.stop_keeping_data().await;
    std::fs::write(data.path().join("config.yaml"), config.render()).expect("config");

    let listed = kura_async(data.path(), &["tasks", "list"]).await;
    assert!(listed.status.success(), "{}", text(&listed));
    let out = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        out.contains("completed") && out.contains("DEMO-001"),
        "{out}"
    );
    assert!(out.contains("3 of 3 task(s)"), "{out}");
    let only = kura_async(data.path(), &["tasks", "list", "--status", "pending"]).await;
    let only = String::from_utf8_lossy(&only.stdout).into_owned();
    assert!(
        only.contains("DEMO-003") && !only.contains("DEMO-001"),
        "{only}"
    );

    let shown = kura_async(data.path(), &["tasks", "show", &done.to_string()]).await;
    assert!(shown.status.success(), "{}", text(&shown));
    let task: Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!(
        (task["id"].as_i64(), task["status"].as_str()),
        (Some(done), Some("completed"))
    );

    // Only a finished-badly task is retried; a pending one is cancelled, then retried.
    let refused = kura_async(data.path(), &["tasks", "retry", &done.to_string()]).await;
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("only a failed or cancelled task"),
        "{}",
        text(&refused)
    );
    let cancelled = kura_async(data.path(), &["tasks", "cancel", &pending.to_string()]).await;
    assert!(cancelled.status.success(), "{}", text(&cancelled));
    assert!(
        text(&cancelled).contains("cancelled"),
        "{}",
        text(&cancelled)
    );
    let again = kura_async(data.path(), &["tasks", "cancel", &pending.to_string()]).await;
    assert!(
        !again.status.success(),
        "already cancelled: {}",
        text(&again)
    );
    let retried = kura_async(data.path(), &["tasks", "retry", &pending.to_string()]).await;
    assert!(retried.status.success(), "{}", text(&retried));
    let said = String::from_utf8_lossy(&retried.stdout).into_owned();
    let new_id: i64 = said
        .split("as task ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no new id in {said:?}"));
    assert!(new_id > pending, "{said}");
    // The long one was running when the server stopped: a cancel is recorded for it.
    let (_, state) = {
        let shown = kura_async(data.path(), &["tasks", "show", &long.to_string()]).await;
        let task: Value = serde_json::from_slice(&shown.stdout).expect("json");
        (
            shown,
            task["status"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let requested = kura_async(data.path(), &["tasks", "cancel", &long.to_string()]).await;
    assert!(requested.status.success(), "{}", text(&requested));
    if state == "running" {
        assert!(
            text(&requested).contains("cancellation requested"),
            "{}",
            text(&requested)
        );
    }
    let missing = kura_async(data.path(), &["tasks", "show", "999999"]).await;
    assert!(!missing.status.success() && text(&missing).contains("no task 999999"));

    // A server on the same data directory runs the retried task.
    let server = TestServer::start_in(data, &config, &[]).await;
    let ran = finished(&server, new_id).await;
    assert_eq!(
        (ran.status.to_string(), ran.payload["code"].as_str()),
        ("completed".to_owned(), Some("DEMO-003")),
        "{ran:?}"
    );
    server.stop().await;
}
