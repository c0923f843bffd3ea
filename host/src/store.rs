//! Storage: the only module that writes SQL. SQLite by default (one file in the data
//! directory, WAL, foreign keys, busy timeout), PostgreSQL when `database.url` says so.
//!
//! Both backends run through one `sqlx::AnyPool` and the same SQL text: placeholders are
//! `$N` (SQLite accepts them too), case-insensitive search is `lower(..) LIKE` (ASCII on
//! both, since PostgreSQL's text columns are `COLLATE "C"`), and NULL ordering is spelled
//! out. Each backend has its own migrations directory with the same schema.

mod bind;
mod bulk_import;
mod generation;
#[cfg(test)]
mod list_explain;
mod list_filter;
mod list_plan;
mod list_rows;
mod list_search;
mod maintenance;
mod people;
mod resource_list;
mod resource_write;
mod resources;
mod schedules;
mod search_sample;
mod search_trigrams;
mod settings;
mod statistics;
mod task_types;
mod tasks;
mod translations;
mod types;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub(crate) use bulk_import::MOST_LANES;
pub(crate) use maintenance::{ResourceFiles, SchemaStatus, inspect_sqlite_file};
pub(crate) use resource_write::{ImportedState, ImportedVideo};
pub(crate) use resources::RenamedFiles;
pub(crate) use schedules::ScheduleState;
pub use settings::SETTINGS_LIMITS;
pub(crate) use settings::SettingsLimitError;
pub use task_types::*;
pub use translations::TranslationInfo;
pub(crate) use translations::{TranslationRecord, TranslationSource};
pub use types::*;

/// The migrations of each backend, embedded at build time.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Set on every SQLite connection: foreign keys and the busy timeout (10 s of waiting
/// for a write lock) are per connection; WAL is persistent, but asking again is free.
/// `synchronous = FULL`: a committed write survives a power cut.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// Reads nothing, but brings the connection's copy of the schema up to date (SQLite
/// checks its schema cookie before running any statement on the database).
const SQLITE_READ_SCHEMA: &str = "SELECT 1 FROM sqlite_master LIMIT 0";

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {source}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "the database schema (version {database}) is newer than this kura knows ({known}); upgrade kura"
    )]
    SchemaTooNew { database: i64, known: i64 },
    #[error(
        "the database has migration {0}, which this kura does not know (a build from another branch?)"
    )]
    UnknownMigration(i64),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Settings(#[from] settings::SettingsLimitError),
}

/// Shorthand for store results.
pub(crate) type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// The database handle: cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Connections for the library's hot reads (list pages, counts, metadata). On SQLite
    /// a pool of its own, read-only (`query_only`), handed out without the schema read
    /// the write pool does (a read fires no trigger, and SQLite recompiles a read whose
    /// schema changed by itself); on PostgreSQL the same pool.
    reader: AnyPool,
    backend: Backend,
    /// The library generation this process sees (shared by every clone).
    generation: std::sync::Arc<generation::LibraryGeneration>,
    /// The PostgreSQL URL, for the listener that follows other hosts' writes.
    url: Option<std::sync::Arc<str>>,
    /// How many resources each search trigram is in, lately: a search reads its rarest
    /// (`search_trigrams`).
    trigram_counts: std::sync::Arc<search_trigrams::TrigramCounts>,
}

impl Store {
    /// Opens (creating a SQLite file when missing) and migrates the database at `url`;
    /// refuses a database with migrations this binary does not know
    /// ([`StoreError::SchemaTooNew`]). The server and the commands open without migrating
    /// and decide themselves (`server::open_store`, `cli::database`); tests use this.
    #[cfg(test)]
    pub(crate) async fn open(url: &str) -> Result<Self> {
        let store = Self::open_without_migrating(url).await?;
        store.migrate(store.migrator()).await?;
        Ok(store)
    }

