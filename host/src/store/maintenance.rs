//! The queries of `maintenance`: schema versions and migrations, online SQLite backups
//! (`VACUUM INTO`) and their checks, row counts, the rows the consistency checks read,
//! and putting a SQLite backup back in place inside the live database.

use std::collections::BTreeMap;
use std::path::Path;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migrate, MigrateError, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Connection, Executor};

use super::people::person_row;
use super::{Backend, PersonRow, Result, Store, StoreError, now_ms};

/// The table sqlx records applied migrations in.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Where the database's schema stands against a set of migrations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct SchemaStatus {
    /// Applied versions, ascending.
    pub(crate) applied: Vec<i64>,
    /// Versions the migrations hold and the database has not applied, ascending.
    pub(crate) pending: Vec<i64>,
    /// Applied versions the migrations do not hold (a newer kura applied them).
    pub(crate) unknown: Vec<i64>,
    /// Applied versions whose file changed since.
    pub(crate) modified: Vec<i64>,
    /// A migration that failed half-way (possible only for no-transaction migrations).
    pub(crate) dirty: Option<i64>,
    /// The newest version the migrations hold.
    pub(crate) known: i64,
}

impl SchemaStatus {
    /// The newest applied version; 0 for an empty database.
    pub(crate) fn version(&self) -> i64 {
        self.applied.last().copied().unwrap_or(0)
    }

    /// Every known migration applied, nothing unknown, changed or half done.
    pub(crate) fn is_current(&self) -> bool {
        self.pending.is_empty()
            && self.unknown.is_empty()
            && self.modified.is_empty()
            && self.dirty.is_none()
    }
}

/// What a SQLite backup file holds, read from the file alone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct FileCheck {
    /// `ok` when sound, else SQLite's findings.
    pub(crate) integrity: String,
    /// The newest applied migration; 0 without any.
    pub(crate) schema_version: i64,
    /// Rows per table.
    pub(crate) rows: BTreeMap<String, i64>,
}

/// The file columns of one resource, for the consistency checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceFiles {
    pub(crate) code: String,
    pub(crate) cover_file: Option<String>,
    pub(crate) video_file: Option<String>,
    pub(crate) video_size: Option<i64>,
    pub(crate) video_saved_at: Option<i64>,
}

impl Store {
    /// Applies the pending migrations of `migrator`. A database with migrations the
    /// migrator does not hold is refused: [`StoreError::SchemaTooNew`] when they are
    /// newer than its newest, else [`StoreError::UnknownMigration`].
    pub async fn migrate(&self, migrator: &Migrator) -> Result<()> {
        let mut connection = self.pool().acquire().await?;
        // `run_direct` is what `run` calls; taking the connection directly keeps the
        // future `Send` for task kinds (sqlx's `Acquire` is not general over lifetimes).
        let Err(error) = migrator.run_direct(None, &mut *connection, false).await else {
            return Ok(());
        };
        // A failed run may leave PostgreSQL's advisory migration lock held by this
        // session: the connection is closed rather than returned to the pool.
        let _ = connection.close().await;
        let known = newest(migrator);
        Err(match error {
            MigrateError::VersionMissing(version) if version > known => {
                let database = match self.schema_status(migrator).await {
                    Ok(status) => status.version(),
                    Err(_) => version,
                };
                StoreError::SchemaTooNew { database, known }
            }
            MigrateError::VersionMissing(version) => StoreError::UnknownMigration(version),
            other => StoreError::Migrate(other),
        })
    }

