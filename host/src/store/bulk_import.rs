//! Bulk imports (`kura seed`): batches of resources written on connections of the
//! import's own, each batch one transaction, several at once where the database runs
//! them side by side (PostgreSQL, a backend process per connection).

use std::collections::HashSet;

use sqlx::pool::PoolConnection;
use tokio::task::JoinSet;

use super::resource_write::{ImportedState, write_imported};
use super::{Backend, ResourceWrite, Result, Store, StoreError};

/// A bulk import's connection on SQLite, which leaves with it: a 64 MiB page cache, and
/// statement journals in memory. Every multi-row statement keeps the pages it changes in
/// a statement journal (to undo that statement alone); past 64 KiB SQLite spills it to a
/// temporary file, which was 1 GB of writes for 30,000 resources.
const BULK_SQLITE: &str = "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY";
/// A bulk import's connection on PostgreSQL, closed with it.
const BULK_POSTGRES: &str = "SET enable_seqscan = off";
/// A database keeps a connection's plans (PostgreSQL's foreign-key checks among them) for
/// as long as the table statistics stay as they were: planned while the library was
/// empty, every check on PostgreSQL is a sequential scan, and an import slows down as the
/// library grows. So an import refreshes the statistics once the library holds twice
/// what it held at the start, or 1,000 resources if that is more, and again each time
/// it has grown four times; each refresh makes the plans anew. Not more often: a
/// refresh reads every row on SQLite (2.7 s at a million resources), and an import of a
/// few thousand into a large library changes no plan.
const FIRST_ANALYZE: u64 = 1_000;
const ANALYZE_GROWTH: u64 = 4;

/// The most batches written at once: the pool's other connections (16 on PostgreSQL)
/// stay for the import's own counts and statistics.
pub(crate) const MOST_LANES: usize = 8;

/// A batch of imported resources with the state each brings.
pub(crate) type ImportBatch = Vec<(ResourceWrite, ImportedState)>;

impl Store {
    /// A writer for many batches of imported resources on connections of its own
    /// (`kura seed`); [`Store::import_resources`] is for a few. On PostgreSQL up to
    /// `lanes` (at most [`MOST_LANES`]) batches are written at once, each by a backend of
    /// its own on a core of its own (one backend wrote 100,000 resources in 23 s, two in
    /// 16 s on two cores); SQLite writes one at a time, since a second connection would
    /// wait for the first's lock.
    pub(crate) async fn bulk_import(&self, lanes: usize) -> Result<BulkImport> {
        let lanes = match self.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => lanes.clamp(1, MOST_LANES),
        };
        let mut idle = Vec::with_capacity(lanes);
        for _ in 0..lanes {
            idle.push(self.bulk_connection().await?);
        }
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM resources")
            .fetch_one(self.pool())
            .await?;
        let held = u64::try_from(held).unwrap_or(0);
        Ok(BulkImport {
            store: self.clone(),
            idle,
            running: JoinSet::new(),
            in_flight: HashSet::new(),
            written: 0,
            held,
            next_analyze: held.saturating_mul(2).max(FIRST_ANALYZE),
        })
    }

    /// A connection set up for bulk writes, closed when dropped.
    async fn bulk_connection(&self) -> Result<PoolConnection<sqlx::Any>> {
        let mut connection = self.pool().acquire().await?;
        match self.backend() {
            // SQLite drops a connection's page cache whenever another connection wrote,
            // so batches on one connection find the indexes they grow still cached, and
            // a batch dirties more pages than the default 2 MiB cache holds.
            Backend::Sqlite => sqlx::query(BULK_SQLITE).execute(&mut *connection).await?,
            // Every statement of an import reads by index; a plan made while a table
            // was small must not scan it when it is large (a foreign-key check's plan is
            // kept for the connection's life).
            Backend::Postgres => sqlx::query(BULK_POSTGRES).execute(&mut *connection).await?,
        };
        // Its settings must not go back to the pool.
        connection.close_on_drop();
        Ok(connection)
    }
}

/// What must be written in order across batches: a resource's row, and a person's
/// fields (the later batch's win).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Ordered {
    Code(String),
    Person(String),
}

/// A batch written: its connection back, how many resources it wrote (or why not), and
/// what it held in flight.
struct Done {
    connection: PoolConnection<sqlx::Any>,
    written: Result<u64>,
    ordered: Vec<Ordered>,
}

