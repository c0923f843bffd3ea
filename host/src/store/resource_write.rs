//! Resource writes in batches: many resources, their people, tags and links in a few
//! multi-row statements per chunk, inside one transaction. Seeding, imports and the
//! single metadata write all go through here, so there is one way a resource is written.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::Row;

use super::bind::{Sql, Value};
use super::{
    Backend, PersonWrite, ResourceWrite, Result, Store, StoreError, TranslationStatus, now_ms,
    to_json,
};

/// Resources per INSERT (up to 22 values each, 22,000 in all), below the backends'
/// limits (SQLite 32,766 values, PostgreSQL 65,535). SQLite keeps every page a
/// statement changes in a statement journal, once per statement, so fewer statements
/// copy fewer pages: `kura seed` of 100,000 took 9.0 s rather than 9.7 s with a hundred
/// resources per INSERT, and 15.6 s rather than 16.7 s on PostgreSQL.
const RESOURCE_CHUNK: usize = 1_000;
/// Links, names or ids per statement (at most 7 values each, 28,000 in all).
const ROW_CHUNK: usize = 4_000;

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
        let ids = write_imported(&mut tx, self.backend(), rows).await?;
        tx.commit().await?;
        self.library_changed();
        Ok(ids)
    }
}

/// Writes imported rows inside `tx` (see [`Store::import_resources`]); returns the ids in
/// the order of `rows`.
pub(super) async fn write_imported(
    tx: &mut Tx<'_>,
    backend: Backend,
    rows: &[(ResourceWrite, ImportedState)],
) -> Result<Vec<i64>> {
    write_many(tx, backend, &imported(rows), now_ms()).await
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
    // One write per code (the last), in the order of those last writes, so people's
    // fields merge in the order they were written: PostgreSQL refuses a multi-row upsert
    // that touches one row twice.
    let mut seen: HashSet<&str> = HashSet::new();
    let mut unique: Vec<&Entry<'_>> = entries
        .iter()
        .rev()
        .filter(|entry| seen.insert(entry.write.code.as_str()))
        .collect();
    unique.reverse();

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
///
/// People already stored as the writes give them are only read: an upsert would lock
/// every row it names until the transaction ends, and imports running side by side (see
/// `bulk_import.rs`) name the same people. New or changed people are written in the
/// order of their names, so two transactions creating the same people wait for each
/// other's new rows in one order. (The update of a changed person leaves its name, the
/// key the links' foreign-key checks lock, alone.)
async fn upsert_people<'w>(
    tx: &mut Tx<'_>,
    backend: Backend,
    writes: &[&'w ResourceWrite],
    now: i64,
) -> Result<HashMap<&'w str, i64>> {
    let merged = merged_people(writes);
    let mut ids: HashMap<&'w str, i64> = HashMap::with_capacity(merged.len());
    let names: Vec<&'w str> = merged.iter().map(|(name, _)| *name).collect();
    let stored = stored_people(tx, backend, &names).await?;
    let changed: Vec<&(&'w str, PersonWrite)> = merged
        .iter()
        .filter(|(name, given)| match stored.get(*name) {
            Some(known) if !known.changed_by(given) => {
                ids.insert(*name, known.id);
                false
            }
            _ => true,
        })
        .collect();
    for chunk in changed.chunks(ROW_CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO people (name, alias, page_url, avatar_url, created_at, updated_at) VALUES ",
        );
        for (n, (name, person)) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.row([
                Value::Text((*name).to_owned()),
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
            let Ok(at) = names.binary_search(&name.as_str()) else {
                return Err(StoreError::Corrupt(format!("unexpected person {name}")));
            };
            ids.insert(names[at], row.try_get("id")?);
        }
    }
    Ok(ids)
}

/// The people the writes name, each once under its trimmed name, the fields later
/// writes give over earlier ones', sorted by name.
fn merged_people<'w>(writes: &[&'w ResourceWrite]) -> Vec<(&'w str, PersonWrite)> {
    let mut merged: BTreeMap<&'w str, PersonWrite> = BTreeMap::new();
    for person in writes.iter().flat_map(|write| &write.people) {
        let name = person.name.trim();
        if name.is_empty() {
            continue;
        }
        let known = merged.entry(name).or_default();
        for (field, given) in known.fields_mut().into_iter().zip(person.fields()) {
            if given.is_some() {
                field.clone_from(given);
            }
        }
    }
    merged.into_iter().collect()
}

/// A person as stored: the id and the fields a write may change.
struct StoredPerson {
    id: i64,
    fields: PersonWrite,
}

