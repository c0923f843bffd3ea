//! Title translation: a resource's translation status and what made its translated
//! title (profile, model, cleaner), and the cache of the LLM's raw answers.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::bind::{Sql, Value};
use super::{Result, Store, StoreError, TranslationStatus, now_ms};

/// What a translation reads of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TranslationSource {
    pub(crate) code: String,
    pub(crate) title_source: Option<String>,
    pub(crate) title_original: Option<String>,
    pub(crate) status: TranslationStatus,
}

impl TranslationSource {
    /// The text to translate: the source title, else the original title; trimmed, and
    /// empty when there is neither.
    pub(crate) fn text(&self) -> &str {
        [&self.title_source, &self.title_original]
            .into_iter()
            .flatten()
            .map(|title| title.trim())
            .find(|title| !title.is_empty())
            .unwrap_or_default()
    }
}

/// A resource's translation as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TranslationInfo {
    pub(crate) code: String,
    pub status: TranslationStatus,
    pub title_translated: Option<String>,
    /// Why the last attempt failed (kept while a retry is pending).
    pub error: Option<String>,
    /// The translator profile and model that made the title.
    pub profile: Option<String>,
    pub model: Option<String>,
    /// The cleaner plugin that cleaned the LLM's answer, and its version.
    pub cleaner: Option<String>,
    pub cleaner_version: Option<String>,
    /// When the title was translated or skipped (unix milliseconds).
    pub(crate) translated_at: Option<i64>,
}

/// A completed translation to record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TranslationRecord<'a> {
    pub(crate) title: &'a str,
    pub(crate) profile: &'a str,
    pub(crate) model: &'a str,
    pub(crate) cleaner: &'a str,
    pub(crate) cleaner_version: &'a str,
}

const SOURCE_COLUMNS: &str = "code, title_source, title_original, translation_status";

