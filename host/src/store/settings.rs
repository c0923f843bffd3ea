//! User settings (N-H11, JSON values by key) and per-source cookies (N-A4).

use serde_json::{Map, Value};

use super::{Result, SourceCookie, Store, StoreError, now_ms};

impl Store {
    /// Every user setting.
    pub async fn get_settings(&self) -> Result<Map<String, Value>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT key, value FROM settings ORDER BY key")
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|(key, text)| {
                let value = serde_json::from_str(&text)
                    .map_err(|error| StoreError::Corrupt(format!("setting `{key}`: {error}")))?;
                Ok((key, value))
            })
            .collect()
    }

    /// Merges settings in one transaction: each key is set; a `null` value removes it.
    pub async fn put_settings(&self, settings: Map<String, Value>) -> Result<()> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        for (key, value) in settings {
            if value.is_null() {
                sqlx::query("DELETE FROM settings WHERE key = $1")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                continue;
            }
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(value.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores (or replaces) a cookie for a source.
    pub async fn set_cookie(
        &self,
        source: &str,
        name: &str,
        value: &str,
        url: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO source_cookies (source, name, value, url, updated_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (source, name) DO UPDATE SET value = excluded.value, \
             url = excluded.url, updated_at = excluded.updated_at",
        )
        .bind(source)
        .bind(name)
        .bind(value)
        .bind(url)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every stored cookie, as (source, cookie), to fill the sources' jars at start-up.
    pub async fn all_cookies(&self) -> Result<Vec<(String, SourceCookie)>> {
        let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT source, name, value, url FROM source_cookies ORDER BY source, name",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(source, name, value, url)| (source, SourceCookie { name, value, url }))
            .collect())
    }
}
