//! User settings (N-H11, JSON values by key) and per-source cookies (N-A4).

use serde_json::{Map, Value};

use super::{Backend, Result, SourceCookie, Store, StoreError, now_ms};

/// The bounds of the user settings.
#[derive(Debug, Clone, Copy)]
pub struct SettingsLimits {
    /// Most keys stored at once.
    pub max_keys: usize,
    /// Longest key, in bytes.
    pub max_key_bytes: usize,
    /// Most bytes of every key and its serialized value together.
    pub max_total_bytes: usize,
}

/// The limits every write of the settings is checked against.
pub const SETTINGS_LIMITS: SettingsLimits = SettingsLimits {
    max_keys: 256,
    max_key_bytes: 128,
    max_total_bytes: 256 * 1024,
};

/// A settings write refused by [`SETTINGS_LIMITS`]; nothing of it was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsLimitError {
    #[error("a setting key must be 1 to {max} bytes long")]
    BadKey { max: usize },
    #[error("the settings would have {count} keys; at most {max} are kept")]
    TooManyKeys { count: usize, max: usize },
    #[error("the settings would take {bytes} bytes; at most {max} are kept")]
    TooLarge { bytes: usize, max: usize },
}

impl SettingsLimits {
    /// Every key of a write: not empty, not longer than the limit.
    pub(crate) fn check_keys<'a>(
        &self,
        keys: impl IntoIterator<Item = &'a String>,
    ) -> std::result::Result<(), SettingsLimitError> {
        match keys
            .into_iter()
            .any(|key| key.is_empty() || key.len() > self.max_key_bytes)
        {
            true => Err(SettingsLimitError::BadKey {
                max: self.max_key_bytes,
            }),
            false => Ok(()),
        }
    }

    /// The whole stored set, as (key, serialized value) rows.
    pub(crate) fn check_total(
        &self,
        rows: &[(String, String)],
    ) -> std::result::Result<(), SettingsLimitError> {
        if rows.len() > self.max_keys {
            return Err(SettingsLimitError::TooManyKeys {
                count: rows.len(),
                max: self.max_keys,
            });
        }
        let bytes: usize = rows
            .iter()
            .map(|(key, value)| key.len() + value.len())
            .sum();
        if bytes > self.max_total_bytes {
            return Err(SettingsLimitError::TooLarge {
                bytes,
                max: self.max_total_bytes,
            });
        }
        Ok(())
    }
}

impl Store {
    /// Every user setting.
    pub(crate) async fn get_settings(&self) -> Result<Map<String, Value>> {
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
    /// A write that would leave the settings over [`SETTINGS_LIMITS`] changes nothing
    /// ([`StoreError::Settings`]).
    pub(crate) async fn put_settings(&self, settings: Map<String, Value>) -> Result<()> {
        SETTINGS_LIMITS.check_keys(settings.keys())?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            // Writers take turns, so the limits hold against concurrent writes (each
            // would otherwise check a total without the others' uncommitted keys).
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))::text")
                .bind("kura-settings")
                .fetch_one(&mut *tx)
                .await?;
        }
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
        // Checked on what the transaction sees, the merge included, before it commits.
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
            .fetch_all(&mut *tx)
            .await?;
        SETTINGS_LIMITS.check_total(&rows)?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores (or replaces) a cookie for a source.
    pub(crate) async fn set_cookie(
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
    pub(crate) async fn all_cookies(&self) -> Result<Vec<(String, SourceCookie)>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SettingsLimits = SettingsLimits {
        max_keys: 2,
        max_key_bytes: 4,
        max_total_bytes: 10,
    };

    fn rows(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn keys_are_bounded() {
        let keys = |list: &[&str]| list.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
        assert_eq!(LIMITS.check_keys(&keys(&["a", "abcd"])), Ok(()));
        for bad in [&[""][..], &["abcde"], &["a", "toolong"]] {
            assert_eq!(
                LIMITS.check_keys(&keys(bad)),
                Err(SettingsLimitError::BadKey { max: 4 }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_stored_set_is_bounded_in_keys_and_bytes() {
        assert_eq!(
            LIMITS.check_total(&rows(&[("a", "1"), ("b", "22")])),
            Ok(())
        );
        assert_eq!(LIMITS.check_total(&rows(&[("ab", "12345678")])), Ok(()));
        assert_eq!(
            LIMITS.check_total(&rows(&[("a", "1"), ("b", "2"), ("c", "3")])),
            Err(SettingsLimitError::TooManyKeys { count: 3, max: 2 })
        );
        assert_eq!(
            LIMITS.check_total(&rows(&[("ab", "123456789")])),
            Err(SettingsLimitError::TooLarge { bytes: 11, max: 10 })
        );
    }
}
