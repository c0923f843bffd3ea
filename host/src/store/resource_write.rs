//! Resource writes in batches: many resources, their people, tags and links in a few
//! multi-row statements per chunk, inside one transaction. Seeding, imports and the
//! single metadata write all go through here, so there is one way a resource is written.

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use super::bind::{Sql, Value};
use super::{
    Backend, PersonWrite, ResourceWrite, Result, Store, StoreError, TranslationStatus, now_ms,
    to_json,
};

/// Resources per INSERT (up to 22 values each), well below the backends' limits (SQLite
/// 32,766 values, PostgreSQL 65,535): a longer statement saves little once a round trip
/// is shared by a hundred rows.
const RESOURCE_CHUNK: usize = 100;
/// Links, names or ids per statement (at most 7 values each).
const ROW_CHUNK: usize = 250;

impl Store {
    /// Writes a resource's metadata, people and tags in one transaction: the row is
    /// created or updated by code, people are found or created by name, and the
    /// resource's links are replaced. Files and the translation are left as they are.
    /// Returns the resource id.
    pub async fn upsert_resource(&self, write: &ResourceWrite) -> Result<i64> {
        let ids = self.upsert_resources(std::slice::from_ref(write)).await?;
        ids.first()
            .copied()
            .ok_or_else(|| StoreError::Corrupt(format!("{} was not written", write.code)))
    }

    /// Writes many resources in one transaction (seeding, imports); all or nothing. A
    /// code given twice is written once, as its last write says. Returns the ids in the
    /// order of `writes`.
    pub(crate) async fn upsert_resources(&self, writes: &[ResourceWrite]) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let entries: Vec<Entry<'_>> = writes
            .iter()
            .map(|write| Entry { write, state: None })
            .collect();
        let ids = write_many(&mut tx, self.backend(), &entries, now_ms()).await?;
        tx.commit().await?;
        self.library_changed();
        Ok(ids)
    }

    /// Writes many resources with their video and translation state, as an import or
    /// `kura seed` has them, in one transaction; all or nothing. An existing code gets
    /// the given state too. Returns the ids in the order of `rows`.
    pub(crate) async fn import_resources(
        &self,
        rows: &[(ResourceWrite, ImportedState)],
    ) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let ids = write_many(&mut tx, self.backend(), &imported(rows), now_ms()).await?;
        tx.commit().await?;
        self.library_changed();
        Ok(ids)
    }

    /// A writer for many batches of imported resources on one connection of its own
    /// (`kura seed`); [`Store::import_resources`] is for a few.
    pub(crate) async fn bulk_import(&self) -> Result<BulkImport> {
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
        // Its large cache must not go back to the pool.
        connection.close_on_drop();
        Ok(BulkImport {
            store: self.clone(),
            connection,
            written: 0,
            next_analyze: FIRST_ANALYZE,
        })
    }
}

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
/// library grows. So an import refreshes the statistics after the first 1,000 resources
/// it writes, and again each time it has written four times as many; each refresh makes
/// the plans anew.
const FIRST_ANALYZE: u64 = 1_000;
const ANALYZE_GROWTH: u64 = 4;

/// Writes batches of imported resources on one connection (see [`Store::bulk_import`]),
/// each batch one transaction. The connection is closed when the writer is dropped.
pub(crate) struct BulkImport {
    store: Store,
    connection: sqlx::pool::PoolConnection<sqlx::Any>,
    /// Resources written so far, and the count at which the statistics are refreshed
    /// next.
    written: u64,
    next_analyze: u64,
}

impl BulkImport {
    /// Writes `rows` in one transaction, all or nothing; an existing code gets the given
    /// state too. Returns the ids in the order of `rows`.
    pub(crate) async fn write(
        &mut self,
        rows: &[(ResourceWrite, ImportedState)],
    ) -> Result<Vec<i64>> {
        let connection = &mut self.connection;
        let backend = self.store.backend();
        let mut tx = match backend {
            Backend::Sqlite => {
                sqlx::Connection::begin_with(&mut **connection, "BEGIN IMMEDIATE").await?
            }
            Backend::Postgres => sqlx::Connection::begin(&mut **connection).await?,
        };
        let ids = write_many(&mut tx, backend, &imported(rows), now_ms()).await?;
        tx.commit().await?;
        self.store.library_changed();
        self.written += rows.len() as u64;
        if self.written >= self.next_analyze {
            self.store.refresh_statistics(true).await?;
            self.next_analyze = self.written.saturating_mul(ANALYZE_GROWTH);
        }
        Ok(ids)
    }

