//! `GET /metrics` (`metrics.enabled`): after a plugin call, a download of the fixture
//! site's stream and a few requests, the Prometheus text holds each family the
//! operations guide promises, labelled by route template (not by path), kind, plugin,
//! host and outcome; with metrics off the route is a 404 and nothing else changes.

use serde_json::json;

use crate::library::{LIBRARY_PLUGINS, add};
use crate::support::{self, TestServer};

/// The text of `/metrics`.
async fn scrape(server: &TestServer) -> (u16, String) {
    let response = reqwest::get(server.url("/metrics")).await.expect("scrape");
    let status = response.status().as_u16();
    (status, response.text().await.expect("text"))
}

/// Whether a sample line of `family` carries every label in `labels` (`key="value"`).
fn has_sample(text: &str, family: &str, labels: &[&str]) -> bool {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with(family))
        .any(|line| labels.iter().all(|label| line.contains(label)))
}

#[tokio::test]
async fn every_family_is_recorded_and_served() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).merge(json!({
        "metrics": { "enabled": true },
        "tasks": { "mock_downloads": true },
    }));
    let server = TestServer::start(&config, &LIBRARY_PLUGINS).await;
    let url = format!("{}/ws/tasks", server.base.replacen("http://", "ws://", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    add(&server, &fixture_site::catalog::code(1)).await;
    let (status, answer) = server
        .post_json(
            "/api/tasks?wait=60",
            json!({ "type": "mock_download", "data": { "code": "MET-001", "duration_ms": 50 } }),
        )
        .await;
    assert!(status < 300, "{answer}");
    let (status, _) = server.get_json("/api/resource/DEMO-001/metadata").await;
    assert_eq!(status, 200);
    let (status, text) = scrape(&server).await;
    assert_eq!(status, 200, "{text}");
    let host = fixture.base_url().trim_start_matches("http://").to_owned();
    let host = host.split(':').next().unwrap_or_default().to_owned();
    for (family, labels) in [
        (
            "kura_http_requests_total",
            vec![
                r#"route="/api/resource/{code}/metadata""#,
                r#"status="200""#,
                r#"method="GET""#,
            ],
        ),
        (
            "kura_http_request_duration_seconds_bucket",
            vec![r#"route="/api/resource/{code}/metadata""#],
        ),
        (
            "kura_task_attempts_total",
            vec![r#"kind="add_resource""#, r#"outcome="completed""#],
        ),
        (
            "kura_task_attempts_total",
            vec![r#"kind="mock_download""#, r#"outcome="completed""#],
        ),
        (
            "kura_task_duration_seconds_bucket",
            vec![r#"kind="mock_download""#],
        ),
        (
            "kura_plugin_calls_total",
            vec![
                r#"plugin="fixture-alpha""#,
                r#"outcome="succeeded""#,
                r#"version=""#,
            ],
        ),
        (
            "kura_plugin_call_duration_seconds_bucket",
            vec![r#"plugin="fixture-meta""#],
        ),
        (
            "kura_fetches_total",
            vec![&format!(r#"host="{host}""#), r#"outcome="2xx""#],
        ),
        (
            "kura_events_published_total",
            vec![r#"type="task_completed""#],
        ),
        ("kura_websocket_clients", vec![]),
        ("kura_db_connections", vec![r#"pool="write""#]),
        ("kura_db_connections_idle", vec![r#"pool="read""#]),
    ] {
        assert!(
            has_sample(&text, family, &labels),
            "no {family} {labels:?} in:\n{text}"
        );
    }
    // Paths are never labels: the code stays out of the route.
    assert!(!text.contains("DEMO-001"), "a path became a label:\n{text}");
    let clients = text
        .lines()
        .find(|line| line.starts_with("kura_websocket_clients "))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse::<f64>().ok());
    assert!(clients.is_some_and(|count| count >= 1.0), "{text}");
    let _ = ws.close(None).await;

    // A waiting task shows in the queue gauges (behind one that runs until cancelled).
    let (status, long) = server
        .post_json(
            "/api/tasks",
            json!({ "type": "mock_download", "data": { "code": "MET-002", "duration_ms": 600_000 } }),
        )
        .await;
    assert_eq!(status, 202);
    let (status, _) = server
        .post_json(
            "/api/tasks",
            json!({ "type": "mock_download", "data": { "code": "MET-003", "duration_ms": 10 } }),
        )
        .await;
    assert_eq!(status, 202);
    let (_, text) = scrape(&server).await;
    assert!(
        has_sample(&text, "kura_queue_pending", &[r#"lane="download""#]),
        "{text}"
    );
    assert!(
        has_sample(
            &text,
            "kura_queue_oldest_pending_seconds",
            &[r#"lane="download""#]
        ),
        "{text}"
    );
    let id = long["task"]["id"].as_i64().expect("id");
    let response = reqwest::Client::new()
        .delete(server.url(&format!("/api/tasks/{id}")))
        .send()
        .await
        .expect("cancel");
    assert!(response.status().is_success());
    server.stop().await;
}

#[tokio::test]
async fn metrics_are_off_by_default() {
    let server = TestServer::start(&support::TestConfig::bare(), &[]).await;
    let (status, text) = scrape(&server).await;
    assert_eq!(status, 404, "{text}");
    assert!(text.contains("metrics.enabled"), "{text}");
    server.stop().await;
}
