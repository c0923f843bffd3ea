//! Database backups (N-L2) and code-list backups (N-L1), with retention.
//!
//! SQLite: `VACUUM INTO` a temporary file beside the backups (a consistent snapshot while
//! writers go on), `PRAGMA integrity_check` on the copy, fsync, rename to
//! `kura-{stamp}.db`. PostgreSQL: `pg_dump --format=custom` to a temporary file,
//! `pg_restore --list` on it, rename to `kura-{stamp}.dump`. Either way an info file
//! `kura-{stamp}.json` records the time, sizes and schema version, a killed run leaves
//! only a temporary file (removed by the next run), and retention never removes the
//! newest backup. Backups and their directories are readable by the owner only (files
//! 0600 through their temporary files, directories made 0700).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use super::postgres::PgTools;
use super::{Maintenance, MaintenanceError, Result, blocking, files, now_ms, stamp};
use crate::store::{Backend, inspect_sqlite_file};

/// A temporary file older than this is left over from a killed run.
const STALE_TEMP_MS: i64 = 3_600_000;

/// A database backup written.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DbBackup {
    /// The backup file.
    pub(crate) file: PathBuf,
    /// Its info file (`.json` beside it).
    pub(crate) info_file: PathBuf,
    /// `sqlite` or `postgres`.
    pub(crate) backend: &'static str,
    /// UTC, RFC 3339.
    pub(crate) created_at: String,
    /// Size of the backup.
    pub(crate) bytes: u64,
    /// Size of the live database on disk (SQLite: the file and its WAL).
    pub(crate) database_bytes: Option<u64>,
    /// The newest migration applied in the backup.
    pub(crate) schema_version: i64,
    /// `ok` for SQLite's integrity check; the archive's entries for PostgreSQL.
    pub(crate) integrity: String,
    /// Rows per table in the backup (SQLite; empty for PostgreSQL).
    pub(crate) rows: BTreeMap<String, i64>,
    pub(crate) duration_ms: i64,
    /// Old backups removed by retention (file names).
    pub(crate) removed: Vec<String>,
}

/// A code-list backup written.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CodesBackup {
    pub(crate) file: PathBuf,
    pub(crate) created_at: String,
    /// Codes in it.
    pub(crate) count: usize,
    pub(crate) bytes: u64,
    /// Old backups removed by retention (file names).
    pub(crate) removed: Vec<String>,
}

/// Whether a backup of a database that holds nothing (a PostgreSQL dump listing no
/// entries, no migration applied) is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EmptyDatabase {
    /// It is: the backup before a new database's first upgrade.
    Allowed,
    /// It is refused: a backup for its own sake.
    Refused,
}

impl Maintenance {
    /// `kura backup-db [--days N]`: one checked backup, then retention (`days`, default
    /// `maintenance.backup_days`).
    pub(crate) async fn backup_db(&self, days: Option<u32>) -> Result<DbBackup> {
        let days = self.backup_days(days)?;
        let mut backup = self.snapshot_db(None, EmptyDatabase::Refused).await?;
        let dir = self.db_backup_dir();
        backup.removed = blocking(move || files::prune(&dir, "kura-", days, now_ms())).await?;
        Ok(backup)
    }

    /// Writes one checked backup `kura-{stamp}[-{label}]` with its info file.
    pub(super) async fn snapshot_db(
        &self,
        label: Option<&str>,
        empty: EmptyDatabase,
    ) -> Result<DbBackup> {
        let started = now_ms();
        let dir = self.db_backup_dir();
        let setup_dir = dir.clone();
        blocking(move || {
            files::create_private_dir(&setup_dir)?;
            files::remove_stale_temps(&setup_dir, now_ms() - STALE_TEMP_MS)
        })
        .await?;
        let base = match label {
            Some(label) => format!("kura-{}-{label}", stamp::compact(started)),
            None => format!("kura-{}", stamp::compact(started)),
        };
        let (file, integrity, schema_version, rows) = match self.store.backend() {
            Backend::Sqlite => self.sqlite_snapshot(&dir, &base).await?,
            Backend::Postgres => self.postgres_snapshot(&dir, &base, empty).await?,
        };
        let bytes = std::fs::metadata(&file)
            .map_err(files::io_error(&file))?
            .len();
        let database_bytes = sqlite_file(&self.database_url).map(|path| {
            let wal = PathBuf::from(format!("{}-wal", path.display()));
            [path, wal]
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum()
        });
        let backend = match self.store.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        let mut backup = DbBackup {
            info_file: PathBuf::new(),
            backend,
            created_at: stamp::iso(started),
            bytes,
            database_bytes,
            schema_version,
            integrity,
            rows,
            duration_ms: now_ms() - started,
            removed: Vec::new(),
            file,
        };
        let info = json!({
            "file": file_name(&backup.file),
            "backend": backup.backend,
            "created_at": backup.created_at,
            "created_at_ms": started,
            "bytes": backup.bytes,
            "database_bytes": backup.database_bytes,
            "schema_version": backup.schema_version,
            "integrity": backup.integrity,
            "rows": backup.rows,
            "duration_ms": backup.duration_ms,
            "kura_version": env!("CARGO_PKG_VERSION"),
        });
        let stem = backup
            .file
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or(base);
        let text = serde_json::to_vec_pretty(&info)
            .map_err(|error| MaintenanceError::Refused(error.to_string()))?;
        backup.info_file = blocking(move || files::write_new(&dir, &stem, "json", &text)).await?;
        tracing::info!(
            file = %backup.file.display(), bytes = backup.bytes,
            schema_version = backup.schema_version, "database backup written"
        );
        Ok(backup)
    }