impl StoredPerson {
    /// Whether writing `given` would change a field (a field it leaves out keeps its
    /// stored value).
    fn changed_by(&self, given: &PersonWrite) -> bool {
        self.fields
            .fields()
            .into_iter()
            .zip(given.fields())
            .any(|(stored, given)| given.is_some() && given != stored)
    }
}

/// The stored people among `names`, by name.
async fn stored_people(
    tx: &mut Tx<'_>,
    backend: Backend,
    names: &[&str],
) -> Result<HashMap<String, StoredPerson>> {
    let mut stored = HashMap::with_capacity(names.len());
    for chunk in names.chunks(ROW_CHUNK) {
        let mut sql =
            Sql::new("SELECT id, name, alias, page_url, avatar_url FROM people WHERE name IN ");
        sql.row(chunk.iter().map(|name| Value::Text((*name).to_owned())));
        for row in sql.query_on(backend).fetch_all(&mut **tx).await? {
            stored.insert(
                row.try_get("name")?,
                StoredPerson {
                    id: row.try_get("id")?,
                    fields: PersonWrite {
                        name: row.try_get("name")?,
                        alias: row.try_get("alias")?,
                        page_url: row.try_get("page_url")?,
                        avatar_url: row.try_get("avatar_url")?,
                    },
                },
            );
        }
    }
    Ok(stored)
}

/// Finds or creates every tag the writes name; returns the ids by name. Stored tags are
/// only read and new ones written in the order of their names, as people are (see
/// [`upsert_people`]).
async fn upsert_tags<'w>(
    tx: &mut Tx<'_>,
    backend: Backend,
    writes: &[&'w ResourceWrite],
) -> Result<HashMap<&'w str, i64>> {
    let mut names: Vec<&'w str> = distinct(
        writes
            .iter()
            .flat_map(|w| w.tags.iter().map(String::as_str)),
    )
    .map(|(_, name)| name)
    .collect();
    names.sort_unstable();
    let mut ids = HashMap::with_capacity(names.len());
    read_tag_ids(tx, backend, &names, &names, &mut ids).await?;
    let new: Vec<&str> = missing(&names, &ids);
    for chunk in new.chunks(ROW_CHUNK) {
        let mut sql = Sql::new("INSERT INTO tags (name) VALUES ");
        for (n, name) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.row([Value::Text((*name).to_owned())]);
        }
        // DO NOTHING: an update, even to the same name, would lock the row against the
        // foreign-key checks of every other transaction linking the tag until this one
        // ends.
        sql.push(" ON CONFLICT (name) DO NOTHING RETURNING id, name");
        for row in sql.query_on(backend).fetch_all(&mut **tx).await? {
            record_tag(&row, &names, &mut ids)?;
        }
    }
    // Tags another transaction created meanwhile: the insert waited for it to commit,
    // and a new statement sees them.
    let created_elsewhere = missing(&names, &ids);
    read_tag_ids(tx, backend, &created_elsewhere, &names, &mut ids).await?;
    Ok(ids)
}

/// The names of `names` without an id yet.
fn missing<'w>(names: &[&'w str], ids: &HashMap<&'w str, i64>) -> Vec<&'w str> {
    names
        .iter()
        .copied()
        .filter(|name| !ids.contains_key(name))
        .collect()
}

/// Reads the ids of the stored tags among `asked` into `ids`, keyed by their entries in
/// `names` (sorted).
async fn read_tag_ids<'w>(
    tx: &mut Tx<'_>,
    backend: Backend,
    asked: &[&str],
    names: &[&'w str],
    ids: &mut HashMap<&'w str, i64>,
) -> Result<()> {
    for chunk in asked.chunks(ROW_CHUNK) {
        let mut sql = Sql::new("SELECT id, name FROM tags WHERE name IN ");
        sql.row(chunk.iter().map(|name| Value::Text((*name).to_owned())));
        for row in sql.query_on(backend).fetch_all(&mut **tx).await? {
            record_tag(&row, names, ids)?;
        }
    }
    Ok(())
}

/// Keeps a tag row's id under its entry in `names` (sorted).
fn record_tag<'w>(
    row: &sqlx::any::AnyRow,
    names: &[&'w str],
    ids: &mut HashMap<&'w str, i64>,
) -> Result<()> {
    let name: String = row.try_get("name")?;
    let Ok(at) = names.binary_search(&name.as_str()) else {
        return Err(StoreError::Corrupt(format!("unexpected tag {name}")));
    };
    ids.insert(names[at], row.try_get("id")?);
    Ok(())
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
