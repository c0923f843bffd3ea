//! `kura import nassav --codes FILE` on a data directory with no server running: the
//! replaced system's code-list backup (a JSON object with a timestamp, a count and the
//! list) becomes add tasks; a server started on the same directory adds what the sites
//! know and fails the rest with `code_not_found`; a second import finds them present.

use std::time::Duration;

use serde_json::json;

use super::{LIBRARY_PLUGINS, start};
use crate::maintenance::{kura_async, text};
use crate::support::TestServer;

#[tokio::test]
async fn a_code_list_backup_becomes_add_tasks_a_server_runs() {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, json!({})).await;
    let config = crate::support::config(&fixture.base_url());
    let data = server.stop_keeping_data().await;
    std::fs::write(data.path().join("config.yaml"), config.render()).expect("config");
    let backup = data.path().join("avid_list.json");
    std::fs::write(
        &backup,
        json!({
            "timestamp": "2024-05-01T10:00:00",
            "count": 5,
            "avid_list": ["DEMO-001", "demo002", "DEMO-001", "DEMO-030", "../etc"],
        })
        .to_string(),
    )
    .expect("backup");
    let path = backup.to_string_lossy().into_owned();

    let output = kura_async(data.path(), &["import", "nassav", "--codes", &path]).await;
    assert!(output.status.success(), "{}", text(&output));
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        said.contains("5 code(s)")
            && said.contains("3 queued to add")
            && said.contains("1 listed twice")
            && said.contains("1 invalid"),
        "{said}"
    );
    assert!(said.contains("invalid \"../etc\""), "{said}");

    // A server on the directory runs them: DEMO-001 and DEMO-002 are on the sites,
    // DEMO-030 on none.
    let server = TestServer::start_in(data, &config, &LIBRARY_PLUGINS).await;
    let queue = server.server.as_ref().expect("running").tasks();
    let (_, tasks) = server.get_json("/api/tasks?kind=add_resource").await;
    let ids: Vec<i64> = tasks["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|task| task["id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 3, "{tasks}");
    let mut outcomes = Vec::new();
    for id in ids {
        let task = queue.wait(id, Duration::from_secs(60)).await.expect("task");
        outcomes.push(format!(
            "{} {}",
            task.payload["code"].as_str().unwrap_or_default(),
            task.status
        ));
    }
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            "DEMO-001 completed",
            "DEMO-002 completed",
            "DEMO-030 failed"
        ]
    );
    let (status, _) = server.get_json("/api/resource/DEMO-002/metadata").await;
    assert_eq!(status, 200);

    let output = kura_async(server.data.path(), &["import", "nassav", "--codes", &path]).await;
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        said.contains("1 queued to add") && said.contains("2 already in the library"),
        "DEMO-030 is queued again, the two added are present: {said}"
    );
    server.stop().await;

    // Not a code list: refused with what was found.
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"a": ["X-1"], "b": ["Y-2"]}"#).expect("bad");
    std::fs::write(dir.path().join("config.yaml"), config.render()).expect("config");
    let output = kura_async(
        dir.path(),
        &["import", "nassav", "--codes", &bad.to_string_lossy()],
    )
    .await;
    assert!(!output.status.success());
    assert!(
        text(&output).contains("several arrays of strings"),
        "{}",
        text(&output)
    );
}