    /// Ends the import: its connection closes, and the library is left as the planner
    /// should see it after a bulk write ([`Store::settle_bulk_write`]).
    pub(crate) async fn finish(self) -> Result<()> {
        let store = self.store.clone();
        drop(self);
        store.settle_bulk_write().await
    }
}

/// A resource's video and translation as an import brings them.
#[derive(Debug, Clone)]
pub(crate) struct ImportedState {
    pub(crate) video: Option<ImportedVideo>,
    pub(crate) translation_status: TranslationStatus,
    pub(crate) title_translated: Option<String>,
}

/// A complete video: its path under the media root, size and when it was saved.
#[derive(Debug, Clone)]
pub(crate) struct ImportedVideo {
    pub(crate) file: String,
    pub(crate) size: i64,
    pub(crate) saved_at: i64,
}

/// One resource to write: its metadata, and, for an import, its state.
struct Entry<'a> {
    write: &'a ResourceWrite,
    state: Option<&'a ImportedState>,
}

/// The entries of imported rows.
fn imported(rows: &[(ResourceWrite, ImportedState)]) -> Vec<Entry<'_>> {
    rows.iter()
        .map(|(write, state)| Entry {
            write,
            state: Some(state),
        })
        .collect()
}

/// A written row's id and the sort keys its links carry.
struct Written {
    id: i64,
    code: String,
    release_key: String,
    created_at: i64,
    video_saved_at: Option<i64>,
}

type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

