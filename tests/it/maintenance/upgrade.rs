//! The guarded database upgrade (T-A3): `kura db upgrade` brings an older schema up to
//! date with a backup taken first; an injected bad migration step, or a migration that
//! loses rows, leaves the database exactly as before (schema, rows, the migrations
//! table); a database newer than this kura is refused by the server and the commands.

use std::path::Path;

use serde_json::{Value, json};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, AssertSqlSafe};

use super::backup::url_of;
use super::{expect_exit, files_ending, first_schema_library, kura, read_json, text};
use crate::support::database::{TestDatabase, execute, strings};
use crate::support::{TestConfig, root};
use kura::MediaStore;
use kura::store::Store;
use kura::{Config, Overrides};
use kura::{Maintenance, MaintenanceError, UpgradeOutcome};

/// A migrations directory: the real ones of `backend` plus `extra` (file name, SQL).
fn migrations(backend: &str, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = root().join("host/migrations").join(backend);
    for entry in std::fs::read_dir(&real).expect("migrations") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    for (name, sql) in extra {
        std::fs::write(dir.path().join(name), sql).expect("extra migration");
    }
    dir
}

/// Everything that makes the database what it is, as sorted text: every object's
/// definition and every row of every table (the migrations table included).
pub(super) async fn sqlite_snapshot(pool: &AnyPool) -> Vec<String> {
    let mut lines = strings(
        pool,
        "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name"
            .to_owned(),
    )
    .await;
    let tables = strings(
        pool,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name".to_owned(),
    )
    .await;
    for table in tables {
        let columns = strings(
            pool,
            format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
        )
        .await;
        let row = columns
            .iter()
            .map(|column| format!("quote(\"{column}\")"))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let rows = strings(
            pool,
            format!("SELECT '{table}: ' || {row} FROM \"{table}\" ORDER BY 1"),
        )
        .await;
        lines.extend(rows);
    }
    lines
}

/// The same for PostgreSQL: columns, indexes, sequences and rows.
async fn postgres_snapshot(pool: &AnyPool) -> Vec<String> {
    let mut lines = Vec::new();
    for query in [
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
         || ' ' || COALESCE(column_default, '') || ' ' || is_identity \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         ORDER BY table_name, ordinal_position",
        "SELECT indexname || ': ' || indexdef FROM pg_indexes \
         WHERE schemaname = current_schema() ORDER BY 1",
        "SELECT sequencename || ': ' || COALESCE(last_value, 0)::text FROM pg_sequences \
         WHERE schemaname = current_schema() ORDER BY 1",
    ] {
        lines.extend(strings(pool, query.to_owned()).await);
    }
    let tables = strings(
        pool,
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
            .to_owned(),
    )
    .await;
    for table in tables {
        let rows = strings(
            pool,
            format!("SELECT '{table}: ' || CAST(t AS text) FROM \"{table}\" t ORDER BY 1"),
        )
        .await;
        lines.extend(rows);
    }
    lines
}

/// A seeded library in a data directory whose config selects `database` (the settings
/// selecting it, none for SQLite).
fn seeded(database: &Value) -> tempfile::TempDir {
    let data = tempfile::tempdir().expect("temp dir");
    TestConfig::empty()
        .merge(database.clone())
        .write(&data.path().join("config.yaml"));
    expect_exit(&kura(data.path(), &["seed", "--count", "25"]), 0, "seed");
    data
}

/// The maintenance jobs over `data`'s config, opened without migrating.
async fn maintenance(data: &Path, database: &Value) -> Maintenance {
    let overrides = Overrides {
        data_dir: Some(data.to_owned()),
        ..Overrides::default()
    };
    let config_text = TestConfig::empty().merge(database.clone()).render();
    let config = Config::parse(&config_text, Path::new("test.yaml"), &overrides).expect("config");
    let store = Store::open_without_migrating(&config.database_url)
        .await
        .expect("store");
    let media = MediaStore::new(config.media_dir()).expect("media");
    Maintenance::new(store, media, &config)
}

async fn snapshot(backend: &str, pool: &AnyPool) -> Vec<String> {
    match backend {
        "sqlite" => sqlite_snapshot(pool).await,
        _ => postgres_snapshot(pool).await,
    }
}