    /// Compares the applied migrations with `migrator`, changing nothing.
    pub(crate) async fn schema_status(&self, migrator: &Migrator) -> Result<SchemaStatus> {
        let known_versions: BTreeMap<i64, &[u8]> = migrator
            .iter()
            .filter(|migration| !migration.migration_type.is_down_migration())
            .map(|migration| (migration.version, migration.checksum.as_ref()))
            .collect();
        let mut connection = self.pool().acquire().await?;
        let (applied, dirty) = if self.has_migrations_table().await? {
            let dirty = connection.dirty_version(MIGRATIONS_TABLE).await?;
            let applied = connection.list_applied_migrations(MIGRATIONS_TABLE).await?;
            (applied, dirty)
        } else {
            (Vec::new(), None)
        };
        let mut status = SchemaStatus {
            applied: applied.iter().map(|m| m.version).collect(),
            pending: Vec::new(),
            unknown: Vec::new(),
            modified: Vec::new(),
            dirty,
            known: newest(migrator),
        };
        status.applied.sort_unstable();
        for migration in &applied {
            match known_versions.get(&migration.version) {
                None => status.unknown.push(migration.version),
                Some(checksum) if *checksum != migration.checksum.as_ref() => {
                    status.modified.push(migration.version);
                }
                Some(_) => {}
            }
        }
        status.pending = known_versions
            .keys()
            .filter(|version| !status.applied.contains(version))
            .copied()
            .collect();
        Ok(status)
    }

