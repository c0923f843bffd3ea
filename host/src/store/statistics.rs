//! The planner's statistics. SQLite gathers them only when asked, and the migrations ran
//! `ANALYZE` on empty tables: a library filled afterwards would be planned as if it were
//! empty (a partial index "of no rows" taken for every search candidate, say). The store
//! refreshes them after bulk writes, and the server at its start and every ten minutes.

use std::time::Duration;

use sqlx::Executor;
use tokio_util::sync::CancellationToken;

use super::{Backend, Result, Store};

/// How often a running server refreshes the statistics (a no-op while tables keep
/// about their size).
const REFRESH_EVERY: Duration = Duration::from_secs(600);

/// SQLite reads every row of an index when it analyzes (`PRAGMA analysis_limit = 0`,
/// 5 s at a million resources), not a sample, which is an index's first rows: 2,000 of
/// them put 2,000 resources under each translation status where a million have four,
/// and the planner then took the full status index over the partial one of downloaded
/// resources (a status's downloaded count read 571,000 rows for 114,000: 1.1 s, not
/// 6 ms).
const SQLITE_ANALYSIS: &str = "PRAGMA analysis_limit = 0;";

/// `PRAGMA optimize` with mask 0x10002: analyze the tables whose statistics look stale,
/// checking every table (not only those this connection's statements read), and
/// without the temporary sample limit the default mask (0x12) sets.
const SQLITE_OPTIMIZE: &str = "PRAGMA optimize(65538);";

/// The tables the library list reads.
const LIBRARY_TABLES: [&str; 5] = [
    "resources",
    "resource_people",
    "resource_tags",
    "people",
    "tags",
];

/// Drops SQLite's statistics of empty tables: the planner takes "no rows" at its word and
/// keeps it after the table grows (it would walk a partial index "of no rows" for every
/// search candidate), while without statistics it assumes a large table and uses indexes.
const SQLITE_FORGET_EMPTY: &str = "DELETE FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) = 0";

impl Store {
    /// Gathers statistics again for the tables whose size changed much since they were
    /// last gathered: SQLite's `PRAGMA optimize`, or after a bulk write (`bulk`)
    /// `ANALYZE` of the library tables, both reading every row (see [`SQLITE_ANALYSIS`]),
    /// and statistics of empty tables are dropped. PostgreSQL's autovacuum does the same
    /// by itself; after a bulk write the library tables are analyzed at once rather than
    /// when autovacuum gets to them.
    pub(crate) async fn refresh_statistics(&self, bulk: bool) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                let gather = if bulk {
                    LIBRARY_TABLES
                        .map(|table| format!("ANALYZE {table};"))
                        .concat()
                } else {
                    SQLITE_OPTIMIZE.to_owned()
                };
                let mut connection = self.pool().acquire().await?;
                connection
                    .execute(sqlx::AssertSqlSafe(format!(
                        "{SQLITE_ANALYSIS} {gather} {SQLITE_FORGET_EMPTY};"
                    )))
                    .await?;
            }
            Backend::Postgres if bulk => {
                self.pool()
                    .execute(sqlx::AssertSqlSafe(format!(
                        "ANALYZE {}",
                        LIBRARY_TABLES.join(", ")
                    )))
                    .await?;
            }
            Backend::Postgres => {}
        }
        Ok(())
    }

    /// After a bulk write is done: the statistics of [`Store::refresh_statistics`], and
    /// on PostgreSQL `VACUUM (ANALYZE)` of the library tables rather than `ANALYZE`
    /// alone. The planner costs a trigram index (GIN) by figures of its own that only
    /// `VACUUM` updates: until autovacuum got to them, a search planned a sequential
    /// scan of every resource, a `LIKE` a row, over a lookup of a few postings.
    pub(super) async fn settle_bulk_write(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => self.refresh_statistics(true).await,
            Backend::Postgres => {
                self.pool()
                    .execute(sqlx::AssertSqlSafe(format!(
                        "VACUUM (ANALYZE) {}",
                        LIBRARY_TABLES.join(", ")
                    )))
                    .await?;
                Ok(())
            }
        }
    }

    /// Refreshes the statistics now and every [`REFRESH_EVERY`] until `cancel`; a failure
    /// is logged and tried again at the next turn.
    pub async fn keep_statistics(&self, cancel: CancellationToken) {
        loop {
            if let Err(error) = self.refresh_statistics(false).await {
                tracing::warn!(%error, "cannot refresh the database's statistics");
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(REFRESH_EVERY) => {}
            }
        }
    }
}
