//! `kura sync-backups` (N-L3, N-K4): backups, reports and logs copied to the target
//! under the same paths with their modification times; unchanged files skipped; files
//! older than `--days` left out; a clear error without a target or with a missing one;
//! the `sync_backups` task does the same for a running server.

use std::time::Duration;

use serde_json::json;

use super::{expect_exit, kura, kura_async, set_age, text};
use crate::support::{TestConfig, TestServer};

fn mtime(path: &std::path::Path) -> std::time::SystemTime {
    std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_copies_backups_reports_and_logs_and_skips_unchanged_files() {
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(data.path().join("config.yaml"), "").expect("config");
    expect_exit(&kura(data.path(), &["seed", "--count", "5"]), 0, "seed");
    expect_exit(&kura(data.path(), &["backup-db"]), 0, "backup-db");
    expect_exit(&kura(data.path(), &["backup-codes"]), 0, "backup-codes");
    expect_exit(
        &kura(data.path(), &["check-resources", "--apply"]),
        0,
        "check",
    );
    let logs = data.path().join("logs");
    std::fs::create_dir_all(&logs).expect("logs");
    std::fs::write(logs.join("kura.log.2025-01-01"), "an old log line\n").expect("old log");
    set_age(
        &logs.join("kura.log.2025-01-01"),
        Duration::from_secs(10 * 86_400),
    );
    std::fs::write(logs.join("kura.log"), "a log line\n").expect("log");

    let no_target = kura(data.path(), &["sync-backups"]);
    expect_exit(&no_target, 1, "no target");
    assert!(
        text(&no_target).contains("pass --target PATH or set maintenance.backup_path"),
        "{}",
        text(&no_target)
    );
    let target = tempfile::tempdir().expect("target");
    let unmounted = target.path().join("not-mounted");
    let missing = kura(
        data.path(),
        &[
            "sync-backups",
            "--target",
            unmounted.to_str().expect("path"),
        ],
    );
    expect_exit(&missing, 1, "missing target");
    assert!(
        text(&missing).contains("does not exist"),
        "{}",
        text(&missing)
    );
    assert!(!unmounted.exists(), "a missing target is not created");

    let to = target.path().to_str().expect("path");
    let first = kura(
        data.path(),
        &["sync-backups", "--target", to, "--days", "3"],
    );
    expect_exit(&first, 0, "first sync");
    let out = text(&first);
    // The database backup and its info, the code backup, the report, the new log.
    assert!(out.contains("5 copied"), "{out}");
    assert!(out.contains("1 older than --days"), "{out}");
    for dir in ["backups/db", "backups/codes", "reports", "logs"] {
        for name in super::names(&data.path().join(dir)) {
            let source = data.path().join(dir).join(&name);
            let copy = target.path().join(dir).join(&name);
            if name == "kura.log.2025-01-01" {
                assert!(!copy.exists(), "older than --days: {name}");
                continue;
            }
            assert_eq!(
                std::fs::read(&source).expect("source"),
                std::fs::read(&copy).unwrap_or_else(|e| panic!("{}: {e}", copy.display())),
                "{dir}/{name}"
            );
            assert_eq!(mtime(&source), mtime(&copy), "{dir}/{name} keeps its time");
        }
    }

    let second = kura(data.path(), &["sync-backups", "--target", to]);
    expect_exit(&second, 0, "second sync");
    assert!(
        text(&second).contains("1 copied"),
        "only the old log is new: {}",
        text(&second)
    );
    assert!(text(&second).contains("5 unchanged"), "{}", text(&second));
    std::fs::write(logs.join("kura.log"), "a log line\nanother\n").expect("log grows");
    let third = kura(data.path(), &["sync-backups", "--target", to]);
    assert!(text(&third).contains("1 copied"), "{}", text(&third));
    assert!(
        text(&third).contains("copied logs/kura.log"),
        "{}",
        text(&third)
    );

    // The task of a running server, with the target from the config.
    let config = TestConfig::bare().set(
        "maintenance.backup_path",
        json!(target.path().join("nightly")),
    );
    std::fs::create_dir_all(target.path().join("nightly")).expect("nightly");
    let server = TestServer::start_in(data, &config, &[]).await;
    let (status, answer) = server
        .post_json("/api/tasks?wait=60", json!({ "type": "sync_backups" }))
        .await;
    assert_eq!(status, 201, "{answer}");
    let present: usize = ["backups/db", "backups/codes", "reports", "logs"]
        .iter()
        .map(|dir| super::names(&server.data.path().join(dir)).len())
        .sum();
    assert_eq!(
        answer["result"]["copied"].as_array().map(Vec::len),
        Some(present),
        "{answer}"
    );
    assert!(target.path().join("nightly/backups/db").is_dir());
    let still = kura_async(server.data.path(), &["sync-backups", "--target", to]).await;
    expect_exit(&still, 0, "sync while the server runs");
    server.stop().await;
}
