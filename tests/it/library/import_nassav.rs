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

/// `kura config import-nassav` on that system's template as its users fill it in: the
/// printed configuration passes `kura config check` and holds the proxy, the prefix, the
/// sources' weights and the translator's Chinese profile; no cookie is carried over; a
/// file that is not that configuration is refused with the reason.
#[tokio::test]
async fn the_replaced_system_s_config_becomes_a_valid_kura_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = dir.path().join("config.yaml");
    std::fs::write(
        &original,
        "Proxy:\n  Enable: true\n  url: http://127.0.0.1:7077\n\
         FilePathPrefix: /mnt/wsl/media\nBackupPath: null\n\
         Scraper:\n  meta:\n    domain: meta.example\n\
         Source:\n  alpha:\n    domain: alpha.example\n    weight: 1000\n    cookie: sid=secret-cookie\n\
         Translator:\n  active: qwen2.5:7b\n  qwen2.5:7b:\n    type: ollama\n    url: http://localhost:11434\n    \
         model: qwen2.5:7b\n    timeout: 30\n    max_retries: 3\n    prompt_template: \"日语标题：{text}\\n中文翻译：\"\n",
    )
    .expect("write");
    let original = original.to_string_lossy().into_owned();
    let output = kura_async(dir.path(), &["config", "import-nassav", &original]).await;
    assert!(output.status.success(), "{}", text(&output));
    let converted = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!converted.contains("secret-cookie"), "{converted}");
    let path = dir.path().join("kura.yaml");
    std::fs::write(&path, &converted).expect("write");
    let checked = kura_async(dir.path(), &["config", "check", &path.to_string_lossy()]).await;
    assert!(checked.status.success(), "{}\n{converted}", text(&checked));
    let effective = String::from_utf8_lossy(&checked.stdout);
    for expected in [
        "file_path_prefix: /mnt/wsl/media",
        "url: http://127.0.0.1:7077",
        "weight: 1000",
        "domain: https://alpha.example",
        "target_language: zh",
        "timeout_ms: 30000",
        "{title}",
    ] {
        assert!(
            effective.contains(expected),
            "{expected:?} not in:\n{effective}"
        );
    }

    let list = dir.path().join("list.yaml");
    std::fs::write(&list, "- a\n- b\n").expect("write");
    let list = list.to_string_lossy().into_owned();
    let refused = kura_async(dir.path(), &["config", "import-nassav", &list]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("expected a mapping of sections"),
        "{}",
        text(&refused)
    );
}
