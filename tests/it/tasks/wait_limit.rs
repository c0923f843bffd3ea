//! `?wait=N` longer than the request timeout ends before it: 202 with the task, as
//! documented, never the timeout's 408.

use serde_json::{Value, json};

use super::quick_tasks;
use crate::support::{self, TestServer};

#[tokio::test]
async fn a_long_wait_answers_with_the_task_before_the_request_timeout() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url())
        .merge(quick_tasks())
        .set("server.request_timeout_ms", json!(2500));
    let server = TestServer::start(&config, &[]).await;
    for (path, body) in [
        (
            "/api/downloads/mock/DEMO-001?wait=30",
            json!({ "duration_ms": 600_000 }),
        ),
        (
            "/api/tasks?wait=300",
            json!({ "type": "mock_download", "data": { "code": "DEMO-002", "duration_ms": 600_000 } }),
        ),
    ] {
        let (status, answer): (u16, Value) = server.post_json(path, body).await;
        assert_eq!(status, 202, "{path}: {answer}");
        let task = &answer["task"];
        assert!(task["id"].as_i64().is_some(), "{path}: {answer}");
        assert!(
            matches!(task["status"].as_str(), Some("pending" | "running")),
            "{path}: {answer}"
        );
    }
    server.stop().await;
}