    /// Opens the database at `url` as it is, without applying migrations (`kura db
    /// upgrade` and the backups, which must not change the schema).
    pub async fn open_without_migrating(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let open_error = |source| StoreError::Open {
            url: redact(url),
            source,
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url(url).map_err(open_error)?,
            Backend::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(open_error)?;
        let mut pool_options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(15))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        connection.execute(SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            });
        if backend == Backend::Sqlite {
            // A connection hands itself out with the current schema read, in place of the
            // default ping (one round to its thread either way): a statement compiled
            // right after another connection changed the schema fails with "no such
            // table" when a trigger of it reaches a virtual table (the search index).
            pool_options =
                pool_options
                    .test_before_acquire(false)
                    .before_acquire(|connection, _| {
                        Box::pin(async move {
                            // A prepared statement, kept by the connection: text run
                            // as is would be parsed again on every acquire.
                            sqlx::query(SQLITE_READ_SCHEMA)
                                .execute(&mut *connection)
                                .await?;
                            Ok(true)
                        })
                    });
        }
        let pool = pool_options
            .connect_with(options.clone())
            .await
            .map_err(open_error)?;
        // A database in memory is one connection's own: its reads stay on the one pool.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let reader = match backend {
            Backend::Sqlite if !in_memory => AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(15))
                .test_before_acquire(false)
                .after_connect(|connection, _| {
                    Box::pin(async move {
                        connection.execute(SQLITE_PRAGMAS).await?;
                        connection.execute("PRAGMA query_only = ON").await?;
                        Ok(())
                    })
                })
                .connect_lazy_with(options),
            Backend::Sqlite | Backend::Postgres => pool.clone(),
        };
        Ok(Self {
            pool,
            reader,
            backend,
            generation: std::sync::Arc::default(),
            url: (backend == Backend::Postgres).then(|| std::sync::Arc::from(url.as_str())),
            trigram_counts: std::sync::Arc::default(),
        })
    }

    /// The migrations embedded in this binary for the backend in use.
    pub(crate) fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// The backend in use.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (SQLite checkpoints its WAL on the last close).
    pub async fn close(&self) {
        self.reader.close().await;
        self.pool.close().await;
    }

    /// `PRAGMA integrity_check` on SQLite (`ok` when sound); PostgreSQL checks itself.
    pub(crate) async fn integrity_check(&self) -> Result<String> {
        match self.backend {
            Backend::Sqlite => {
                let row: (String,) = sqlx::query_as("PRAGMA integrity_check")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.0)
            }
            Backend::Postgres => Ok("ok".to_owned()),
        }
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for the library's hot reads, which never write (read-only on SQLite).
    pub(crate) fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// Each pool's connections open and idle now: `write`, then `read`.
    pub(crate) fn pool_use(&self) -> [(&'static str, u32, usize); 2] {
        [
            ("write", self.pool.size(), self.pool.num_idle()),
            ("read", self.reader.size(), self.reader.num_idle()),
        ]
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`, waiting out other writers under the busy timeout): a deferred
    /// transaction that reads first and writes after another connection's commit fails
    /// with "database is locked" without waiting, and loses its write.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }
}

/// Adds `mode=rwc` so a missing file is created, and creates its directory and the file
/// itself, readable by the owner only (SQLite gives its `-wal` and `-shm` files the
/// database file's mode).
fn sqlite_url(url: &str) -> std::result::Result<String, sqlx::Error> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let file = path.split('?').next().unwrap_or_default();
    if !file.is_empty() && file != ":memory:" {
        if let Some(parent) = std::path::Path::new(file).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)?;
        }
        // Only when SQLite would create it: `mode=ro` and `mode=rw` open what exists.
        if !url.contains("mode=") || url.contains("mode=rwc") {
            create_private_file(std::path::Path::new(file))?;
        }
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// Creates an empty file readable by the owner only (0600 on Unix) unless it exists.
fn create_private_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A value as JSON text for a TEXT column.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|error| StoreError::Corrupt(error.to_string()))
}

/// Now, in unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    crate::util::unix_ms(std::time::SystemTime::now()) as i64
}

#[cfg(test)]
mod tests;