/// The write of many resources inside a transaction (every entry with a state, or
/// none).
async fn write_many(
    tx: &mut Tx<'_>,
    backend: Backend,
    entries: &[Entry<'_>],
    now: i64,
) -> Result<Vec<i64>> {
    // One write per code (the last), in the order codes first appear: PostgreSQL refuses
    // a multi-row upsert that touches one row twice.
    let mut position: HashMap<&str, usize> = HashMap::new();
    let mut unique: Vec<&Entry<'_>> = Vec::new();
    for entry in entries {
        match position.get(entry.write.code.as_str()) {
            Some(&at) => unique[at] = entry,
            None => {
                position.insert(&entry.write.code, unique.len());
                unique.push(entry);
            }
        }
    }

    let mut written: HashMap<String, Written> = HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(RESOURCE_CHUNK) {
        for row in insert_resources(tx, backend, chunk, now).await? {
            written.insert(row.code.clone(), row);
        }
    }
    let id_of = |code: &str| {
        written
            .get(code)
            .ok_or_else(|| StoreError::Corrupt(format!("{code} was not written")))
    };

    let ids: Vec<i64> = unique
        .iter()
        .map(|entry| id_of(&entry.write.code).map(|row| row.id))
        .collect::<Result<_>>()?;
    for table in ["resource_people", "resource_tags"] {
        for chunk in ids.chunks(ROW_CHUNK) {
            let mut sql = Sql::new(&format!("DELETE FROM {table} WHERE resource_id IN "));
            sql.row(chunk.iter().map(|id| Value::Int(*id)));
            sql.query_on(backend).execute(&mut **tx).await?;
        }
    }

    let writes: Vec<&ResourceWrite> = unique.iter().map(|entry| entry.write).collect();
    let people = upsert_people(tx, backend, &writes, now).await?;
    let tags = upsert_tags(tx, backend, &writes).await?;

    let mut people_links = Vec::new();
    let mut tag_links = Vec::new();
    for write in &writes {
        let row = id_of(&write.code)?;
        for (position, name) in distinct(write.people.iter().map(|p| p.name.as_str())) {
            people_links.push(link_values(row, id_by_name(&people, name)?, position));
        }
        for (position, name) in distinct(write.tags.iter().map(String::as_str)) {
            tag_links.push(link_values(row, id_by_name(&tags, name)?, position));
        }
    }
    insert_links(tx, backend, "resource_people", "person_id", people_links).await?;
    insert_links(tx, backend, "resource_tags", "tag_id", tag_links).await?;

    entries
        .iter()
        .map(|entry| id_of(&entry.write.code).map(|row| row.id))
        .collect()
}

/// One multi-row upsert of resources by code (with their state when the entries
/// carry one); returns each row's id and sort keys.
async fn insert_resources(
    tx: &mut Tx<'_>,
    backend: Backend,
    chunk: &[&Entry<'_>],
    now: i64,
) -> Result<Vec<Written>> {
    let with_state = chunk.iter().any(|entry| entry.state.is_some());
    let mut sql = Sql::new(
        "INSERT INTO resources (code, title_source, title_original, source_plugin, \
         source_version, page_url, stream_url, stream_headers, release_date, \
         duration_seconds, studio, label, series, description, field_sources, \
         created_at, updated_at",
    );
    sql.push(if with_state {
        ", video_file, video_size, video_saved_at, translation_status, title_translated) VALUES "
    } else {
        ") VALUES "
    });
    for (n, entry) in chunk.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        let write = entry.write;
        let mut values = vec![
            Value::Text(write.code.clone()),
            Value::OptText(write.title_source.clone()),
            Value::OptText(write.title_original.clone()),
            Value::OptText(write.source_plugin.clone()),
            Value::OptText(write.source_version.clone()),
            Value::OptText(write.page_url.clone()),
            Value::OptText(write.stream_url.clone()),
            Value::Text(to_json(&write.stream_headers)?),
            Value::OptText(write.release_date.clone()),
            Value::OptInt(write.duration_seconds),
            Value::OptText(write.studio.clone()),
            Value::OptText(write.label.clone()),
            Value::OptText(write.series.clone()),
            Value::OptText(write.description.clone()),
            Value::Text(to_json(&write.field_sources)?),
            Value::Int(now),
            Value::Int(now),
        ];
        if with_state {
            let state = entry.state.ok_or_else(|| {
                StoreError::Corrupt("an import mixed with metadata writes".to_owned())
            })?;
            let video = state.video.as_ref();
            values.extend([
                Value::OptText(video.map(|v| v.file.clone())),
                Value::OptInt(video.map(|v| v.size)),
                Value::OptInt(video.map(|v| v.saved_at)),
                Value::Text(state.translation_status.as_str().to_owned()),
                Value::OptText(state.title_translated.clone()),
            ]);
        }
        sql.row(values);
    }
    sql.push(
        " ON CONFLICT (code) DO UPDATE SET title_source = excluded.title_source, \
         title_original = excluded.title_original, source_plugin = excluded.source_plugin, \
         source_version = excluded.source_version, page_url = excluded.page_url, \
         stream_url = excluded.stream_url, stream_headers = excluded.stream_headers, \
         release_date = excluded.release_date, duration_seconds = excluded.duration_seconds, \
         studio = excluded.studio, label = excluded.label, series = excluded.series, \
         description = excluded.description, field_sources = excluded.field_sources, \
         updated_at = excluded.updated_at",
    );
    if with_state {
        sql.push(
            ", video_file = excluded.video_file, video_size = excluded.video_size, \
             video_saved_at = excluded.video_saved_at, \
             translation_status = excluded.translation_status, \
             title_translated = excluded.title_translated",
        );
    }
    sql.push(
        " RETURNING id, code, COALESCE(release_date, '') AS release_key, created_at, \
         video_saved_at",
    );
    sql.query_on(backend)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| {
            Ok(Written {
                id: row.try_get("id")?,
                code: row.try_get("code")?,
                release_key: row.try_get("release_key")?,
                created_at: row.try_get("created_at")?,
                video_saved_at: row.try_get("video_saved_at")?,
            })
        })
        .collect()
}

