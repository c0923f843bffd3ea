//! Resources: the metadata write (row, people and tags in one transaction), reads, the
//! list with its filters and sorts, field setters, deletion and code renames.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::bind::{Sql, Value, contains_pattern, fetch_page};
use super::{
    Page, PersonRow, ResourceDetail, ResourceQuery, ResourceRow, ResourceSort, ResourceSummary,
    ResourceWrite, Result, Store, StoreError, TagRow, TranslationStatus, now_ms,
};

const RESOURCE_COLUMNS: &str = "id, code, title_source, title_original, title_translated, \
     translation_status, source_plugin, source_version, page_url, stream_url, stream_headers, \
     release_date, duration_seconds, studio, label, series, description, cover_file, \
     cover_source, video_file, video_size, video_saved_at, field_sources, translation_error, \
     translation_profile, translation_model, translation_cleaner, translation_cleaner_version, \
     translated_at, created_at, updated_at";

const SUMMARY_COLUMNS: &str = "id, code, title_source, title_original, title_translated, \
     translation_status, source_plugin, release_date, duration_seconds, \
     CASE WHEN cover_file IS NULL THEN 0 ELSE 1 END AS has_cover, \
     CASE WHEN video_file IS NULL THEN 0 ELSE 1 END AS has_video, \
     video_size, video_saved_at, created_at, updated_at";