    async fn has_migrations_table(&self) -> Result<bool> {
        let query = match self.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = $1"
            }
        };
        let count: i64 = sqlx::query_scalar(query)
            .bind(MIGRATIONS_TABLE)
            .fetch_one(self.pool())
            .await?;
        Ok(count > 0)
    }

    /// Rows per table (the migrations table included), for upgrade checks and backup
    /// info files.
    pub(crate) async fn table_row_counts(&self) -> Result<BTreeMap<String, i64>> {
        row_counts(self.pool(), self.backend()).await
    }

    /// Writes a consistent snapshot of the SQLite database to `target`, which must not
    /// exist or be empty (`VACUUM INTO`). Writers go on meanwhile (WAL).
    pub(crate) async fn vacuum_into(&self, target: &Path) -> Result<()> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::Conflict(
                "VACUUM INTO is for SQLite; PostgreSQL is backed up with pg_dump".to_owned(),
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(target.to_string_lossy().into_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every resource's file columns, in code order.
    pub(crate) async fn all_resource_files(&self) -> Result<Vec<ResourceFiles>> {
        let rows: Vec<ResourceFileRow> = sqlx::query_as(
            "SELECT code, cover_file, video_file, video_size, video_saved_at \
             FROM resources ORDER BY code",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(code, cover_file, video_file, video_size, video_saved_at)| ResourceFiles {
                    code,
                    cover_file,
                    video_file,
                    video_size,
                    video_saved_at,
                },
            )
            .collect())
    }

    /// Records a cover file found on disk but missing from the row; keeps its source URL.
    pub(crate) async fn set_cover_file(&self, code: &str, file: &str) -> Result<bool> {
        let result =
            sqlx::query("UPDATE resources SET cover_file = $2, updated_at = $3 WHERE code = $1")
                .bind(code)
                .bind(file)
                .bind(now_ms())
                .execute(self.pool())
                .await?;
        self.library_changed();
        Ok(result.rows_affected() > 0)
    }

    /// Corrects a recorded video's size (the file is the truth).
    pub(crate) async fn set_video_size(&self, code: &str, size: i64) -> Result<bool> {
        let result =
            sqlx::query("UPDATE resources SET video_size = $2, updated_at = $3 WHERE code = $1")
                .bind(code)
                .bind(size)
                .bind(now_ms())
                .execute(self.pool())
                .await?;
        self.library_changed();
        Ok(result.rows_affected() > 0)
    }

    /// Every person, in id order (for the avatar check).
    pub(crate) async fn all_people(&self) -> Result<Vec<PersonRow>> {
        sqlx::query(
            "SELECT id, name, alias, avatar_file, avatar_url, page_url, created_at, updated_at \
             FROM people ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(person_row)
        .collect()
    }

    /// Replaces the whole SQLite database with the contents of the backup file
    /// `backup`, in one transaction inside the live database: other connections see
    /// the old contents or the restored ones, never a mix, and keep working (no file is
    /// swapped under them). Tables, indexes, triggers, views, rows and AUTOINCREMENT
    /// counters come back as they were in the backup.
    pub(crate) async fn restore_sqlite_from(&self, backup: &Path) -> Result<()> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::Conflict(
                "an in-place restore is for SQLite; PostgreSQL uses pg_restore".to_owned(),
            ));
        }
        let mut connection = self.pool().acquire().await?;
        // Outside any transaction: neither switch works inside one.
        connection.execute("PRAGMA foreign_keys = OFF").await?;
        sqlx::query("ATTACH DATABASE $1 AS backup")
            .bind(backup.to_string_lossy().into_owned())
            .execute(&mut *connection)
            .await?;
        let copied = copy_attached_backup(&mut connection).await;
        // Whatever was copied, the rows may differ now.
        self.library_changed();
        let detached = connection.execute("DETACH DATABASE backup").await;
        let restored = connection.execute("PRAGMA foreign_keys = ON").await;
        if copied.is_err() || detached.is_err() || restored.is_err() {
            // Whatever state the connection is in, it does not go back to the pool.
            connection.close_on_drop();
        }
        copied?;
        detached?;
        restored?;
        Ok(())
    }

    /// Drops every table, view, sequence and function of the current PostgreSQL schema in one
    /// transaction, before a `pg_restore` puts a backup back.
    pub(crate) async fn drop_postgres_objects(&self) -> Result<()> {
        if self.backend() != Backend::Postgres {
            return Err(StoreError::Conflict(
                "dropping every object is for PostgreSQL before pg_restore".to_owned(),
            ));
        }
        let mut tx = self.pool().begin().await?;
        for (kind, query) in [
            (
                "VIEW",
                "SELECT CAST(table_name AS TEXT) FROM information_schema.views \
                 WHERE table_schema = current_schema()",
            ),
            (
                "TABLE",
                "SELECT CAST(tablename AS TEXT) FROM pg_tables WHERE schemaname = current_schema()",
            ),
            (
                "SEQUENCE",
                "SELECT CAST(sequence_name AS TEXT) FROM information_schema.sequences \
                 WHERE sequence_schema = current_schema()",
            ),
        ] {
            let names: Vec<String> = sqlx::query_scalar(query).fetch_all(&mut *tx).await?;
            for name in names {
                let drop = format!("DROP {kind} IF EXISTS {} CASCADE", quoted(&name));
                tx.execute(AssertSqlSafe(drop)).await?;
            }
        }
        // Functions (the triggers' of migration 0006), by their signature as the
        // catalog prints it, already quoted; those of extensions are left to them.
        let functions: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(CAST(p.oid AS regprocedure) AS TEXT) FROM pg_proc p \
             JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_depend d \
             WHERE d.objid = p.oid AND d.deptype = 'e')",
        )
        .fetch_all(&mut *tx)
        .await?;
        for function in functions {
            let drop = format!("DROP FUNCTION IF EXISTS {function} CASCADE");
            tx.execute(AssertSqlSafe(drop)).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

type ResourceFileRow = (
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

/// Checks a SQLite file on its own (a backup): `PRAGMA integrity_check`, its schema
/// version and row counts. Also turns the file into a one-file database (rollback
/// journal rather than WAL), so a copy of it is complete.
pub(crate) async fn inspect_sqlite_file(path: &Path) -> Result<FileCheck> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=rw", path.display());
    let open_error = |source| StoreError::Open {
        url: url.clone(),
        source,
    };
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .map_err(open_error)?;
    let checked = check_file(&pool).await;
    pool.close().await;
    checked
}

async fn check_file(pool: &AnyPool) -> Result<FileCheck> {
    let findings: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(pool)
        .await?;
    let integrity = findings.join("; ");
    // Returns the new mode as a row; `execute` discards it.
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(pool)
        .await?;
    let rows = row_counts(pool, Backend::Sqlite).await?;
    let schema_version = if rows.contains_key(MIGRATIONS_TABLE) {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE",
        )
        .fetch_one(pool)
        .await?
        .unwrap_or(0)
    } else {
        0
    };
    Ok(FileCheck {
        integrity,
        schema_version,
        rows,
    })
}

async fn row_counts(pool: &AnyPool, backend: Backend) -> Result<BTreeMap<String, i64>> {
    let tables: Vec<String> = match backend {
        Backend::Sqlite => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        ),
        Backend::Postgres => sqlx::query_scalar(
            "SELECT CAST(tablename AS TEXT) FROM pg_tables WHERE schemaname = current_schema() \
             ORDER BY 1",
        ),
    }
    .fetch_all(pool)
    .await?;
    let mut counts = BTreeMap::new();
    for table in tables {
        let count: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {}",
            quoted(&table)
        )))
        .fetch_one(pool)
        .await?;
        counts.insert(table, count);
    }
    Ok(counts)
}

