//! Resources: reads, field setters, deletion and code renames (the batched writes are in
//! `resource_write.rs`, the list in `resource_list.rs`).

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::bind::{Sql, Value};
use super::{
    Backend, ResourceDetail, ResourceRow, Result, Store, StoreError, TranslationStatus, now_ms,
    to_json,
};

const RESOURCE_COLUMNS: &str = "id, code, title_source, title_original, title_translated, \
     translation_status, source_plugin, source_version, page_url, stream_url, stream_headers, \
     release_date, duration_seconds, studio, label, series, description, cover_file, \
     cover_source, video_file, video_size, video_saved_at, video_tracks, field_sources, translation_error, \
     translation_profile, translation_model, translation_cleaner, translation_cleaner_version, \
     translated_at, created_at, updated_at";

impl Store {
    /// A resource with its people and tags, or None: one query, the people and tags as
    /// JSON arrays beside the row.
    pub(crate) async fn get_resource(&self, code: &str) -> Result<Option<ResourceDetail>> {
        let (people, tags) = match self.backend() {
            Backend::Sqlite => (
                "(SELECT json_group_array(json_object('id', p.id, 'name', p.name, \
                 'alias', p.alias, 'avatar_file', p.avatar_file, 'avatar_url', p.avatar_url, \
                 'page_url', p.page_url, 'created_at', p.created_at, \
                 'updated_at', p.updated_at) ORDER BY rp.position) \
                 FROM resource_people rp JOIN people p ON p.id = rp.person_id \
                 WHERE rp.resource_id = resources.id)",
                "(SELECT json_group_array(json_object('id', t.id, 'name', t.name) \
                 ORDER BY rt.position) FROM resource_tags rt JOIN tags t ON t.id = rt.tag_id \
                 WHERE rt.resource_id = resources.id)",
            ),
            Backend::Postgres => (
                "(SELECT CAST(json_agg(json_build_object('id', p.id, 'name', p.name, \
                 'alias', p.alias, 'avatar_file', p.avatar_file, 'avatar_url', p.avatar_url, \
                 'page_url', p.page_url, 'created_at', p.created_at, \
                 'updated_at', p.updated_at) ORDER BY rp.position) AS TEXT) \
                 FROM resource_people rp JOIN people p ON p.id = rp.person_id \
                 WHERE rp.resource_id = resources.id)",
                "(SELECT CAST(json_agg(json_build_object('id', t.id, 'name', t.name) \
                 ORDER BY rt.position) AS TEXT) FROM resource_tags rt \
                 JOIN tags t ON t.id = rt.tag_id WHERE rt.resource_id = resources.id)",
            ),
        };
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {RESOURCE_COLUMNS}, {people} AS people_json, {tags} AS tags_json \
             FROM resources WHERE code = $1"
        )))
        .bind(code)
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(ResourceDetail {
            resource: resource_row(&row)?,
            people: json_list(row.try_get("people_json")?, "people")?,
            tags: json_list(row.try_get("tags_json")?, "tags")?,
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
        self.library_changed();
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
        let changed = sql.query().execute(self.pool()).await?.rows_affected() > 0;
        self.library_changed();
        Ok(changed)
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

    /// The tracks recorded beside a resource's video (none when it has none, or when
    /// there is no such resource).
    pub(crate) async fn video_tracks(&self, code: &str) -> Result<Vec<super::VideoTrack>> {
        let text: Option<Option<String>> =
            sqlx::query_scalar("SELECT video_tracks FROM resources WHERE code = $1")
                .bind(code)
                .fetch_optional(self.pool())
                .await?;
        json_list(text.flatten(), "video_tracks")
    }

    /// Records a downloaded video with the tracks saved beside it.
    pub(crate) async fn record_video(
        &self,
        code: &str,
        file: &str,
        size: i64,
        tracks: &[super::VideoTrack],
    ) -> Result<bool> {
        let tracks = if tracks.is_empty() {
            None
        } else {
            Some(to_json(&tracks)?)
        };
        self.update(
            "UPDATE resources SET video_file = $2, video_size = $3, video_tracks = $4, video_saved_at = $5, updated_at = $5 WHERE code = $1",
            code,
            vec![
                Value::Text(file.to_owned()),
                Value::Int(size),
                Value::OptText(tracks),
            ],
        )
        .await
    }

    /// Forgets the video (deleted, or found missing) and its tracks.
    pub(crate) async fn clear_video(&self, code: &str) -> Result<bool> {
        self.update(
            "UPDATE resources SET video_file = NULL, video_size = NULL, video_saved_at = NULL, video_tracks = NULL, updated_at = $2 WHERE code = $1",
            code,
            vec![],
        )
        .await
    }

    /// Runs an update whose `$1` is the code, then the given values, then `updated_at`.
    async fn update(&self, text: &'static str, code: &str, values: Vec<Value>) -> Result<bool> {
        let mut query = sqlx::query(text).bind(code.to_owned());
        for value in values {
            query = value.bind_query(query);
        }
        let result = query.bind(now_ms()).execute(self.pool()).await?;
        self.library_changed();
        Ok(result.rows_affected() > 0)
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
        self.library_changed();
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

/// A resource's file columns, as they are or as they become after a rename.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RenamedFiles {
    pub(crate) cover_file: Option<String>,
    pub(crate) video_file: Option<String>,
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt(format!("{what}: {error}")))
}

/// A JSON array aggregated by the database (NULL or `[]` when empty).
fn json_list<T: serde::de::DeserializeOwned>(text: Option<String>, what: &str) -> Result<Vec<T>> {
    match text.as_deref() {
        None | Some("") => Ok(Vec::new()),
        Some(text) => from_json(text, what),
    }
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
        video_tracks: json_list(row.try_get("video_tracks")?, "video_tracks")?,
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