impl Store {
    /// The titles and status of one resource, or None.
    pub(crate) async fn translation_source(&self, code: &str) -> Result<Option<TranslationSource>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SOURCE_COLUMNS} FROM resources WHERE code = $1"
        )))
        .bind(code)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(source_row).transpose()
    }

    /// The titles and status of every resource in one of `statuses` (all when None),
    /// by code.
    pub(crate) async fn translation_sources(
        &self,
        statuses: Option<&[TranslationStatus]>,
    ) -> Result<Vec<TranslationSource>> {
        let mut sql = Sql::new(&format!("SELECT {SOURCE_COLUMNS} FROM resources"));
        if let Some(statuses) = statuses {
            if statuses.is_empty() {
                return Ok(Vec::new());
            }
            sql.push(" WHERE translation_status IN (");
            for (index, status) in statuses.iter().enumerate() {
                if index > 0 {
                    sql.push(", ");
                }
                sql.bind(Value::Text(status.as_str().to_owned()));
            }
            sql.push(")");
        }
        sql.push(" ORDER BY code");
        sql.query()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(source_row)
            .collect()
    }

    /// A resource's translation as recorded, or None.
    pub async fn translation_info(&self, code: &str) -> Result<Option<TranslationInfo>> {
        let row = sqlx::query(
            "SELECT code, translation_status, title_translated, translation_error, \
             translation_profile, translation_model, translation_cleaner, \
             translation_cleaner_version, translated_at FROM resources WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(TranslationInfo {
            code: row.try_get("code")?,
            status: status(&row)?,
            title_translated: row.try_get("title_translated")?,
            error: row.try_get("translation_error")?,
            profile: row.try_get("translation_profile")?,
            model: row.try_get("translation_model")?,
            cleaner: row.try_get("translation_cleaner")?,
            cleaner_version: row.try_get("translation_cleaner_version")?,
            translated_at: row.try_get("translated_at")?,
        }))
    }

    /// Marks a translation under way (`translating`); the previous error is cleared.
    pub(crate) async fn start_translation(&self, code: &str) -> Result<bool> {
        self.translation_update(
            "translation_status = 'translating', translation_error = NULL",
            code,
            Vec::new(),
        )
        .await
    }

    /// Records a completed translation with what made it.
    pub(crate) async fn finish_translation(
        &self,
        code: &str,
        record: &TranslationRecord<'_>,
    ) -> Result<bool> {
        let values = [
            record.title,
            record.profile,
            record.model,
            record.cleaner,
            record.cleaner_version,
        ]
        .map(|text| Value::Text(text.to_owned()));
        self.translation_update(
            "translation_status = 'completed', translation_error = NULL, title_translated = $3, \
             translation_profile = $4, translation_model = $5, translation_cleaner = $6, \
             translation_cleaner_version = $7, translated_at = $2",
            code,
            values.into(),
        )
        .await
    }

    /// Records that the title needs no translation (empty, or already in the target
    /// language): `skipped`, with no translated title.
    pub(crate) async fn skip_translation(&self, code: &str) -> Result<bool> {
        self.translation_update(
            "translation_status = 'skipped', translation_error = NULL, title_translated = NULL, \
             translation_profile = NULL, translation_model = NULL, translation_cleaner = NULL, \
             translation_cleaner_version = NULL, translated_at = $2",
            code,
            Vec::new(),
        )
        .await
    }

    /// Records a failed attempt: `failed`, or `pending` when it will be tried again; the
    /// reason is kept either way, and so is an earlier translated title.
    pub(crate) async fn fail_translation(
        &self,
        code: &str,
        status: TranslationStatus,
        reason: &str,
    ) -> Result<bool> {
        if !matches!(
            status,
            TranslationStatus::Failed | TranslationStatus::Pending
        ) {
            return Err(StoreError::Conflict(format!(
                "a failed translation is failed or pending, not {status}"
            )));
        }
        self.translation_update(
            "translation_status = $3, translation_error = $4",
            code,
            vec![
                Value::Text(status.as_str().to_owned()),
                Value::Text(reason.to_owned()),
            ],
        )
        .await
    }

    /// Puts a translation that was stopped midway (a cancelled task) back to `pending`;
    /// one in any other state is left alone.
    pub(crate) async fn release_translation(&self, code: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE resources SET translation_status = 'pending', updated_at = $2 \
             WHERE code = $1 AND translation_status = 'translating'",
        )
        .bind(code)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        self.library_changed();
        Ok(done.rows_affected() > 0)
    }

    /// How many resources are in each translation status (statuses with none left out).
    pub(crate) async fn translation_counts(&self) -> Result<Vec<(TranslationStatus, u64)>> {
        sqlx::query(
            "SELECT translation_status, COUNT(*) AS n FROM resources \
             GROUP BY translation_status ORDER BY translation_status",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| {
            let count: i64 = row.try_get("n")?;
            Ok((status(row)?, count.max(0) as u64))
        })
        .collect()
    }

    /// The cached raw answer for a prompt (by its hash) about `source_text`.
    pub(crate) async fn cached_answer(
        &self,
        prompt_hash: &str,
        source_text: &str,
    ) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT answer_raw FROM translation_cache WHERE prompt_hash = $1 AND source_text = $2",
        )
        .bind(prompt_hash)
        .bind(source_text)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(answer,)| answer))
    }

    /// Keeps a raw answer, replacing an older one for the same prompt and text.
    pub(crate) async fn cache_answer(
        &self,
        prompt_hash: &str,
        source_text: &str,
        model: &str,
        answer_raw: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO translation_cache (prompt_hash, source_text, model, answer_raw, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (prompt_hash, source_text) DO UPDATE SET \
             model = excluded.model, answer_raw = excluded.answer_raw, created_at = excluded.created_at",
        )
        .bind(prompt_hash)
        .bind(source_text)
        .bind(model)
        .bind(answer_raw)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Drops a cached answer (one the cleaner could make nothing of).
    pub(crate) async fn forget_answer(&self, prompt_hash: &str, source_text: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM translation_cache WHERE prompt_hash = $1 AND source_text = $2",
        )
        .bind(prompt_hash)
        .bind(source_text)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// `UPDATE resources SET {set}, updated_at = $2 WHERE code = $1`, with `values`
    /// bound from `$3` on.
    async fn translation_update(&self, set: &str, code: &str, values: Vec<Value>) -> Result<bool> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE resources SET {set}, updated_at = $2 WHERE code = $1"
        )))
        .bind(code.to_owned())
        .bind(now_ms());
        for value in values {
            query = value.bind_query(query);
        }
        let changed = query.execute(self.pool()).await?.rows_affected() > 0;
        self.library_changed();
        Ok(changed)
    }
}

fn status(row: &AnyRow) -> Result<TranslationStatus> {
    let text: String = row.try_get("translation_status")?;
    text.parse()
        .map_err(|error: super::UnknownTranslationStatus| StoreError::Corrupt(error.to_string()))
}

fn source_row(row: &AnyRow) -> Result<TranslationSource> {
    Ok(TranslationSource {
        code: row.try_get("code")?,
        title_source: row.try_get("title_source")?,
        title_original: row.try_get("title_original")?,
        status: status(row)?,
    })
}
