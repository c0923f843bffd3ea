//! The HTTP surface of this stage: health, errors, uploads of bad input, config errors,
//! the bounds on user settings.

mod openapi;
mod settings_limits;

use std::process::Command;

use serde_json::json;

use crate::support::{self, TestServer};

#[tokio::test]
async fn errors_have_one_shape() {
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &["test-swap-v1"]).await;
    let (status, body) = server.get_json("/healthz").await;
    assert_eq!((status, body["status"].clone()), (200, json!("ok")));
    let cases: Vec<(&str, &str, Option<serde_json::Value>, u16, &str)> = vec![
        ("GET", "/nope", None, 404, "not_found"),
        (
            "POST",
            "/api/plugins/nope/rollback",
            Some(json!({})),
            404,
            "plugin_not_found",
        ),
        (
            "POST",
            "/api/plugins/test-swap/rollback",
            Some(json!({})),
            409,
            "no_previous_version",
        ),
        (
            "POST",
            "/api/plugins/nope/enable",
            Some(json!({})),
            404,
            "plugin_not_found",
        ),
        (
            "POST",
            "/api/plugins/nope/call",
            Some(json!({"input": "A-1"})),
            404,
            "plugin_not_found",
        ),
        (
            "POST",
            "/api/plugins/test-swap/call",
            Some(json!({"wrong": 1})),
            422,
            "bad_body",
        ),
    ];
    for (method, path, body, status, code) in cases {
        let request = match method {
            "GET" => server.client.get(server.url(path)),
            _ => server
                .client
                .post(server.url(path))
                .json(&body.unwrap_or_default()),
        };
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        let body: serde_json::Value = response.json().await.expect("json error body");
        assert_eq!(body["code"], code, "{method} {path}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    for (bytes, status, code) in [
        (Vec::new(), 400, "bad_body"),
        (b"not wasm".to_vec(), 422, "plugin_rejected"),
        (b"\0asm\x01\0\0\0".to_vec(), 422, "plugin_rejected"),
    ] {
        let response = server
            .client
            .post(server.url("/api/plugins"))
            .body(bytes)
            .send()
            .await
            .expect("upload");
        assert_eq!(response.status().as_u16(), status);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["code"], code, "{body}");
    }
    let (_, list) = server.get_json("/api/plugins").await;
    assert_eq!(
        list["plugins"][0]["version"], "1.0.0",
        "bad uploads changed nothing"
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_config_is_a_clear_error_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (yaml, needle) in [
        ("plugins:\n  memroy_mb: 3\n", "memroy_mb"),
        ("fetch:\n  max_redirects: 100\n", "fetch.max_redirects"),
        (
            "sources:\n  a:\n    domain: \"not a url\"\n",
            "sources.a.domain",
        ),
    ] {
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, yaml).expect("write");
        let output = Command::new(support::kura_bin())
            .arg("--config")
            .arg(&path)
            .arg("--data-dir")
            .arg(dir.path())
            .args(["serve", "--port", "0"])
            .output()
            .expect("run kura");
        assert!(!output.status.success(), "{yaml}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{yaml}: {stderr}");
    }
}

/// `kura config check FILE`: a valid file prints the whole effective configuration with
/// its secrets hidden; a bad one exits 1 naming the key, as `serve` would refuse it.
#[tokio::test]
async fn config_check_prints_the_effective_configuration_or_the_bad_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "proxy:\n  enabled: true\n  url: \"http://user:s3cret@127.0.0.1:3128\"\ndownload:\n  audio: \"ja,en\"\n",
    )
    .expect("write");
    let check = |file: &std::path::Path| {
        Command::new(support::kura_bin())
            .arg("--data-dir")
            .arg(dir.path())
            .args(["config", "check"])
            .arg(file)
            .output()
            .expect("run kura")
    };
    let output = check(&good);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("valid"), "{stdout}");
    assert!(
        stdout.contains("audio: ja,en"),
        "the file's value: {stdout}"
    );
    assert!(
        stdout.contains("concurrency: 8"),
        "a default filled in: {stdout}"
    );
    assert!(stdout.contains("user:(hidden)@127.0.0.1"), "{stdout}");
    assert!(
        !stdout.contains("s3cret"),
        "the secret never shows: {stdout}"
    );
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "download:\n  audio: \"en_US\"\n").expect("write");
    let output = check(&bad);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("download.audio"), "{stderr}");
}

#[tokio::test]
async fn cli_inspects_and_calls_plugins() {
    let output = Command::new(support::kura_bin())
        .args(["plugin", "inspect"])
        .arg(support::plugin_wasm("fixture-alpha"))
        .output()
        .expect("inspect");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let inspection: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(inspection["manifest"]["name"], "fixture-alpha");
    assert_eq!(inspection["problems"], json!([]));
    assert!(
        inspection["exports"]
            .to_string()
            .contains("kura:plugin/source@0.2.0")
    );
    let output = Command::new(support::kura_bin())
        .args(["plugin", "inspect"])
        .arg(support::plugin_wasm("test-forbidden-import"))
        .output()
        .expect("inspect");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("forbidden")
            || String::from_utf8_lossy(&output.stdout).contains("filesystem")
    );

    let fixture = support::fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).expect("dir");
    crate::support::server::install_file(&plugins, "fixture-alpha");
    let config = dir.path().join("config.yaml");
    support::config(&fixture.base_url()).write(&config);
    let data_dir = dir.path().to_path_buf();
    let run = move |args: &[&str]| {
        Command::new(support::kura_bin())
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(args)
            .output()
            .expect("kura")
    };
    let listed = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run(&["plugin", "list"])
    })
    .await
    .expect("join");
    assert!(listed.status.success());
    assert!(String::from_utf8_lossy(&listed.stdout).contains("fixture-alpha"));
    // The CLI process blocks here while the fixture site runs on this test's runtime.
    let called =
        tokio::task::spawn_blocking(move || run(&["plugin", "call", "fixture-alpha", "DEMO-002"]))
            .await
            .expect("join");
    assert!(
        called.status.success(),
        "{}",
        String::from_utf8_lossy(&called.stderr)
    );
    let hit: serde_json::Value = serde_json::from_slice(&called.stdout).expect("json");
    assert!(
        hit["playlist_url"]
            .as_str()
            .unwrap_or_default()
            .contains("DEMO-002")
    );
}
