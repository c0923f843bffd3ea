//! Title translation end to end against the fixture site's Ollama-compatible LLM and the
//! real `default-cleaner` plugin: every noise pattern comes out clean, a failing, garbled
//! or slow LLM is retried and ends `failed` with the reason, a swapped cleaner takes
//! effect on the next translation, cached answers cost no LLM call, and `kura translate`
//! counts, translates and re-translates while a server runs (N-C1..N-C6).

mod cli;
mod failures;
mod noise;
mod openai;
mod swap;

use std::time::Duration;

use kura::store::{TaskQuery, TaskRow, TaskStatus, TranslationInfo};

use serde_json::{Value, json};

use crate::support::{self, TestConfig, TestServer};

/// The library plugins and the shipped cleaner.
pub const PLUGINS: [&str; 5] = [
    "fixture-alpha",
    "fixture-beta",
    "fixture-meta",
    "jsonld",
    "default-cleaner",
];

/// How long any one task may take to finish in these tests.
const TASK_WAIT: Duration = Duration::from_secs(90);

/// The `translator:` settings for a profile `fixture` on the fixture's LLM, plus quick
/// retries (two attempts, `retry_seconds` apart), to merge into a config.
pub fn translator(
    fixture_url: &str,
    api: &str,
    model: &str,
    timeout_ms: u64,
    retry_seconds: u64,
) -> Value {
    json!({
        "translator": {
            "active": "fixture",
            "profiles": {
                "fixture": {
                    "url": fixture_url,
                    "api": api,
                    "model": model,
                    "timeout_ms": timeout_ms,
                    "temperature": 0,
                },
            },
        },
        "tasks": {
            "retry_base_seconds": retry_seconds,
            "retry_max_seconds": retry_seconds,
            "max_attempts": 2,
        },
    })
}

/// A server whose active translator profile calls `model` through `api`.
pub async fn start(
    fixture: &fixture_site::FixtureSite,
    api: &str,
    model: &str,
    timeout_ms: u64,
) -> TestServer {
    start_on(fixture, api, model, timeout_ms, &json!({})).await
}

/// [`start`] with `database` (the settings selecting it, none for SQLite).
pub async fn start_on(
    fixture: &fixture_site::FixtureSite,
    api: &str,
    model: &str,
    timeout_ms: u64,
    database: &Value,
) -> TestServer {
    let config = support::config(&fixture.base_url())
        .merge(translator(&fixture.base_url(), api, model, timeout_ms, 1))
        .merge(database.clone());
    TestServer::start(&unwatched(config), &PLUGINS).await
}

/// `config` with the plugin directory watcher off, for tests that install plugins through
/// the API or read the directory from another process: the watcher reacts to the
/// directory's files being opened (notify 8 reports opens), so every rescan would start
/// another and keep a runtime thread busy hashing plugin files.
pub fn unwatched(config: TestConfig) -> TestConfig {
    config.set("plugins.watch", json!(false))
}

/// The latest `translate` task of `code`, once it has finished.
pub async fn translate_task(server: &TestServer, code: &str) -> TaskRow {
    let tasks = server.server.as_ref().expect("running").tasks();
    let query = TaskQuery {
        kind: Some("translate".to_owned()),
        page: 1,
        page_size: 500,
        ..TaskQuery::default()
    };
    let task = tasks
        .list(&query)
        .await
        .expect("list tasks")
        .items
        .into_iter()
        .filter(|task| task.payload["code"] == code)
        .max_by_key(|task| task.id)
        .unwrap_or_else(|| panic!("no translate task was queued for {code}"));
    let task = tasks.wait(task.id, TASK_WAIT).await.expect("wait");
    assert!(
        task.status.is_finished(),
        "the translate task of {code} did not finish: {task:?}"
    );
    task
}

/// The translate task of `code`, which must have completed.
pub async fn completed_translation(server: &TestServer, code: &str) -> TaskRow {
    let task = translate_task(server, code).await;
    assert_eq!(task.status, TaskStatus::Completed, "{code}: {task:?}");
    task
}

/// The resource's translation as stored.
pub async fn info(server: &TestServer, code: &str) -> TranslationInfo {
    server
        .server
        .as_ref()
        .expect("running")
        .library()
        .store()
        .translation_info(code)
        .await
        .expect("read translation")
        .unwrap_or_else(|| panic!("{code} is not in the library"))
}

/// Catalog numbers with a metadata page (so the title comes from the scraper), from 1.
pub fn catalog_numbers() -> impl Iterator<Item = u32> {
    fixture_site::catalog::all()
        .filter(|&n| fixture_site::catalog::is_known(n) && fixture_site::catalog::has_metadata(n))
}