/// Writes batches of imported resources (see [`Store::bulk_import`]), each batch one
/// transaction, all or nothing. Batches run at once only when they share no code and
/// name no person with fields in common; otherwise a batch waits for those before it, so
/// the later write wins as it would one after the other. The connections are closed and
/// unfinished batches rolled back when the writer is dropped.
pub(crate) struct BulkImport {
    store: Store,
    /// Connections waiting for a batch.
    idle: Vec<PoolConnection<sqlx::Any>>,
    running: JoinSet<Done>,
    /// What the running batches write that another batch must not write at the same
    /// time.
    in_flight: HashSet<Ordered>,
    /// Resources written (committed) so far.
    written: u64,
    /// Resources the library held when the import began.
    held: u64,
    /// The library's size (held and written) at which the statistics are refreshed
    /// next.
    next_analyze: u64,
}

impl BulkImport {
    /// Hands `rows` to a connection to write in one transaction, waiting while every
    /// connection is busy or a running batch writes what these rows write too; an
    /// existing code gets the given state too. Returns how many resources the import
    /// has written so far, or the failure of a batch written meanwhile (the batches
    /// still running are then left to finish or be rolled back with the writer).
    pub(crate) async fn write(&mut self, rows: ImportBatch) -> Result<u64> {
        // A batch that failed meanwhile stops the import before another starts.
        while let Some(joined) = self.running.try_join_next() {
            self.settle(joined).await?;
        }
        let ordered = ordered_by(&rows);
        if ordered.iter().any(|key| self.in_flight.contains(key)) {
            while !self.running.is_empty() {
                self.join_one().await?;
            }
        }
        let mut connection = loop {
            if let Some(connection) = self.idle.pop() {
                break connection;
            }
            if self.running.is_empty() {
                // Only a batch whose task panicked keeps its connection.
                return Err(StoreError::Corrupt(
                    "a bulk import lost its connections".into(),
                ));
            }
            self.join_one().await?;
        };
        self.in_flight.extend(ordered.iter().cloned());
        let backend = self.store.backend();
        self.running.spawn(async move {
            let written = write_batch(&mut connection, backend, &rows).await;
            Done {
                connection,
                written,
                ordered,
            }
        });
        Ok(self.written)
    }

    /// Waits for every batch, then ends the import: its connections close, and the
    /// library is left as the planner should see it after a bulk write
    /// ([`Store::settle_bulk_write`]). Returns how many resources it wrote.
    pub(crate) async fn finish(mut self) -> Result<u64> {
        while !self.running.is_empty() {
            self.join_one().await?;
        }
        let written = self.written;
        let store = self.store.clone();
        drop(self);
        store.settle_bulk_write().await?;
        Ok(written)
    }

    /// Waits for one running batch to end and settles it ([`BulkImport::settle`]).
    async fn join_one(&mut self) -> Result<()> {
        match self.running.join_next().await {
            Some(joined) => self.settle(joined).await,
            None => Ok(()),
        }
    }

    /// Takes an ended batch's connection back, and refreshes the statistics when the
    /// library has grown enough since they were last gathered; the batch's failure, if
    /// it failed.
    async fn settle(
        &mut self,
        joined: std::result::Result<Done, tokio::task::JoinError>,
    ) -> Result<()> {
        let done = joined
            .map_err(|error| StoreError::Corrupt(format!("a bulk import batch failed: {error}")))?;
        for key in &done.ordered {
            self.in_flight.remove(key);
        }
        self.idle.push(done.connection);
        self.written += done.written?;
        self.store.library_changed();
        let size = self.held.saturating_add(self.written);
        if size >= self.next_analyze {
            self.store.refresh_statistics(true).await?;
            self.next_analyze = size.saturating_mul(ANALYZE_GROWTH);
        }
        Ok(())
    }
}

/// The codes a batch writes and the people it gives fields of.
fn ordered_by(rows: &ImportBatch) -> Vec<Ordered> {
    let mut keys = Vec::with_capacity(rows.len());
    for (write, _) in rows {
        keys.push(Ordered::Code(write.code.clone()));
        for person in &write.people {
            if person.fields().iter().any(|field| field.is_some()) {
                keys.push(Ordered::Person(person.name.trim().to_owned()));
            }
        }
    }
    keys
}

/// Writes one batch in one transaction on `connection`; returns how many rows it held.
async fn write_batch(
    connection: &mut PoolConnection<sqlx::Any>,
    backend: Backend,
    rows: &ImportBatch,
) -> Result<u64> {
    let mut tx = match backend {
        Backend::Sqlite => {
            sqlx::Connection::begin_with(&mut **connection, "BEGIN IMMEDIATE").await?
        }
        Backend::Postgres => sqlx::Connection::begin(&mut **connection).await?,
    };
    write_imported(&mut tx, backend, rows).await?;
    tx.commit().await?;
    Ok(rows.len() as u64)
}
