//! Kill -9 across three hosts: 300 mock downloads submitted round-robin through three
//! `kura serve` processes on one PostgreSQL and one Redis, while a random host is killed
//! with SIGKILL 10 times and started again on its data directory. The download lane,
//! sampled in the database throughout, never runs two tasks at once; no task is lost;
//! each code has one task, and it completed; the tasks killed mid-attempt (run more than
//! once) are counted and printed.

use std::process::Child;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::AnyPool;

use super::{LaneSampler, redis_url, unique_prefix};
use crate::support::TestConfig;
use crate::support::process::{Lcg, free_port, prepare_data_dir, spawn_serve, wait_healthy};

const TASK_COUNT: usize = 300;
const KILLS: usize = 10;
/// How long the queue may take to drain after the last kill.
const DRAIN: Duration = Duration::from_secs(240);

/// One host: its data directory, its port, its process while it runs.
struct Host {
    data: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl Host {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn start(&mut self) {
        self.child = Some(spawn_serve(self.data.path(), self.port));
        wait_healthy(&self.base()).await;
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn killing_hosts_loses_no_task() {
    let (Some(admin), Some(redis)) = (
        test_database::admin_url("the several-host soak"),
        redis_url(),
    ) else {
        return;
    };
    let _exclusive = crate::support::exclusive().await;
    let database = test_database::ScratchDatabase::create(&admin).await;
    let config = TestConfig::empty().merge(json!({
        "database": { "url": database.url() },
        "redis": { "url": redis, "key_prefix": unique_prefix() },
        "tasks": {
            "mock_downloads": true,
            "lease_seconds": 3,
            "max_attempts": 50,
            "retry_base_seconds": 1,
            "retry_max_seconds": 2,
        },
        "plugins": { "watch": false },
    }));
    let mut hosts: Vec<Host> = (0..3)
        .map(|_| {
            let data = tempfile::tempdir().expect("data dir");
            prepare_data_dir(data.path(), &config, &[]);
            Host {
                data,
                port: free_port(),
                child: None,
            }
        })
        .collect();
    // The first host migrates the database; the others find it ready.
    for host in &mut hosts {
        host.start().await;
    }
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(database.url()).await.expect("database");
    let sampler = LaneSampler::start(pool.clone());
    let client = reqwest::Client::new();
    let mut random = Lcg::seeded("several-host soak");
    for n in 0..TASK_COUNT {
        let base = hosts[n % 3].base();
        let response = client
            .post(format!("{base}/api/downloads/mock/SOAK-{n:04}"))
            .json(&json!({ "duration_ms": 10 + random.below(40) }))
            .send()
            .await
            .expect("submit");
        assert_eq!(response.status(), 202, "task {n}");
    }
    let mut killed = Vec::new();
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(200 + random.below(800))).await;
        let victim = random.below(3) as usize;
        hosts[victim].kill();
        killed.push(victim);
        hosts[victim].start().await;
    }

    let deadline = Instant::now() + DRAIN;
    loop {
        let active: (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM tasks WHERE status IN ('pending', 'running')")
                .fetch_one(&pool)
                .await
                .expect("active");
        if active.0 == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} tasks still active {} s after the last kill",
            active.0,
            DRAIN.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    sampler.stop.store(true, Ordering::Relaxed);
    let most_at_once = sampler.task.await.expect("sampler");
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT payload, status, attempts FROM tasks")
            .fetch_all(&pool)
            .await
            .expect("tasks");
    pool.close().await;
    assert_eq!(rows.len(), TASK_COUNT, "no task lost, none added");
    let mut codes: Vec<String> = rows
        .iter()
        .filter_map(|(payload, _, _)| {
            serde_json::from_str::<serde_json::Value>(payload).ok()?["code"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), TASK_COUNT, "each code has exactly one task");
    let unfinished: Vec<&(String, String, i64)> = rows
        .iter()
        .filter(|(_, status, _)| status != "completed")
        .collect();
    assert!(unfinished.is_empty(), "not completed: {unfinished:?}");
    assert!(most_at_once <= 1, "{most_at_once} downloads ran at once");
    let ran_again = rows.iter().filter(|(_, _, attempts)| *attempts > 1).count();
    eprintln!(
        "several-host soak: {TASK_COUNT} tasks on 3 hosts, {KILLS} kills (hosts {killed:?}), \
         0 lost, {ran_again} ran more than once (killed mid-attempt), at most {most_at_once} \
         download running at once"
    );
    for host in &mut hosts {
        host.kill();
    }
    database.drop_database().await;
}
