//! Paths that reach the filesystem come from the config or the command line, never from a
//! request: a `sync_backups` task naming a `target` is refused (400 naming the field) and
//! copies nothing; without one it syncs to `maintenance.backup_path`.

use serde_json::{Value, json};

use crate::support::{self, TestServer};

fn entries(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|list| list.count()).unwrap_or(0)
}

#[tokio::test]
async fn a_sync_target_from_a_request_is_refused() {
    let fixture = support::fixture().await;
    let configured = tempfile::tempdir().expect("configured target");
    let elsewhere = tempfile::tempdir().expect("a directory a client names");
    let config = support::config(&fixture.base_url())
        .set("maintenance.backup_path", json!(configured.path()));
    let server = TestServer::start(&config, &[]).await;
    let (status, answer) = server
        .post_json("/api/tasks?wait=60", json!({ "type": "backup_codes" }))
        .await;
    assert_eq!(status, 201, "{answer}");
    let target = elsewhere.path().display().to_string();
    for data in [
        json!({ "target": target }),
        json!({ "target": target, "days": 7 }),
        json!({ "target": null }),
        json!({ "target": "relative/dir" }),
    ] {
        let (status, answer) = server
            .post_json(
                "/api/tasks?wait=60",
                json!({ "type": "sync_backups", "data": data }),
            )
            .await;
        assert_eq!(status, 400, "{data}: {answer}");
        assert_eq!(answer["code"], "bad_task_data", "{data}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains("`target`"), "{data}: {message}");
    }
    assert_eq!(entries(elsewhere.path()), 0, "nothing was copied there");
    let (_, tasks) = server.get_json("/api/tasks?kind=sync_backups").await;
    assert_eq!(tasks["total"], 0, "no sync was queued: {tasks}");

    // Without a target the task syncs to the configured directory.
    let (status, answer) = server
        .post_json(
            "/api/tasks?wait=60",
            json!({ "type": "sync_backups", "data": { "days": 7 } }),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let copied = answer["result"]["copied"].as_array().map(Vec::len);
    assert!(copied.is_some_and(|n| n > 0), "{answer}");
    assert!(configured.path().join("backups/codes").is_dir());
    assert_eq!(entries(elsewhere.path()), 0);
    server.stop().await;
}

#[tokio::test]
async fn task_payloads_carry_no_paths() {
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &[]).await;
    for (kind, data) in [
        ("backup_db", json!({ "dir": "/tmp" })),
        ("backup_codes", json!({ "path": "/tmp" })),
        ("check_resources", json!({ "report": "/tmp/x.json" })),
        ("check_videos", json!({ "output": "/tmp" })),
    ] {
        let (status, answer): (u16, Value) = server
            .post_json("/api/tasks", json!({ "type": kind, "data": data }))
            .await;
        assert_eq!(status, 400, "{kind}: {answer}");
        assert_eq!(answer["code"], "bad_task_data", "{kind}: {answer}");
    }
    server.stop().await;
}

/// A schedule's data goes through its kind's checks when the server starts: a job that
/// names a sync target (or any field its task does not take) stops the start with the
/// job's name, instead of failing quietly at every tick.
#[tokio::test]
async fn a_schedule_whose_data_its_task_refuses_stops_the_start() {
    let data = tempfile::tempdir().expect("data dir");
    let elsewhere = tempfile::tempdir().expect("a directory");
    for (job, body) in [
        (
            "offsite",
            json!({"cron": "0 4 * * *", "task": "sync_backups", "data": {"target": elsewhere.path()}}),
        ),
        (
            "typo",
            json!({"cron": "0 4 * * *", "task": "backup_db", "data": {"dayz": 3}}),
        ),
        (
            "unknown",
            json!({"cron": "0 4 * * *", "task": "no_such_task", "data": {}}),
        ),
    ] {
        let text = support::TestConfig::bare()
            .set(&format!("schedules.jobs.{job}"), body)
            .render();
        let overrides = kura::Overrides {
            data_dir: Some(data.path().to_path_buf()),
            ..Default::default()
        };
        let config = kura::Config::parse(&text, std::path::Path::new("t.json"), &overrides)
            .expect("the config itself parses");
        let error = match kura::Server::start(config).await {
            Ok(server) => {
                server.shutdown().await;
                panic!("{job}: the server started");
            }
            Err(error) => format!("{error:#}"),
        };
        assert!(error.contains(&format!("schedules.jobs.{job}")), "{error}");
    }
    assert_eq!(entries(elsewhere.path()), 0, "nothing was copied");
}
