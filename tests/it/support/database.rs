//! The databases a store test runs on: SQLite always (the default `kura.db` in the data
//! directory), PostgreSQL when `KURA_TEST_DATABASE_URL` is set (a fresh database per test),
//! and direct SQL access to either, so a test can compare the API with what is stored.

use std::path::Path;

use sqlx::{AnyPool, AssertSqlSafe};
use test_database::ScratchDatabase;

/// One backend prepared for one server.
pub struct TestDatabase {
    /// `sqlite` or `postgres`, for assertion messages.
    pub name: &'static str,
    /// The config settings selecting this database, to merge into a `TestConfig` (none
    /// for the SQLite default).
    pub config: serde_json::Value,
    /// The fresh PostgreSQL database; None for SQLite.
    postgres: Option<ScratchDatabase>,
}

/// SQLite, plus a fresh PostgreSQL database when `KURA_TEST_DATABASE_URL` is set (a skip
/// message is printed when it is not).
pub async fn test_databases() -> Vec<TestDatabase> {
    let mut databases = vec![TestDatabase::sqlite()];
    if let Some(admin_url) = test_database::admin_url("the PostgreSQL run") {
        databases.push(TestDatabase::fresh_postgres(&admin_url).await);
    }
    let names: Vec<&str> = databases.iter().map(|d| d.name).collect();
    eprintln!("running on: {}", names.join(", "));
    databases
}

impl TestDatabase {
    /// The default: `sqlite://<data_dir>/kura.db`, chosen by leaving `database.url` unset.
    pub fn sqlite() -> Self {
        Self {
            name: "sqlite",
            config: serde_json::json!({}),
            postgres: None,
        }
    }

    /// Creates a scratch database on the server at `admin_url` and selects it.
    pub async fn fresh_postgres(admin_url: &str) -> Self {
        let database = ScratchDatabase::create(admin_url).await;
        Self {
            name: "postgres",
            config: serde_json::json!({ "database": { "url": database.url() } }),
            postgres: Some(database),
        }
    }

    /// The fresh PostgreSQL database's URL; None for SQLite.
    pub fn postgres_url(&self) -> Option<&str> {
        self.postgres.as_ref().map(ScratchDatabase::url)
    }

    /// Drops a fresh PostgreSQL database (after its server stopped); nothing for SQLite,
    /// whose file goes with the data directory.
    pub async fn drop_database(self) {
        if let Some(database) = self.postgres {
            database.drop_database().await;
        }
    }

    /// A pool on the database the server at `data_dir` uses. SQLite is opened read-only
    /// unless `writable`, so a query can never change what it inspects by accident.
    pub async fn connect(&self, data_dir: &Path, writable: bool) -> AnyPool {
        sqlx::any::install_default_drivers();
        let url = match self.postgres_url() {
            Some(url) => url.to_owned(),
            None => format!(
                "sqlite://{}?mode={}",
                data_dir.join("kura.db").display(),
                if writable { "rw" } else { "ro" }
            ),
        };
        AnyPool::connect(&url)
            .await
            .expect("the test database opens")
    }
}

/// Runs one statement the test writes itself (never input from a response).
pub async fn execute(pool: &AnyPool, sql: String) {
    sqlx::query(AssertSqlSafe(sql.clone()))
        .execute(pool)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// The first column of every row, as text.
pub async fn strings(pool: &AnyPool, sql: String) -> Vec<String> {
    sqlx::query_scalar::<_, String>(AssertSqlSafe(sql.clone()))
        .fetch_all(pool)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

/// The first column of every row, as integers.
pub async fn integers(pool: &AnyPool, sql: String) -> Vec<i64> {
    sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql.clone()))
        .fetch_all(pool)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}
