//! Log files (N-M2): `kura serve` writes `logs/kura.<date>.log` and an access log with
//! one line per request (never the query, which may carry a token); `--silent` keeps the
//! terminal to warnings while the files keep everything.

use std::process::{Command, Stdio};

use serde_json::json;

use crate::support::process::{free_port, wait_healthy};
use crate::support::{TestConfig, kura_bin};

#[tokio::test]
async fn serve_writes_rotated_logs_and_an_access_log() {
    let data = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    TestConfig::empty()
        .set("server.port", json!(port))
        .write(&data.path().join("config.yaml"));
    let child = Command::new(kura_bin())
        .arg("--config")
        .arg(data.path().join("config.yaml"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["--silent", "serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kura");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_healthy(&base).await;
    let secret = client
        .get(format!("{base}/api/resources?token=s3cr3t-value"))
        .send()
        .await
        .expect("request");
    assert_eq!(secret.status(), 400);
    client
        .get(format!("{base}/nope"))
        .send()
        .await
        .expect("request");

    // SIGTERM: a clean stop flushes the log writers.
    let stopped = Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(stopped.success());
    let output = child.wait_with_output().expect("exit");
    assert!(output.status.success(), "{output:?}");
    let terminal = String::from_utf8_lossy(&output.stderr);
    assert!(
        !terminal.contains(" INFO "),
        "--silent keeps info off the terminal: {terminal}"
    );
    assert!(output.stdout.is_empty(), "nothing on stdout");

    let logs = data.path().join("logs");
    let files: Vec<String> = std::fs::read_dir(&logs)
        .expect("logs dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let read = |prefix: &str| {
        let name = files
            .iter()
            .find(|name| name.starts_with(prefix) && name.ends_with(".log"))
            .unwrap_or_else(|| panic!("no {prefix} log in {files:?}"));
        std::fs::read_to_string(logs.join(name)).expect("read log")
    };
    let main = read("kura.");
    assert!(main.contains("kura is serving"), "{main}");
    assert!(main.contains("shutting down"), "{main}");
    assert!(
        !main.contains("GET /healthz"),
        "access lines stay in the access log"
    );
    let access = read("access.");
    assert!(access.contains("GET /healthz 200"), "{access}");
    assert!(access.contains("GET /api/resources 400"), "{access}");
    assert!(access.contains("GET /nope 404"), "{access}");
    assert!(
        !access.contains("s3cr3t") && !main.contains("s3cr3t"),
        "queries are never logged"
    );
}

mod filters;