    async fn sqlite_snapshot(
        &self,
        dir: &Path,
        base: &str,
    ) -> Result<(PathBuf, String, i64, BTreeMap<String, i64>)> {
        let temp = files::temp_file(dir)?;
        self.store.vacuum_into(temp.path()).await?;
        let check = inspect_sqlite_file(temp.path()).await?;
        if check.integrity != "ok" {
            return Err(MaintenanceError::BadBackup {
                file: temp.path().to_owned(),
                detail: check.integrity,
            });
        }
        let (dir, base) = (dir.to_owned(), base.to_owned());
        let file = blocking(move || files::persist_new(temp, &dir, &base, "db")).await?;
        Ok((file, check.integrity, check.schema_version, check.rows))
    }

    async fn postgres_snapshot(
        &self,
        dir: &Path,
        base: &str,
        empty: EmptyDatabase,
    ) -> Result<(PathBuf, String, i64, BTreeMap<String, i64>)> {
        let tools = self.pg_tools();
        let schema_version = self
            .store
            .schema_status(self.store.migrator())
            .await?
            .version();
        let temp = files::temp_file(dir)?;
        tools.dump(&self.database_url, temp.path()).await?;
        let entries = tools.list(temp.path()).await?;
        // A database no migration has reached yet may hold nothing at all, and its dump
        // then rightly lists nothing: a new database's first `kura db upgrade` goes on.
        // A backup of its own refuses it, since a wrong `database.url` would otherwise
        // keep writing empty backups while retention ages the real ones out.
        let empty_allowed = empty == EmptyDatabase::Allowed && schema_version == 0;
        if entries == 0 && !empty_allowed {
            return Err(MaintenanceError::BadBackup {
                file: temp.path().to_owned(),
                detail: "the archive lists no entries".to_owned(),
            });
        }
        let (dir, base) = (dir.to_owned(), base.to_owned());
        let file = blocking(move || files::persist_new(temp, &dir, &base, "dump")).await?;
        Ok((
            file,
            format!("ok ({entries} archive entries)"),
            schema_version,
            BTreeMap::new(),
        ))
    }

    pub(super) fn pg_tools(&self) -> PgTools {
        PgTools {
            bin_dir: self.settings.pg_bin_dir.clone(),
        }
    }

    /// `kura backup-codes [--days N]`: every code as JSON with the time and count, then
    /// retention.
    pub(crate) async fn backup_codes(&self, days: Option<u32>) -> Result<CodesBackup> {
        let days = self.backup_days(days)?;
        let started = now_ms();
        let codes: Vec<String> = self
            .store
            .all_codes()
            .await?
            .into_iter()
            .map(|(_, code)| code)
            .collect();
        let count = codes.len();
        let document = json!({
            "created_at": stamp::iso(started),
            "created_at_ms": started,
            "count": count,
            "codes": codes,
        });
        let text = serde_json::to_vec_pretty(&document)
            .map_err(|error| MaintenanceError::Refused(error.to_string()))?;
        let bytes = text.len() as u64;
        let dir = self.codes_backup_dir();
        let base = format!("codes-{}", stamp::compact(started));
        let (file, removed) = blocking(move || {
            files::create_private_dir(&dir)?;
            files::remove_stale_temps(&dir, now_ms() - STALE_TEMP_MS)?;
            let file = files::write_new(&dir, &base, "json", &text)?;
            let removed = files::prune(&dir, "codes-", days, now_ms())?;
            Ok((file, removed))
        })
        .await?;
        tracing::info!(file = %file.display(), count, "code list backup written");
        Ok(CodesBackup {
            file,
            created_at: stamp::iso(started),
            count,
            bytes,
            removed,
        })
    }
}

/// The file of a `sqlite:` URL.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or_default();
    (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_files_come_from_the_url() {
        assert_eq!(
            sqlite_file("sqlite:///srv/kura/kura.db?mode=rwc"),
            Some(PathBuf::from("/srv/kura/kura.db"))
        );
        assert_eq!(
            sqlite_file("sqlite://data/kura.db"),
            Some(PathBuf::from("data/kura.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://kura@db/kura"), None);
    }
}