/// Finds or creates every person the writes name; given fields overwrite stored ones,
/// and within the batch a later write's fields overwrite an earlier one's. Returns the
/// ids by name.
async fn upsert_people<'w>(
    tx: &mut Tx<'_>,
    backend: Backend,
    writes: &[&'w ResourceWrite],
    now: i64,
) -> Result<HashMap<&'w str, i64>> {
    let mut merged: Vec<PersonWrite> = Vec::new();
    let mut at: HashMap<&'w str, usize> = HashMap::new();
    for person in writes.iter().flat_map(|write| &write.people) {
        let name = person.name.trim();
        if name.is_empty() {
            continue;
        }
        match at.get(name) {
            Some(&n) => {
                let known = &mut merged[n];
                for (field, given) in [
                    (&mut known.alias, &person.alias),
                    (&mut known.page_url, &person.page_url),
                    (&mut known.avatar_url, &person.avatar_url),
                ] {
                    if given.is_some() {
                        field.clone_from(given);
                    }
                }
            }
            None => {
                at.insert(name, merged.len());
                merged.push(PersonWrite {
                    name: name.to_owned(),
                    ..person.clone()
                });
            }
        }
    }
    let mut ids = HashMap::with_capacity(merged.len());
    for chunk in merged.chunks(ROW_CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO people (name, alias, page_url, avatar_url, created_at, updated_at) VALUES ",
        );
        for (n, person) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.row([
                Value::Text(person.name.clone()),
                Value::OptText(person.alias.clone()),
                Value::OptText(person.page_url.clone()),
                Value::OptText(person.avatar_url.clone()),
                Value::Int(now),
                Value::Int(now),
            ]);
        }
        sql.push(
            " ON CONFLICT (name) DO UPDATE SET \
             alias = COALESCE(excluded.alias, people.alias), \
             page_url = COALESCE(excluded.page_url, people.page_url), \
             avatar_url = COALESCE(excluded.avatar_url, people.avatar_url), \
             updated_at = excluded.updated_at \
             RETURNING id, name",
        );
        for row in sql.query_on(backend).fetch_all(&mut **tx).await? {
            let name: String = row.try_get("name")?;
            let Some((&key, _)) = at.get_key_value(name.as_str()) else {
                return Err(StoreError::Corrupt(format!("unexpected person {name}")));
            };
            ids.insert(key, row.try_get("id")?);
        }
    }
    Ok(ids)
}

/// Finds or creates every tag the writes name; returns the ids by name.
async fn upsert_tags<'w>(
    tx: &mut Tx<'_>,
    backend: Backend,
    writes: &[&'w ResourceWrite],
) -> Result<HashMap<&'w str, i64>> {
    let names: Vec<&str> = distinct(
        writes
            .iter()
            .flat_map(|w| w.tags.iter().map(String::as_str)),
    )
    .map(|(_, name)| name)
    .collect();
    let mut ids = HashMap::with_capacity(names.len());
    let asked: HashSet<&'w str> = names.iter().copied().collect();
    for chunk in names.chunks(ROW_CHUNK) {
        let mut sql = Sql::new("INSERT INTO tags (name) VALUES ");
        for (n, name) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.row([Value::Text((*name).to_owned())]);
        }
        // DO UPDATE (a no-op) rather than DO NOTHING, so RETURNING gives every id.
        sql.push(" ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id, name");
        for row in sql.query_on(backend).fetch_all(&mut **tx).await? {
            let name: String = row.try_get("name")?;
            let Some(&key) = asked.get(name.as_str()) else {
                return Err(StoreError::Corrupt(format!("unexpected tag {name}")));
            };
            ids.insert(key, row.try_get("id")?);
        }
    }
    Ok(ids)
}

fn id_by_name(ids: &HashMap<&str, i64>, name: &str) -> Result<i64> {
    ids.get(name)
        .copied()
        .ok_or_else(|| StoreError::Corrupt(format!("{name} was not written")))
}

/// The values of one link row: resource, person or tag, position, and the sort keys.
fn link_values(row: &Written, other: i64, position: usize) -> [Value; 7] {
    [
        Value::Int(row.id),
        Value::Int(other),
        Value::Int(position as i64),
        Value::Text(row.code.clone()),
        Value::Text(row.release_key.clone()),
        Value::Int(row.created_at),
        Value::OptInt(row.video_saved_at),
    ]
}

async fn insert_links(
    tx: &mut Tx<'_>,
    backend: Backend,
    table: &str,
    other: &str,
    links: Vec<[Value; 7]>,
) -> Result<()> {
    for chunk in links.chunks(ROW_CHUNK) {
        let mut sql = Sql::new(&format!(
            "INSERT INTO {table} (resource_id, {other}, position, code, release_key, \
             created_at, video_saved_at) VALUES "
        ));
        for (n, values) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.row(values.iter().cloned());
        }
        sql.query_on(backend).execute(&mut **tx).await?;
    }
    Ok(())
}

/// The trimmed, non-empty names in order, each once (the first keeps its place), with
/// their positions.
fn distinct<'a>(names: impl Iterator<Item = &'a str>) -> impl Iterator<Item = (usize, &'a str)> {
    let mut seen: HashSet<&str> = HashSet::new();
    names
        .map(str::trim)
        .filter(move |name| !name.is_empty() && seen.insert(name))
        .enumerate()
}