/// Upgrades the library in `data` with the real migrations plus `extra`, which must
/// fail at `failed_step`, and checks the database is exactly what it was.
async fn check_rolled_back(
    backend: &str,
    data: &Path,
    database: &Value,
    pool: &AnyPool,
    extra: &[(&str, &str)],
    failed_step: &str,
) {
    let before = snapshot(backend, pool).await;
    assert!(before.len() > 25, "a library to protect: {}", before.len());
    let maintenance = maintenance(data, database).await;
    let dir = migrations(backend, extra);
    let migrator = Migrator::new(dir.path()).await.expect("migrator");
    let error = maintenance
        .upgrade_database(&migrator)
        .await
        .expect_err("the upgrade fails");
    let MaintenanceError::Upgrade(upgrade) = error else {
        panic!("not an upgrade failure: {error}");
    };
    assert_eq!(upgrade.outcome, UpgradeOutcome::RolledBack, "{upgrade}");
    assert_eq!(
        upgrade.failure().map(|step| step.name),
        Some(failed_step),
        "{upgrade}"
    );
    assert!(
        upgrade.backup.as_ref().is_some_and(|file| file.is_file()),
        "{upgrade}"
    );
    let report = read_json(&data.join("reports").join(&upgrade.report));
    assert_eq!(report["kind"], "db_upgrade");
    assert_eq!(report["issues"][0]["kind"], "upgrade_failed", "{report}");
    maintenance.store().close().await;
    let after = snapshot(backend, pool).await;
    if before != after {
        let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
        let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
        panic!("{backend}: the database changed:\n  gone: {gone:#?}\n  new: {new:#?}");
    }
}

/// A migration that commits, then one whose second statement fails.
const SQLITE_BAD_STEP: [(&str, &str); 2] = [
    (
        "9001_good_step.sql",
        "CREATE TABLE extra (id INTEGER PRIMARY KEY, note TEXT);\n\
         INSERT INTO extra (note) VALUES ('committed');\n\
         ALTER TABLE resources ADD COLUMN extra_note TEXT;\n\
         UPDATE resources SET extra_note = 'x', updated_at = updated_at + 1;\n",
    ),
    (
        "9002_bad_step.sql",
        "CREATE TABLE doomed (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n",
    ),
];

#[tokio::test]
async fn a_failed_sqlite_migration_leaves_the_database_exactly_as_before() {
    let library = seeded(&json!({}));
    let pool = TestDatabase::sqlite().connect(library.path(), true).await;
    execute(
        &pool,
        "INSERT INTO settings (key, value, updated_at) VALUES ('theme', '\"dark\"', 1)".to_owned(),
    )
    .await;
    check_rolled_back(
        "sqlite",
        library.path(),
        &json!({}),
        &pool,
        &SQLITE_BAD_STEP,
        "migrate",
    )
    .await;
    // A migration that runs but loses rows fails validation and is rolled back too.
    check_rolled_back(
        "sqlite",
        library.path(),
        &json!({}),
        &pool,
        &[("9001_lossy.sql", "DELETE FROM settings;\n")],
        "validate",
    )
    .await;
    let integrity = strings(&pool, "PRAGMA integrity_check".to_owned()).await;
    assert_eq!(integrity, ["ok"]);
    pool.close().await;
    // And the library still serves.
    let status = kura(library.path(), &["db", "status"]);
    expect_exit(&status, 0, "db status after the rollbacks");
}

#[tokio::test]
async fn a_failed_postgres_migration_leaves_the_database_exactly_as_before() {
    let Some(admin) = test_database::admin_url("the PostgreSQL upgrade test") else {
        return;
    };
    let database = TestDatabase::fresh_postgres(&admin).await;
    let library = seeded(&database.config);
    let pool = AnyPool::connect(&url_of(&database))
        .await
        .expect("postgres");
    let bad = [
        (
            "9001_good_step.sql",
            "CREATE TABLE extra (id BIGINT PRIMARY KEY, note TEXT);\n\
             INSERT INTO extra VALUES (1, 'committed');\n\
             ALTER TABLE resources ADD COLUMN extra_note TEXT;\n",
        ),
        (
            "9002_bad_step.sql",
            "CREATE TABLE doomed (id BIGINT);\nINSERT INTO no_such_table VALUES (1);\n",
        ),
    ];
    check_rolled_back(
        "postgres",
        library.path(),
        &database.config,
        &pool,
        &bad,
        "migrate",
    )
    .await;
    pool.close().await;
    drop(library);
    database.drop_database().await;
}

