//! The download lane under load: 20 real downloads of mixed priority and 50 general
//! tasks queued at once. Sampled all along, the queue never shows two running downloads;
//! afterwards, the downloads started urgent before high before normal before low, in
//! submission order within one priority, and every file is the stream.

use std::time::{Duration, Instant};

use fixture_site::catalog;
use serde_json::{Value, json};

use super::{add, number, queue, server, submit_download, video_path};
use crate::support;

const DOWNLOADS: usize = 20;
const GENERAL: usize = 50;
const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

/// Codes some source knows, in catalog order.
fn known_codes() -> Vec<String> {
    catalog::all()
        .filter(|&n| catalog::is_known(n))
        .map(catalog::code)
        .collect()
}

#[tokio::test]
async fn one_download_at_a_time_in_priority_order_while_general_tasks_run() {
    let fixture = support::fixture().await;
    let server = server(&fixture, json!({ "tasks": { "mock_downloads": true } })).await;
    let codes = known_codes();
    let (download_codes, general_codes) = codes.split_at(DOWNLOADS);
    for code in download_codes {
        add(&server, code).await;
    }

    // A mock download holds the lane while everything is queued, so that all 20 wait
    // together and the order they start in is the queue's choice.
    let (status, blocker) = server
        .post_json(
            "/api/downloads/mock/HOLD-001",
            json!({ "duration_ms": 600_000, "priority": "urgent" }),
        )
        .await;
    assert_eq!(status, 202, "{blocker}");
    let blocker_id = blocker["task"]["id"].as_i64().expect("id");
    let mut downloads: Vec<(i64, usize)> = Vec::new();
    for (index, code) in download_codes.iter().enumerate() {
        let priority = index % PRIORITIES.len();
        let id = submit_download(&server, code, PRIORITIES[priority]).await;
        downloads.push((id, priority));
    }
    for code in &general_codes[..GENERAL] {
        let (status, body) = server
            .post_json(
                "/api/tasks",
                json!({ "type": "add_resource", "data": { "code": code } }),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    queue(&server).cancel(blocker_id).await.expect("cancel");

    let deadline = Instant::now() + Duration::from_secs(240);
    let (mut samples, mut busy_samples, mut most_general) = (0u32, 0u32, 0usize);
    loop {
        let (status, queue_status) = server.get_json("/api/tasks/queue/status").await;
        assert_eq!(status, 200, "{queue_status}");
        let running = queue_status["running"].as_array().expect("running");
        let lanes = |lane: &str| {
            running
                .iter()
                .filter(|task| task["lane"] == lane)
                .collect::<Vec<&Value>>()
        };
        let running_downloads = lanes("download");
        assert!(
            running_downloads.len() <= 1,
            "two downloads at once: {queue_status}"
        );
        samples += 1;
        busy_samples += u32::from(!running_downloads.is_empty());
        most_general = most_general.max(lanes("general").len());
        let counts = &queue_status["counts"];
        if number(&counts["pending"]) + number(&counts["running"]) == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still busy after 240 s: {counts}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!(
        "lane: {samples} samples, a download running in {busy_samples}, up to {most_general} general tasks at once"
    );
    assert!(busy_samples > 0, "the sampling saw downloads run");
    assert!(most_general > 1, "general tasks ran alongside");

    // Start order: priority first (urgent = 3), then submission (ids grow).
    let mut started: Vec<(i64, i64, usize)> = Vec::new();
    for (id, priority) in &downloads {
        let task = queue(&server).get(*id).await.expect("task");
        assert_eq!(task.status, kura::store::TaskStatus::Completed, "{task:?}");
        assert_eq!(task.attempts, 1, "{task:?}");
        let at = task.started_at.expect("started");
        let ended = task.finished_at.expect("finished");
        started.push((at, *id, *priority));
        // No other download ran while this one did.
        for (other, _) in &downloads {
            let other = queue(&server).get(*other).await.expect("task");
            if other.id != task.id {
                let (other_start, other_end) = (
                    other.started_at.expect("started"),
                    other.finished_at.expect("finished"),
                );
                assert!(
                    other_end <= at || other_start >= ended,
                    "{} and {} overlapped",
                    task.id,
                    other.id
                );
            }
        }
    }
    started.sort();
    let order: Vec<(usize, i64)> = started.iter().map(|&(_, id, p)| (p, id)).collect();
    let mut expected = order.clone();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert_eq!(
        order, expected,
        "(priority, id) in start order: urgent first, FIFO within one"
    );
    for (index, code) in download_codes.iter().enumerate() {
        let n = catalog::parse_code(code).expect("catalog code");
        let written = std::fs::read(video_path(&server, code)).expect("video");
        assert!(
            written == fixture.full_stream(n, super::BEST_VARIANT),
            "download {index} ({code}) is the stream"
        );
    }
    server.stop().await;
}
