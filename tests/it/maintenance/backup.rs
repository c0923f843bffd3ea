//! `kura backup-db` and `backup-codes` while a writer puts 200 writes a second through
//! the API (N-L1, N-L2; reliability row S2): every backup passes `PRAGMA
//! integrity_check` and restores into a server that answers and lists the library; the
//! writer sees no error; nothing temporary is left behind.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{expect_exit, files_ending, kura, kura_async, names, read_json, text};
use crate::support::database::TestDatabase;
use crate::support::{TestConfig, TestServer};

/// Resources `kura seed` puts in the library (enough for a backup to take a while).
const RESOURCES: u64 = 2000;
/// The writer's pace and bounds.
const WRITES_PER_SECOND: u64 = 200;
const MAX_WRITES: u64 = 1500;
const MAX_WRITING: Duration = Duration::from_secs(10);
/// Backups taken while the writer runs, spread over this long.
const BACKUPS: u32 = 4;
const WRITING: Duration = Duration::from_secs(5);

/// What the writer saw.
struct Written {
    writes: u64,
    errors: Vec<String>,
    latencies_ms: Vec<f64>,
}

/// `PUT /api/setting {counter}` at a steady pace until `stop`, `MAX_WRITES` or
/// `MAX_WRITING`.
async fn write_settings(base: String, stop: Arc<AtomicBool>, count: Arc<AtomicU64>) -> Written {
    let client = reqwest::Client::new();
    let mut ticks = tokio::time::interval(Duration::from_micros(1_000_000 / WRITES_PER_SECOND));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let started = Instant::now();
    let mut written = Written {
        writes: 0,
        errors: Vec::new(),
        latencies_ms: Vec::new(),
    };
    while written.writes < MAX_WRITES
        && started.elapsed() < MAX_WRITING
        && !stop.load(Ordering::SeqCst)
    {
        ticks.tick().await;
        let sent = Instant::now();
        let outcome = client
            .put(format!("{base}/api/setting"))
            .json(&json!({ "counter": written.writes, "writer": "backup-test" }))
            .send()
            .await;
        written
            .latencies_ms
            .push(sent.elapsed().as_secs_f64() * 1000.0);
        match outcome {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => written.errors.push(format!("HTTP {}", response.status())),
            Err(error) => written.errors.push(error.to_string()),
        }
        written.writes += 1;
        count.store(written.writes, Ordering::SeqCst);
    }
    written
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    values.get(index).copied().unwrap_or(0.0)
}

/// A data directory with a seeded library and `config`.
fn seeded(config: &TestConfig) -> tempfile::TempDir {
    let data = tempfile::tempdir().expect("temp dir");
    config.write(&data.path().join("config.yaml"));
    let seeded = kura(data.path(), &["seed", "--count", &RESOURCES.to_string()]);
    expect_exit(&seeded, 0, "seed");
    data
}

