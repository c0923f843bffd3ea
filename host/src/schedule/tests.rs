//! Ticks fire once across restarts and hosts, missed ticks follow `catch_up`, and the
//! config merges overrides into the defaults. The clock is a parameter: no sleeping.

use std::path::Path;

use chrono::{DateTime, Duration as ChronoDuration, TimeZone, Utc};
use futures_util::future::BoxFuture;
use serde_json::json;
use test_database::ScratchDatabase;

use super::*;
use crate::config::{Config, Overrides};
use crate::store::{TaskQuery, TaskRow};
use crate::tasks::{Registry, TaskContext, TaskFailure, TaskKind};

/// A kind that is only ever queued here (no workers run).
struct Noop;

/// What `noop` takes: nothing.
#[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NoopPayload {}

impl TaskKind for Noop {
    type Payload = NoopPayload;
    type Output = ();

    fn name(&self) -> &'static str {
        "noop"
    }

    fn dedup_key(&self, _payload: &NoopPayload) -> Option<String> {
        None
    }

    fn run(
        &self,
        _payload: NoopPayload,
        _context: TaskContext,
    ) -> BoxFuture<'static, Result<(), TaskFailure>> {
        Box::pin(async { Ok(()) })
    }
}

fn config(yaml: &str) -> Config {
    Config::parse(yaml, Path::new("test.yaml"), &Overrides::default()).expect("valid config")
}

/// Only the named job enabled, at 03:00 UTC daily, queueing `noop`.
fn schedules(catch_up: bool) -> SchedulesConfig {
    let mut yaml = format!(
        "schedules:\n  catch_up: {catch_up}\n  jobs:\n    nightly:\n      cron: \"0 3 * * *\"\n      task: noop\n"
    );
    for default in [
        "backup_db",
        "backup_codes",
        "check_resources",
        "check_videos",
        "check_avatars",
    ] {
        yaml.push_str(&format!("    {default}:\n      enabled: false\n"));
    }
    config(&yaml).schedules
}

/// A SQLite store, and a store on a new PostgreSQL database when one is configured; each
/// with the database to drop after it.
async fn stores(dir: &Path) -> Vec<(Store, Option<ScratchDatabase>)> {
    let mut stores = vec![(
        Store::open(&format!("sqlite://{}", dir.join("kura.db").display()))
            .await
            .expect("sqlite"),
        None,
    )];
    if let Some(admin_url) = test_database::admin_url("the PostgreSQL schedule tests") {
        // A new database per test: tests run in parallel and must not see each other's state.
        let database = ScratchDatabase::create(&admin_url).await;
        let store = Store::open(database.url()).await.expect("postgres opens");
        stores.push((store, Some(database)));
    }
    stores
}

/// Closes the store and drops its PostgreSQL database, if it has one.
async fn finish(store: Store, database: Option<ScratchDatabase>) {
    store.close().await;
    if let Some(database) = database {
        database.drop_database().await;
    }
}

fn scheduler(store: &Store, config: &SchedulesConfig) -> Scheduler {
    let mut registry = Registry::default();
    registry.register(Noop);
    let tasks_config = self::config("").tasks;
    let events = EventBus::default();
    let queue = TaskQueue::new(
        store.clone(),
        events.clone(),
        registry,
        tasks_config,
        "test-host".to_owned(),
    );
    Scheduler::new(store.clone(), queue, events, config.clone())
}

async fn noop_tasks(store: &Store) -> Vec<TaskRow> {
    store
        .list_tasks(&TaskQuery {
            kind: Some("noop".to_owned()),
            page: 1,
            page_size: 1000,
            ..TaskQuery::default()
        })
        .await
        .expect("tasks")
        .items
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

#[tokio::test]
async fn each_tick_fires_once_across_thirty_restarts_around_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = schedules(true);
    for (store, database) in stores(dir.path()).await {
        let start = at("2026-01-01T02:59:45Z");
        assert!(
            scheduler(&store, &config)
                .fire_due(start)
                .await
                .expect("first")
                .is_empty()
        );
        let mut fired = Vec::new();
        for restart in 0..30 {
            // A new scheduler each time: a restarted server, at an odd fraction of a second.
            let now = start + ChronoDuration::milliseconds(restart * 1000 + 137 * (restart % 7));
            fired.extend(
                scheduler(&store, &config)
                    .fire_due(now)
                    .await
                    .expect("fire"),
            );
        }
        assert_eq!(fired.len(), 1, "{:?}: {fired:?}", store.backend());
        assert_eq!(
            fired[0].tick_ms,
            at("2026-01-01T03:00:00Z").timestamp_millis()
        );
        assert_eq!(noop_tasks(&store).await.len(), 1);
        // The next day's tick fires once more, even when two hosts look at once.
        let next_day = at("2026-01-02T03:00:01Z");
        let (host_a, host_b) = (scheduler(&store, &config), scheduler(&store, &config));
        let (a, b) = tokio::join!(host_a.fire_due(next_day), host_b.fire_due(next_day));
        assert_eq!(a.expect("a").len() + b.expect("b").len(), 1);
        assert_eq!(noop_tasks(&store).await.len(), 2);
        finish(store, database).await;
    }
}