impl Store {
    /// Writes a resource's metadata, people and tags in one transaction: the row is
    /// created or updated by code, people are found or created by name, and the
    /// resource's links are replaced. Files and the translation are left as they are.
    /// Returns the resource id.
    pub async fn upsert_resource(&self, write: &ResourceWrite) -> Result<i64> {
        let mut tx = self.pool().begin().await?;
        let id = upsert(&mut tx, write, now_ms()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Writes many resources in one transaction (seeding, imports); all or nothing.
    pub(crate) async fn upsert_resources(&self, writes: &[ResourceWrite]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let now = now_ms();
        for write in writes {
            upsert(&mut tx, write, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A resource with its people and tags, or None.
    pub(crate) async fn get_resource(&self, code: &str) -> Result<Option<ResourceDetail>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE code = $1"
        )))
        .bind(code)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let resource = resource_row(&row)?;
        let people = sqlx::query(
            "SELECT p.id, p.name, p.alias, p.avatar_file, p.avatar_url, p.page_url, \
             p.created_at, p.updated_at \
             FROM resource_people rp JOIN people p ON p.id = rp.person_id \
             WHERE rp.resource_id = $1 ORDER BY rp.position",
        )
        .bind(resource.id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(super::people::person_row)
        .collect::<Result<Vec<PersonRow>>>()?;
        let tags = sqlx::query(
            "SELECT t.id, t.name FROM resource_tags rt JOIN tags t ON t.id = rt.tag_id \
             WHERE rt.resource_id = $1 ORDER BY rt.position",
        )
        .bind(resource.id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| {
            Ok(TagRow {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
            })
        })
        .collect::<Result<Vec<TagRow>>>()?;
        Ok(Some(ResourceDetail {
            resource,
            people,
            tags,
        }))
    }

    /// Deletes a resource and its links; returns the row as it was, or None.
    pub(crate) async fn delete_resource(&self, code: &str) -> Result<Option<ResourceRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM resources WHERE code = $1 RETURNING {RESOURCE_COLUMNS}"
        )))
        .bind(code)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(resource_row).transpose()
    }

    /// Sets the stream URL and the headers it needs (N-D6).
    pub(crate) async fn set_stream(
        &self,
        code: &str,
        stream_url: &str,
        headers: &BTreeMap<String, String>,
    ) -> Result<bool> {
        self.update(
            "UPDATE resources SET stream_url = $2, stream_headers = $3, updated_at = $4 WHERE code = $1",
            code,
            vec![
                Value::Text(stream_url.to_owned()),
                Value::Text(to_json(headers)?),
            ],
        )
        .await
    }

    /// Sets the translation status, and the translated title when given.
    pub(crate) async fn set_translation(
        &self,
        code: &str,
        status: TranslationStatus,
        translated: Option<&str>,
    ) -> Result<bool> {
        let mut sql = Sql::new("UPDATE resources SET translation_status = ");
        sql.bind(Value::Text(status.as_str().to_owned()));
        if let Some(title) = translated {
            sql.push(", title_translated = ")
                .bind(Value::Text(title.to_owned()));
        }
        sql.push(", updated_at = ")
            .bind(Value::Int(now_ms()))
            .push(" WHERE code = ")
            .bind(Value::Text(code.to_owned()));
        Ok(sql.query().execute(self.pool()).await?.rows_affected() > 0)
    }

    /// Records the stored cover file and the URL it came from.
    pub(crate) async fn set_cover(&self, code: &str, file: &str, source_url: &str) -> Result<bool> {
        self.update(
            "UPDATE resources SET cover_file = $2, cover_source = $3, updated_at = $4 WHERE code = $1",
            code,
            vec![
                Value::Text(file.to_owned()),
                Value::Text(source_url.to_owned()),
            ],
        )
        .await
    }

    /// Forgets the cover (the file is gone).
    pub(crate) async fn clear_cover(&self, code: &str) -> Result<bool> {
        self.update(
            "UPDATE resources SET cover_file = NULL, cover_source = NULL, updated_at = $2 WHERE code = $1",
            code,
            vec![],
        )
        .await
    }

    /// Records a complete video file: its path under the media root and its size.
    pub(crate) async fn set_video(&self, code: &str, file: &str, size: i64) -> Result<bool> {
        self.update(
            "UPDATE resources SET video_file = $2, video_size = $3, video_saved_at = $4, updated_at = $4 WHERE code = $1",
            code,
            vec![Value::Text(file.to_owned()), Value::Int(size)],
        )
        .await
    }

    /// Records many complete videos and translations in one transaction (seeding).
    pub(crate) async fn mark_many(&self, marks: &[BulkMark]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let now = now_ms();
        for mark in marks {
            sqlx::query(
                "UPDATE resources SET video_file = $2, video_size = $3, \
                 video_saved_at = CASE WHEN $2 IS NULL THEN NULL ELSE $4 END, \
                 translation_status = $5, title_translated = $6, updated_at = $4 WHERE code = $1",
            )
            .bind(&mark.code)
            .bind(&mark.video_file)
            .bind(mark.video_size)
            .bind(now - mark.age_ms)
            .bind(mark.translation_status.as_str())
            .bind(&mark.title_translated)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets the video (deleted, or found missing).
    pub(crate) async fn clear_video(&self, code: &str) -> Result<bool> {
        self.update(
            "UPDATE resources SET video_file = NULL, video_size = NULL, video_saved_at = NULL, updated_at = $2 WHERE code = $1",
            code,
            vec![],
        )
        .await
    }

    /// Runs an update whose `$1` is the code, then the given values, then `updated_at`.
    async fn update(&self, text: &'static str, code: &str, values: Vec<Value>) -> Result<bool> {
        let mut query = sqlx::query(text).bind(code.to_owned());
        for value in values {
            query = match value {
                Value::Text(text) => query.bind(text),
                Value::Int(int) => query.bind(int),
            };
        }
        let result = query.bind(now_ms()).execute(self.pool()).await?;
        Ok(result.rows_affected() > 0)
    }

    /// A page of resources (N-H1).
    pub(crate) async fn list_resources(
        &self,
        query: &ResourceQuery,
    ) -> Result<Page<ResourceSummary>> {
        let mut filter = Sql::new(" WHERE 1 = 1");
        if let Some(search) = query.search.as_deref().filter(|s| !s.trim().is_empty()) {
            let pattern = contains_pattern(search);
            filter.push(" AND (lower(code) LIKE ");
            filter.bind(Value::Text(pattern.clone()));
            for column in ["title_source", "title_original", "title_translated"] {
                filter.push(&format!(" ESCAPE '\\' OR lower({column}) LIKE "));
                filter.bind(Value::Text(pattern.clone()));
            }
            filter.push(" ESCAPE '\\')");
        }
        match query.downloaded {
            Some(true) => filter.push(" AND video_file IS NOT NULL"),
            Some(false) => filter.push(" AND video_file IS NULL"),
            None => &mut filter,
        };
        if query.sort == ResourceSort::VideoTime && query.downloaded != Some(true) {
            filter.push(" AND video_file IS NOT NULL");
        }
        if let Some(status) = query.translation_status {
            filter
                .push(" AND translation_status = ")
                .bind(Value::Text(status.as_str().to_owned()));
        }
        if let Some(person) = query.person_id {
            filter
                .push(" AND id IN (SELECT resource_id FROM resource_people WHERE person_id = ")
                .bind(Value::Int(person))
                .push(")");
        }
        if let Some(tag) = query.tag_id {
            filter
                .push(" AND id IN (SELECT resource_id FROM resource_tags WHERE tag_id = ")
                .bind(Value::Int(tag))
                .push(")");
        }
        if let Some(source) = &query.source {
            filter
                .push(" AND source_plugin = ")
                .bind(Value::Text(source.clone()));
        }
        let direction = if query.descending { "DESC" } else { "ASC" };
        let order = match query.sort {
            ResourceSort::Code => format!("code {direction}, id {direction}"),
            ResourceSort::ReleaseDate => {
                let nulls = if query.descending { "LAST" } else { "FIRST" };
                format!("release_date {direction} NULLS {nulls}, id {direction}")
            }
            ResourceSort::AddedAt => format!("created_at {direction}, id {direction}"),
            ResourceSort::VideoTime => format!("video_saved_at {direction}, id {direction}"),
        };
        fetch_page(
            self.pool(),
            &filter,
            (
                "SELECT COUNT(*) FROM resources",
                &format!("SELECT {SUMMARY_COLUMNS} FROM resources"),
            ),
            &order,
            (query.page, query.page_size),
            summary_row,
        )
        .await
    }

    /// Every stored code with its id, in id order (for fix-codes and code backups).
    pub(crate) async fn all_codes(&self) -> Result<Vec<(i64, String)>> {
        Ok(sqlx::query_as("SELECT id, code FROM resources ORDER BY id")
            .fetch_all(self.pool())
            .await?)
    }

    /// Renames a resource's code and moves its file columns to the new name; a code
    /// already taken is a [`StoreError::Conflict`].
    pub(crate) async fn rename_code(
        &self,
        id: i64,
        new_code: &str,
        files: &RenamedFiles,
    ) -> Result<()> {
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM resources WHERE code = $1")
            .bind(new_code)
            .fetch_optional(self.pool())
            .await?;
        if taken.is_some_and(|other| other != id) {
            return Err(StoreError::Conflict(format!("{new_code} already exists")));
        }
        sqlx::query(
            "UPDATE resources SET code = $2, cover_file = $3, video_file = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(new_code)
        .bind(&files.cover_file)
        .bind(&files.video_file)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The file columns of a resource by id.
    pub(crate) async fn resource_files(&self, id: i64) -> Result<RenamedFiles> {
        let row: (Option<String>, Option<String>) =
            sqlx::query_as("SELECT cover_file, video_file FROM resources WHERE id = $1")
                .bind(id)
                .fetch_one(self.pool())
                .await?;
        Ok(RenamedFiles {
            cover_file: row.0,
            video_file: row.1,
        })
    }
}

/// The metadata write of one resource inside a transaction.
async fn upsert(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    write: &ResourceWrite,
    now: i64,
) -> Result<i64> {
    let headers = to_json(&write.stream_headers)?;
    let sources = to_json(&write.field_sources)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO resources (code, title_source, title_original, source_plugin, \
         source_version, page_url, stream_url, stream_headers, release_date, \
         duration_seconds, studio, label, series, description, field_sources, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) \
         ON CONFLICT (code) DO UPDATE SET title_source = excluded.title_source, \
         title_original = excluded.title_original, source_plugin = excluded.source_plugin, \
         source_version = excluded.source_version, page_url = excluded.page_url, \
         stream_url = excluded.stream_url, stream_headers = excluded.stream_headers, \
         release_date = excluded.release_date, duration_seconds = excluded.duration_seconds, \
         studio = excluded.studio, label = excluded.label, series = excluded.series, \
         description = excluded.description, field_sources = excluded.field_sources, \
         updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(&write.code)
    .bind(&write.title_source)
    .bind(&write.title_original)
    .bind(&write.source_plugin)
    .bind(&write.source_version)
    .bind(&write.page_url)
    .bind(&write.stream_url)
    .bind(headers)
    .bind(&write.release_date)
    .bind(write.duration_seconds)
    .bind(&write.studio)
    .bind(&write.label)
    .bind(&write.series)
    .bind(&write.description)
    .bind(sources)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;

    sqlx::query("DELETE FROM resource_people WHERE resource_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let mut seen = Vec::new();
    for person in &write.people {
        let name = person.name.trim();
        if name.is_empty() || seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let person_id: i64 = sqlx::query_scalar(
            "INSERT INTO people (name, alias, page_url, avatar_url, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (name) DO UPDATE SET \
             alias = COALESCE(excluded.alias, people.alias), \
             page_url = COALESCE(excluded.page_url, people.page_url), \
             avatar_url = COALESCE(excluded.avatar_url, people.avatar_url), \
             updated_at = excluded.updated_at \
             RETURNING id",
        )
        .bind(name)
        .bind(&person.alias)
        .bind(&person.page_url)
        .bind(&person.avatar_url)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO resource_people (resource_id, person_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(person_id)
        .bind(seen.len() as i64 - 1)
        .execute(&mut **tx)
        .await?;
    }

    sqlx::query("DELETE FROM resource_tags WHERE resource_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let mut seen_tags: Vec<&str> = Vec::new();
    for tag in &write.tags {
        let tag = tag.trim();
        if tag.is_empty() || seen_tags.contains(&tag) {
            continue;
        }
        seen_tags.push(tag);
        // DO UPDATE (a no-op) rather than DO NOTHING, so RETURNING gives the id.
        let tag_id: i64 = sqlx::query_scalar(
            "INSERT INTO tags (name) VALUES ($1) \
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .bind(tag)
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO resource_tags (resource_id, tag_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(tag_id)
        .bind(seen_tags.len() as i64 - 1)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Video and translation fields set in bulk by [`Store::mark_many`].
#[derive(Debug, Clone)]
pub(crate) struct BulkMark {
    pub(crate) code: String,
    pub(crate) video_file: Option<String>,
    pub(crate) video_size: Option<i64>,
    /// How long ago the video was saved.
    pub(crate) age_ms: i64,
    pub(crate) translation_status: TranslationStatus,
    pub(crate) title_translated: Option<String>,
}

/// A resource's file columns, as they are or as they become after a rename.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RenamedFiles {
    pub(crate) cover_file: Option<String>,
    pub(crate) video_file: Option<String>,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|error| StoreError::Corrupt(error.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt(format!("{what}: {error}")))
}

fn status(text: &str) -> Result<TranslationStatus> {
    text.parse()
        .map_err(|error: super::UnknownTranslationStatus| StoreError::Corrupt(error.to_string()))
}

fn resource_row(row: &AnyRow) -> Result<ResourceRow> {
    let headers: String = row.try_get("stream_headers")?;
    let sources: String = row.try_get("field_sources")?;
    let translation: String = row.try_get("translation_status")?;
    Ok(ResourceRow {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        title_source: row.try_get("title_source")?,
        title_original: row.try_get("title_original")?,
        title_translated: row.try_get("title_translated")?,
        translation_status: status(&translation)?,
        source_plugin: row.try_get("source_plugin")?,
        source_version: row.try_get("source_version")?,
        page_url: row.try_get("page_url")?,
        stream_url: row.try_get("stream_url")?,
        stream_headers: from_json(&headers, "stream_headers")?,
        release_date: row.try_get("release_date")?,
        duration_seconds: row.try_get("duration_seconds")?,
        studio: row.try_get("studio")?,
        label: row.try_get("label")?,
        series: row.try_get("series")?,
        description: row.try_get("description")?,
        cover_file: row.try_get("cover_file")?,
        cover_source: row.try_get("cover_source")?,
        video_file: row.try_get("video_file")?,
        video_size: row.try_get("video_size")?,
        video_saved_at: row.try_get("video_saved_at")?,
        field_sources: from_json(&sources, "field_sources")?,
        translation: super::TranslationProvenance {
            error: row.try_get("translation_error")?,
            profile: row.try_get("translation_profile")?,
            model: row.try_get("translation_model")?,
            cleaner: row.try_get("translation_cleaner")?,
            cleaner_version: row.try_get("translation_cleaner_version")?,
            translated_at: row.try_get("translated_at")?,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn summary_row(row: &AnyRow) -> Result<ResourceSummary> {
    let translation: String = row.try_get("translation_status")?;
    Ok(ResourceSummary {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        title_source: row.try_get("title_source")?,
        title_original: row.try_get("title_original")?,
        title_translated: row.try_get("title_translated")?,
        translation_status: status(&translation)?,
        source_plugin: row.try_get("source_plugin")?,
        release_date: row.try_get("release_date")?,
        duration_seconds: row.try_get("duration_seconds")?,
        has_cover: row.try_get::<i64, _>("has_cover")? != 0,
        has_video: row.try_get::<i64, _>("has_video")? != 0,
        video_size: row.try_get("video_size")?,
        video_saved_at: row.try_get("video_saved_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
