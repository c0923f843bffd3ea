//! The databases a store test runs on: SQLite always (the default `kura.db` in the data
//! directory), PostgreSQL when `KURA_TEST_DATABASE_URL` is set (a fresh database per test),
//! and direct SQL access to either, so a test can compare the API with what is stored.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AnyPool, AssertSqlSafe};

/// One backend prepared for one server.
pub struct TestDatabase {
    /// `sqlite` or `postgres`, for assertion messages.
    pub name: &'static str,
    /// Config YAML selecting this database (empty for the SQLite default).
    pub config_yaml: String,
    /// The fresh PostgreSQL database's URL; None for SQLite.
    postgres_url: Option<String>,
    /// The URL it was created through, to drop it again.
    admin_url: Option<String>,
}

/// SQLite, plus a fresh PostgreSQL database when `KURA_TEST_DATABASE_URL` is set (a skip
/// message is printed when it is not).
pub async fn test_databases() -> Vec<TestDatabase> {
    let mut databases = vec![TestDatabase::sqlite()];
    match std::env::var("KURA_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => databases.push(TestDatabase::fresh_postgres(&url).await),
        _ => eprintln!("KURA_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped"),
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
            config_yaml: String::new(),
            postgres_url: None,
            admin_url: None,
        }
    }

    /// Creates `kura_it_<unique>` on the server at `admin_url` and selects it.
    pub async fn fresh_postgres(admin_url: &str) -> Self {
        sqlx::any::install_default_drivers();
        let name = unique_database_name();
        let admin = AnyPool::connect(admin_url)
            .await
            .expect("the PostgreSQL of KURA_TEST_DATABASE_URL is reachable");
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create the test database");
        admin.close().await;
        let mut url = url::Url::parse(admin_url).expect("KURA_TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Self {
            name: "postgres",
            config_yaml: format!("database:\n  url: \"{url}\"\n"),
            postgres_url: Some(url.to_string()),
            admin_url: Some(admin_url.to_owned()),
        }
    }

    /// Drops a fresh PostgreSQL database (after its server stopped); nothing for SQLite,
    /// whose file goes with the data directory.
    pub async fn drop_database(self) {
        let (Some(url), Some(admin_url)) = (self.postgres_url, self.admin_url) else {
            return;
        };
        let name = url.rsplit('/').next().unwrap_or_default().to_owned();
        let admin = AnyPool::connect(&admin_url)
            .await
            .expect("postgres reachable");
        execute(
            &admin,
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await;
        admin.close().await;
    }

    /// A pool on the database the server at `data_dir` uses. SQLite is opened read-only
    /// unless `writable`, so a query can never change what it inspects by accident.
    pub async fn connect(&self, data_dir: &Path, writable: bool) -> AnyPool {
        sqlx::any::install_default_drivers();
        let url = match &self.postgres_url {
            Some(url) => url.clone(),
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

/// Unique per process run and call, without a random-number crate.
fn unique_database_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!(
        "kura_it_{:x}_{:x}_{}",
        nanos & 0xffff_ffff_ffff,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