/// Starts a server on `data`, checks it answers and lists the library, stops it.
async fn check_restored(data: tempfile::TempDir, config: &TestConfig, what: &str) {
    let server = TestServer::start_in(data, config, &[]).await;
    let (status, health) = server.get_json("/healthz").await;
    assert_eq!(status, 200, "{what}: {health}");
    let (status, page) = server.get_json("/api/resources?page_size=100").await;
    assert_eq!(status, 200, "{what}: {page}");
    assert_eq!(page["total"], RESOURCES, "{what}: {page}");
    let (status, settings) = server.get_json("/api/setting").await;
    assert_eq!(status, 200, "{what}: {settings}");
    assert_eq!(settings["writer"], "backup-test", "{what}: {settings}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_under_a_writer_pass_integrity_checks_and_restore() {
    let _exclusive = crate::support::exclusive().await;
    let data = seeded(&TestConfig::empty());
    let server = TestServer::start_in(data, &TestConfig::bare(), &[]).await;
    let data = server.data.path().to_owned();
    // A first write so every backup holds the writer's key.
    let answer = server
        .client
        .put(server.url("/api/setting"))
        .json(&json!({ "writer": "backup-test" }))
        .send()
        .await
        .expect("first write");
    assert!(answer.status().is_success());

    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let writer = tokio::spawn(write_settings(
        server.base.clone(),
        stop.clone(),
        count.clone(),
    ));
    // One backup every 1.25 s while the writer writes; it goes on past the last one.
    let mut pace = tokio::time::interval(WRITING / BACKUPS);
    let mut outputs = Vec::new();
    // Writes the API took while a backup ran: the backups really were under a writer.
    let mut writes_during_backups = 0;
    for _ in 0..BACKUPS {
        pace.tick().await;
        let before = count.load(Ordering::SeqCst);
        outputs.push(kura_async(&data, &["backup-db"]).await);
        writes_during_backups += count.load(Ordering::SeqCst) - before;
    }
    let codes = kura_async(&data, &["backup-codes"]).await;
    pace.tick().await;
    stop.store(true, Ordering::SeqCst);
    let mut written = writer.await.expect("writer");

    for output in &outputs {
        expect_exit(output, 0, "backup-db under load");
    }
    expect_exit(&codes, 0, "backup-codes under load");
    assert!(
        written.errors.is_empty(),
        "the writer saw errors: {:?}",
        written.errors
    );
    let p99 = percentile(&mut written.latencies_ms, 0.99);
    eprintln!(
        "writer: {} writes, 0 errors, p50 {:.1} ms, p99 {:.1} ms during {BACKUPS} backups",
        written.writes,
        percentile(&mut written.latencies_ms, 0.5),
        p99
    );
    assert!(
        writes_during_backups > 0,
        "no write landed while a backup ran ({} writes in all)",
        written.writes
    );
    let data = server.stop_keeping_data().await;

    let backup_dir = data.path().join("backups/db");
    let backups = files_ending(&backup_dir, ".db");
    assert_eq!(backups.len(), BACKUPS as usize, "{:?}", names(&backup_dir));
    assert!(
        names(&backup_dir)
            .iter()
            .all(|name| !name.ends_with(".tmp") && !name.ends_with("-wal")),
        "leftovers: {:?}",
        names(&backup_dir)
    );
    for backup in &backups {
        let info = read_json(&backup.with_extension("json"));
        assert_eq!(info["integrity"], "ok", "{info}");
        assert_eq!(info["backend"], "sqlite");
        assert_eq!(info["rows"]["resources"], RESOURCES, "{info}");
        assert!(info["schema_version"].as_i64().unwrap_or(0) >= 1, "{info}");
        assert_eq!(integrity_of(backup).await, "ok", "{}", backup.display());
        let restored = tempfile::tempdir().expect("temp dir");
        std::fs::copy(backup, restored.path().join("kura.db")).expect("restore copy");
        check_restored(restored, &TestConfig::bare(), &backup.display().to_string()).await;
    }

    let code_backups = files_ending(&data.path().join("backups/codes"), ".json");
    assert_eq!(code_backups.len(), 1);
    let document = read_json(&code_backups[0]);
    assert_eq!(document["count"], RESOURCES, "{document}");
    assert_eq!(document["codes"][0], "SEED-000001", "{document}");
    assert!(
        document["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

/// `PRAGMA integrity_check` of a file, opened read-only.
async fn integrity_of(path: &Path) -> String {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", path.display());
    let pool = sqlx::AnyPool::connect(&url).await.expect("open backup");
    let result: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("integrity_check");
    pool.close().await;
    result
}

#[tokio::test]
async fn retention_keeps_recent_backups_and_always_the_newest() {
    let data = seeded(&TestConfig::empty().set("maintenance.backup_days", json!(7)));
    let dir = data.path().join("backups/db");
    std::fs::create_dir_all(&dir).expect("dir");
    // Backups from long ago, one of them by another tool (left alone).
    for name in [
        "kura-20200101T000000Z.db",
        "kura-20200101T000000Z.json",
        "other-20200101T000000Z.db",
    ] {
        std::fs::write(dir.join(name), b"old").expect("old backup");
    }
    let output = kura(data.path(), &["backup-db"]);
    expect_exit(&output, 0, "backup-db");
    assert!(
        text(&output).contains("removed 2 old backup files"),
        "{}",
        text(&output)
    );
    let left = names(&dir);
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(left.contains(&"other-20200101T000000Z.db".to_owned()));
    let refused = kura(data.path(), &["backup-db", "--days", "0"]);
    expect_exit(&refused, 1, "--days 0");
    assert!(text(&refused).contains("at least 1"), "{}", text(&refused));
    // A missing database is an error, not a new empty one.
    let empty = tempfile::tempdir().expect("temp dir");
    std::fs::write(empty.path().join("config.yaml"), "").expect("config");
    let missing = kura(empty.path(), &["backup-db"]);
    expect_exit(&missing, 1, "backup of no database");
    assert!(!empty.path().join("kura.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backups_restore_with_pg_restore() {
    let Some(admin) = test_database::admin_url("the PostgreSQL backup test") else {
        return;
    };
    let source = TestDatabase::fresh_postgres(&admin).await;
    let config = TestConfig::bare().merge(source.config.clone());
    let data = seeded(&config);
    let server = TestServer::start_in(data, &config, &[]).await;
    let data = server.data.path().to_owned();
    let answer = server
        .client
        .put(server.url("/api/setting"))
        .json(&json!({ "writer": "backup-test" }))
        .send()
        .await
        .expect("first write");
    assert!(answer.status().is_success());
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let writer = tokio::spawn(write_settings(
        server.base.clone(),
        stop.clone(),
        count.clone(),
    ));
    let output = kura_async(&data, &["backup-db"]).await;
    stop.store(true, Ordering::SeqCst);
    let written = writer.await.expect("writer");
    expect_exit(&output, 0, "pg backup-db");
    assert!(written.errors.is_empty(), "{:?}", written.errors);
    let dumps = files_ending(&data.join("backups/db"), ".dump");
    assert_eq!(dumps.len(), 1, "{}", text(&output));
    let info = read_json(&dumps[0].with_extension("json"));
    assert_eq!(info["backend"], "postgres", "{info}");
    assert!(
        info["integrity"]
            .as_str()
            .is_some_and(|i| i.starts_with("ok")),
        "{info}"
    );
    let data_dir = server.stop_keeping_data().await;

    let target = TestDatabase::fresh_postgres(&admin).await;
    let url = url_of(&target);
    let restored = std::process::Command::new("pg_restore")
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--dbname",
            &url,
        ])
        .arg(&dumps[0])
        .output()
        .expect("pg_restore runs");
    assert!(restored.status.success(), "{}", text(&restored));
    check_restored(
        tempfile::tempdir().expect("temp dir"),
        &TestConfig::bare().merge(target.config.clone()),
        "pg restore",
    )
    .await;
    drop(data_dir);
    source.drop_database().await;
    target.drop_database().await;
}

/// The URL a fresh PostgreSQL database's config selects.
pub fn url_of(database: &TestDatabase) -> String {
    database
        .postgres_url()
        .expect("a PostgreSQL database")
        .to_owned()
}