/// The body of [`Store::restore_sqlite_from`]: one transaction on a connection that has
/// the backup attached as `backup` and foreign keys off.
async fn copy_attached_backup(connection: &mut sqlx::AnyConnection) -> Result<()> {
    let mut tx = connection.begin().await?;
    // A virtual table's shadow tables (`type = 'shadow'`) go and come with it.
    let existing: Vec<(String, String)> = sqlx::query_as(
        "SELECT type, name FROM pragma_table_list \
         WHERE schema = 'main' AND type IN ('table', 'view', 'virtual') \
         AND name NOT LIKE 'sqlite_%' \
         ORDER BY CASE type WHEN 'view' THEN 0 WHEN 'virtual' THEN 1 ELSE 2 END",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (kind, name) in &existing {
        let kind = if kind == "view" { "VIEW" } else { "TABLE" };
        tx.execute(AssertSqlSafe(format!("DROP {kind} main.{}", quoted(name))))
            .await?;
    }
    // Tables before what depends on them; in each kind, the order they were made in.
    // Tables first, each with its rows, then what depends on them; in each kind, the
    // order they were made in. A virtual table's shadow tables come with its CREATE, and
    // their rows are copied: a full-text index comes back as it was.
    let wanted: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.type, m.sql FROM backup.sqlite_master m \
         LEFT JOIN pragma_table_list t ON t.schema = 'backup' AND t.name = m.name \
         WHERE m.sql IS NOT NULL AND m.name NOT LIKE 'sqlite_%' \
         AND COALESCE(t.type, '') <> 'shadow' \
         ORDER BY CASE m.type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, m.rowid",
    )
    .fetch_all(&mut *tx)
    .await?;
    let (tables, dependents): (Vec<_>, Vec<_>) =
        wanted.iter().partition(|(kind, _)| kind == "table");
    for (_, sql) in tables {
        // Unqualified CREATE statements make their object in `main`.
        tx.execute(AssertSqlSafe(sql.clone())).await?;
    }
    // Before any trigger exists, so copying fires none.
    let filled: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM pragma_table_list WHERE schema = 'backup' \
         AND type IN ('table', 'shadow') AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut *tx)
    .await?;
    for name in filled {
        let name = quoted(&name);
        tx.execute(AssertSqlSafe(format!(
            "DELETE FROM main.{name}; INSERT INTO main.{name} SELECT * FROM backup.{name}"
        )))
        .await?;
    }
    for (_, sql) in dependents {
        tx.execute(AssertSqlSafe(sql.clone())).await?;
    }
    let counters: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM backup.sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'",
    )
    .fetch_one(&mut *tx)
    .await?;
    if counters > 0 {
        tx.execute("DELETE FROM main.sqlite_sequence").await?;
        tx.execute("INSERT INTO main.sqlite_sequence SELECT * FROM backup.sqlite_sequence")
            .await?;
    }
    // The planner's statistics (`ANALYZE`): dropping the tables dropped theirs.
    for stat in ["sqlite_stat1", "sqlite_stat4"] {
        let present = |schema: &str| {
            format!(
                "SELECT COUNT(*) FROM {schema}.sqlite_master WHERE type = 'table' AND name = '{stat}'"
            )
        };
        let in_backup: i64 = sqlx::query_scalar(AssertSqlSafe(present("backup")))
            .fetch_one(&mut *tx)
            .await?;
        if in_backup == 0 {
            continue;
        }
        let in_main: i64 = sqlx::query_scalar(AssertSqlSafe(present("main")))
            .fetch_one(&mut *tx)
            .await?;
        if in_main == 0 {
            // Only ANALYZE makes the statistics tables.
            tx.execute("ANALYZE main").await?;
        }
        tx.execute(AssertSqlSafe(format!("DELETE FROM main.{stat}")))
            .await?;
        tx.execute(AssertSqlSafe(format!(
            "INSERT INTO main.{stat} SELECT * FROM backup.{stat}"
        )))
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An identifier from the catalog, double-quoted.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn newest(migrator: &Migrator) -> i64 {
    migrator
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0)
}
