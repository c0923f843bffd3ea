//! Throw-away PostgreSQL databases for tests: one made per test on the server of
//! `KURA_TEST_DATABASE_URL`, dropped again when the test is done.
//!
//! A crate of its own, not a `#[cfg(test)]` module of `kura`: the unit tests of `kura`
//! and the integration tests in `tests/it` both use it, and `tests/it` cannot see the
//! `#[cfg(test)]` items of the crate it tests.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AnyPool, AssertSqlSafe};

/// The variable naming the PostgreSQL server tests make their databases on.
pub const ADMIN_URL_VARIABLE: &str = "KURA_TEST_DATABASE_URL";

/// `KURA_TEST_DATABASE_URL` when it is set and not empty; otherwise None, and a line
/// saying which tests are skipped (`what`) goes to stderr.
pub fn admin_url(what: &str) -> Option<String> {
    match std::env::var(ADMIN_URL_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("{ADMIN_URL_VARIABLE} is not set: {what} skipped");
            None
        }
    }
}

/// A database of its own for one test, on the server at `admin_url`.
#[derive(Debug)]
pub struct ScratchDatabase {
    /// The URL it was created through, to drop it again.
    admin_url: String,
    /// `kura_test_<unique>`.
    name: String,
    /// `admin_url` with the path set to `name`.
    url: String,
}

impl ScratchDatabase {
    /// Creates `kura_test_<unique>` through `admin_url`; panics when the server cannot be
    /// reached or refuses, as a test should.
    pub async fn create(admin_url: &str) -> Self {
        Self::try_create(admin_url)
            .await
            .unwrap_or_else(|error| panic!("create a test database through {admin_url}: {error}"))
    }

    /// [`ScratchDatabase::create`] for callers that report the error themselves.
    pub async fn try_create(admin_url: &str) -> Result<Self, sqlx::Error> {
        let mut url = url::Url::parse(admin_url)
            .map_err(|error| sqlx::Error::Configuration(Box::new(error)))?;
        let name = unique_name();
        execute(admin_url, format!("CREATE DATABASE {name}")).await?;
        url.set_path(&name);
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        })
    }

    /// The database's URL (the admin URL's server and user, this database).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database, closing what is still connected to it; panics on failure.
    /// Not on `Drop`: a failed test leaves its database, to look at.
    pub async fn drop_database(self) {
        let name = self.name.clone();
        self.try_drop_database()
            .await
            .unwrap_or_else(|error| panic!("drop the test database {name}: {error}"));
    }

    /// [`ScratchDatabase::drop_database`] for callers that report the error themselves.
    pub async fn try_drop_database(self) -> Result<(), sqlx::Error> {
        execute(
            &self.admin_url,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        )
        .await
    }
}

/// Runs one statement on its own connection to `admin_url`.
async fn execute(admin_url: &str, sql: String) -> Result<(), sqlx::Error> {
    sqlx::any::install_default_drivers();
    let admin = AnyPool::connect(admin_url).await?;
    let result = sqlx::query(AssertSqlSafe(sql)).execute(&admin).await;
    admin.close().await;
    result.map(drop)
}

/// Unique per process and call, without a random-number crate: the clock, the process id
/// and a counter.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!(
        "kura_test_{:x}_{:x}_{}",
        nanos & 0xffff_ffff_ffff,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_plain_identifiers() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        for name in [a, b] {
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn a_database_is_created_reachable_and_dropped() {
        let Some(admin) = admin_url("the scratch database test") else {
            return;
        };
        let database = ScratchDatabase::create(&admin).await;
        sqlx::any::install_default_drivers();
        let pool = AnyPool::connect(database.url()).await.expect("connects");
        let name: String = sqlx::query_scalar("SELECT current_database()::text")
            .fetch_one(&pool)
            .await
            .expect("query");
        assert_eq!(name, database.name());
        // Still connected: the drop closes the connection itself.
        let dropped = database.name().to_owned();
        database.drop_database().await;
        let admin_pool = AnyPool::connect(&admin).await.expect("admin");
        let left: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM pg_database WHERE datname = '{dropped}'"
        )))
        .fetch_one(&admin_pool)
        .await
        .expect("count");
        assert_eq!(left, 0);
        admin_pool.close().await;
        drop(pool);
    }
}
