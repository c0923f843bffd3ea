//! Kill -9 soak (T-A7, N-E2): 300 tasks of mixed priority while the server is killed at
//! random moments 20 times and restarted on the same data directory. No task is lost,
//! every one completes, the database passes its integrity check after every kill, and the
//! tasks that ran more than once (killed mid-attempt) are counted and reported.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::TestConfig;
use crate::support::process::{Lcg, free_port, prepare_data_dir, spawn_serve, wait_healthy};

const TASK_COUNT: usize = 300;
const KILLS: usize = 20;
/// Mock downloads, short leases, many attempts; no plugin directory watcher.
fn soak_config() -> TestConfig {
    TestConfig::empty().merge(json!({
        "tasks": {
            "mock_downloads": true,
            "lease_seconds": 3,
            "max_attempts": 50,
            "retry_base_seconds": 1,
            "retry_max_seconds": 2,
        },
        "plugins": { "watch": false },
    }))
}

async fn integrity(data: &Path) -> String {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", data.join("kura.db").display());
    let pool = sqlx::AnyPool::connect(&url).await.expect("open db");
    let row: (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("check");
    pool.close().await;
    row.0
}

#[tokio::test]
async fn kill_nine_soak_loses_no_task() {
    let _exclusive = crate::support::exclusive().await;
    let data = tempfile::tempdir().expect("temp dir");
    prepare_data_dir(data.path(), &soak_config(), &[]);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut random = Lcg::seeded("soak");

    let mut child = spawn_serve(data.path(), port);
    wait_healthy(&base).await;
    let priorities = ["low", "normal", "high", "urgent"];
    for n in 0..TASK_COUNT {
        let priority = priorities[random.below(4) as usize];
        let duration_ms = 10 + random.below(50);
        let response = client
            .post(format!("{base}/api/downloads/mock/SOAK-{n:04}"))
            .json(&json!({ "duration_ms": duration_ms, "priority": priority }))
            .send()
            .await
            .expect("submit");
        assert_eq!(response.status(), 202, "task {n}");
    }

    for kill in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(100 + random.below(600))).await;
        child.kill().expect("kill -9");
        child.wait().expect("reaped");
        assert_eq!(integrity(data.path()).await, "ok", "after kill {kill}");
        child = spawn_serve(data.path(), port);
        wait_healthy(&base).await;
    }

    let deadline = Instant::now() + Duration::from_secs(180);
    let counts = loop {
        let status: Value = client
            .get(format!("{base}/api/tasks/queue/status"))
            .send()
            .await
            .expect("status")
            .json()
            .await
            .expect("json");
        let counts = status["counts"].clone();
        let active =
            counts["pending"].as_u64().unwrap_or(0) + counts["running"].as_u64().unwrap_or(0);
        if active == 0 {
            break counts;
        }
        assert!(
            Instant::now() < deadline,
            "tasks still active after 180 s: {counts}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let tasks: Value = client
        .get(format!("{base}/api/tasks?page_size=1000"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let items = tasks["items"].as_array().expect("items");
    assert_eq!(tasks["total"], TASK_COUNT, "no task lost: {counts}");
    assert_eq!(
        counts["completed"], TASK_COUNT,
        "every task completed: {counts}"
    );
    let mut codes: Vec<&str> = items
        .iter()
        .filter_map(|task| task["payload"]["code"].as_str())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), TASK_COUNT, "each code has exactly one task");
    let ran_again = items
        .iter()
        .filter(|task| task["attempts"].as_u64().unwrap_or(0) > 1)
        .count();
    eprintln!(
        "soak: {TASK_COUNT} tasks, {KILLS} kills, 0 lost, {ran_again} ran more than once (killed mid-attempt)"
    );
    child.kill().expect("kill");
    child.wait().expect("reaped");
    assert_eq!(integrity(data.path()).await, "ok", "at the end");
}