#[tokio::test]
async fn a_missed_tick_runs_once_at_start_up_only_with_catch_up() {
    for catch_up in [true, false] {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = schedules(catch_up);
        for (store, database) in stores(dir.path()).await {
            scheduler(&store, &config)
                .fire_due(at("2026-03-01T01:00:00Z"))
                .await
                .expect("track");
            // Down from 01:00 to 05:00 the next day: two ticks missed, at most one runs.
            let fired = scheduler(&store, &config)
                .fire_due(at("2026-03-02T05:00:00Z"))
                .await
                .expect("fire");
            assert_eq!(fired.len(), 1, "{fired:?}");
            assert_eq!(
                fired[0].tick_ms,
                at("2026-03-02T03:00:00Z").timestamp_millis()
            );
            assert_eq!(fired[0].task_id.is_some(), catch_up);
            assert_eq!(noop_tasks(&store).await.len(), usize::from(catch_up));
            let views = scheduler(&store, &config)
                .views(at("2026-03-02T05:00:00Z"))
                .await
                .expect("views");
            let nightly = views
                .iter()
                .find(|view| view.name == "nightly")
                .expect("nightly");
            assert_eq!(
                nightly.next_run.as_deref(),
                Some("2026-03-03T03:00:00+00:00")
            );
            assert_eq!(nightly.last_outcome.is_some(), catch_up, "{nightly:?}");
            finish(store, database).await;
        }
    }
}

#[tokio::test]
async fn an_unknown_task_type_is_reported_as_the_last_outcome() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config(
        "schedules:\n  jobs:\n    odd:\n      cron: \"*/5 * * * *\"\n      task: no_such_task\n",
    )
    .schedules;
    let store = Store::open(&format!(
        "sqlite://{}",
        dir.path().join("kura.db").display()
    ))
    .await
    .expect("db");
    let scheduler = scheduler(&store, &config);
    scheduler
        .fire_due(at("2026-01-01T00:01:00Z"))
        .await
        .expect("track");
    let fired = scheduler
        .fire_due(at("2026-01-01T00:05:00Z"))
        .await
        .expect("fire");
    assert!(fired.iter().any(|f| f.name == "odd" && f.task_id.is_none()));
    let views = scheduler
        .views(at("2026-01-01T00:05:00Z"))
        .await
        .expect("views");
    let odd = views.iter().find(|view| view.name == "odd").expect("odd");
    assert!(
        odd.last_outcome
            .as_deref()
            .unwrap_or_default()
            .contains("no_such_task"),
        "{odd:?}"
    );
}

#[test]
fn config_merges_overrides_into_the_defaults() {
    let merged = config("schedules:\n  timezone: Asia/Tokyo\n  jobs:\n    backup_db:\n      cron: \"0 4 * * *\"\n    sync_backups:\n      enabled: true\n").schedules;
    assert_eq!(merged.zone, Zone::Named(chrono_tz::Asia::Tokyo));
    let names: Vec<&str> = merged.jobs.iter().map(|job| job.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "backup_codes",
            "backup_db",
            "check_avatars",
            "check_resources",
            "check_videos",
            "sync_backups"
        ]
    );
    let backup = merged
        .jobs
        .iter()
        .find(|job| job.name == "backup_db")
        .expect("backup");
    assert_eq!(
        (backup.cron_text.as_str(), backup.task.as_str()),
        ("0 4 * * *", "backup_db")
    );
    assert_eq!(
        backup.data,
        json!({ "days": 30 }),
        "untouched fields keep the default"
    );
    assert!(merged.jobs.iter().all(|job| job.enabled));
    let defaults = config("").schedules;
    let times: Vec<(&str, &str)> = defaults
        .jobs
        .iter()
        .map(|job| (job.name.as_str(), job.cron_text.as_str()))
        .collect();
    assert!(
        times.contains(&("backup_db", "30 1 * * *"))
            && times.contains(&("check_avatars", "5 7 * * *"))
    );
    // 01:30 Tokyo is 16:30 UTC the day before.
    let job = merged
        .jobs
        .iter()
        .find(|job| job.name == "backup_codes")
        .expect("codes");
    let next = next_after(
        job,
        merged.zone,
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("t"),
    );
    assert_eq!(
        next.map(|t| t.to_rfc3339()),
        Some("2026-01-01T17:00:00+00:00".to_owned())
    );

    for (yaml, key) in [
        ("schedules:\n  timezone: Mars/Base\n", "schedules.timezone"),
        (
            "schedules:\n  jobs:\n    backup_db:\n      cron: \"61 * * * *\"\n",
            "schedules.jobs.backup_db.cron",
        ),
        (
            "schedules:\n  jobs:\n    new_one:\n      task: backup_db\n",
            "schedules.jobs.new_one.cron",
        ),
        (
            "schedules:\n  jobs:\n    new_one:\n      cron: \"* * * * *\"\n",
            "schedules.jobs.new_one.task",
        ),
        (
            "schedules:\n  jobs:\n    backup_db:\n      priority: extreme\n",
            "schedules.jobs.backup_db.priority",
        ),
        (
            "schedules:\n  jobs:\n    backup_db:\n      bogus: 1\n",
            "bogus",
        ),
    ] {
        let error = Config::parse(yaml, Path::new("t.yaml"), &Overrides::default())
            .expect_err(yaml)
            .to_string();
        assert!(error.contains(key), "{yaml:?} gave {error}");
    }
}