/// A new, empty PostgreSQL database: its dump lists nothing, which is all it holds, and
/// the upgrade goes on to the whole schema (it was refused as a bad backup).
#[tokio::test]
async fn db_upgrade_of_a_new_postgres_database_gives_it_the_whole_schema() {
    let Some(admin) = test_database::admin_url("the PostgreSQL upgrade test") else {
        return;
    };
    let database = TestDatabase::fresh_postgres(&admin).await;
    let data = tempfile::tempdir().expect("temp dir");
    TestConfig::empty()
        .merge(database.config.clone())
        .write(&data.path().join("config.yaml"));
    let upgraded = kura(data.path(), &["db", "upgrade"]);
    expect_exit(&upgraded, 0, "db upgrade of a new database");
    expect_exit(&kura(data.path(), &["db", "status"]), 0, "status after");
    expect_exit(
        &kura(data.path(), &["seed", "--count", "3"]),
        0,
        "a seed after",
    );
    drop(data);
    database.drop_database().await;
}

#[tokio::test]
async fn db_upgrade_brings_an_older_schema_up_to_date_with_a_backup_first() {
    // A database made by a kura that knew only the first migration.
    let data = first_schema_library(&TestConfig::empty(), "ABC-001").await;

    let refused = kura(data.path(), &["check-resources"]);
    expect_exit(&refused, 1, "a check on an old schema");
    assert!(
        text(&refused).contains("kura db upgrade"),
        "{}",
        text(&refused)
    );
    expect_exit(
        &kura(data.path(), &["db", "status"]),
        2,
        "status of an old schema",
    );

    let upgraded = kura(data.path(), &["db", "upgrade"]);
    expect_exit(&upgraded, 0, "db upgrade");
    assert!(
        text(&upgraded).contains("upgraded from schema version 1"),
        "{}",
        text(&upgraded)
    );
    let backups = files_ending(&data.path().join("backups/db"), "-pre-upgrade-v1.db");
    assert_eq!(backups.len(), 1, "{}", text(&upgraded));
    expect_exit(&kura(data.path(), &["db", "status"]), 0, "status after");
    expect_exit(&kura(data.path(), &["check-resources"]), 0, "a check after");
    let again = kura(data.path(), &["db", "upgrade"]);
    expect_exit(&again, 0, "a second upgrade");
    assert!(text(&again).contains("up to date"), "{}", text(&again));
}

#[tokio::test]
async fn a_schema_newer_than_this_kura_is_refused() {
    let data = seeded(&json!({}));
    let pool = TestDatabase::sqlite().connect(data.path(), true).await;
    sqlx::query(AssertSqlSafe(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99999, 'from the future', TRUE, X'00', 0)",
    ))
    .execute(&pool)
    .await
    .expect("a future migration");
    pool.close().await;
    let overrides = Overrides {
        data_dir: Some(data.path().to_owned()),
        ..Overrides::default()
    };
    let config =
        Config::parse(&TestConfig::bare().render(), Path::new("t"), &overrides).expect("config");
    let error = kura::Server::start(config)
        .await
        .err()
        .expect("the server refuses to start");
    let message = format!("{error:#}");
    assert!(
        message.contains("the database schema (version 99999) is newer than this kura knows"),
        "{message}"
    );
    for args in [&["db", "upgrade"][..], &["check-resources"]] {
        let output = kura(data.path(), args);
        expect_exit(&output, 1, &args.join(" "));
        assert!(
            text(&output).contains("newer than this kura knows"),
            "{}",
            text(&output)
        );
    }
}

#[tokio::test]
async fn the_server_upgrades_an_older_schema_with_a_backup_first() {
    let data = first_schema_library(&TestConfig::bare(), "ABC-001").await;

    // Starting the server runs the guarded upgrade: a backup of the old schema first.
    let server = crate::support::TestServer::start_in(data, &TestConfig::bare(), &[]).await;
    let backups = files_ending(&server.data.path().join("backups/db"), "-pre-upgrade-v1.db");
    assert_eq!(backups.len(), 1, "a backup before the upgrade");
    let (status, list) = server.get_json("/api/resources").await;
    assert_eq!((status, list["total"].as_u64()), (200, Some(1)), "{list}");
    let (status, _) = server.get_json("/api/tasks").await;
    assert_eq!(status, 200, "the tasks table of a later migration exists");
    server.stop().await;
}
