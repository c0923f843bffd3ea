//! What holds secrets is readable by its owner only: the database and its WAL files, the
//! token files, backups (files 0600, their directories 0700).

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::{self, TestServer};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn assert_mode(path: &Path, expected: u32) {
    assert_eq!(
        mode(path),
        expected,
        "{} is {:o}, not {expected:o}",
        path.display(),
        mode(path)
    );
}

async fn post_task(server: &TestServer, token: &str, kind: &str) -> Value {
    let response = server
        .client
        .post(server.url("/api/tasks?wait=60"))
        .bearer_auth(token)
        .json(&json!({ "type": kind }))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "{kind}: {body}");
    body
}

#[tokio::test]
async fn secrets_and_backups_are_private_to_their_owner() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).set("server.require_token", json!(true));
    let server = TestServer::start(&config, &[]).await;
    let data = server.data.path().to_path_buf();
    let token = std::fs::read_to_string(data.join("api-token"))
        .expect("token")
        .trim()
        .to_owned();
    // A write, so the WAL files exist while the server runs.
    let response = server
        .client
        .put(server.url("/api/setting"))
        .bearer_auth(&token)
        .json(&json!({ "theme": "dark" }))
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 200);
    for name in [
        "kura.db",
        "kura.db-wal",
        "kura.db-shm",
        "api-token",
        "api-token.sha256",
    ] {
        assert_mode(&data.join(name), 0o600);
    }

    post_task(&server, &token, "backup_db").await;
    post_task(&server, &token, "backup_codes").await;
    for dir in ["backups", "backups/db", "backups/codes"] {
        assert_mode(&data.join(dir), 0o700);
    }
    let mut files = 0;
    for dir in ["backups/db", "backups/codes"] {
        for entry in std::fs::read_dir(data.join(dir)).expect("list") {
            let path = entry.expect("entry").path();
            assert_mode(&path, 0o600);
            files += 1;
        }
    }
    assert_eq!(files, 3, "a database backup, its info file and a code list");

    // A restart on the same data keeps the database private.
    let data_dir = server.stop_keeping_data().await;
    let server = TestServer::start_in(data_dir, &config, &[]).await;
    assert_mode(&server.data.path().join("kura.db"), 0o600);
    server.stop().await;
}
