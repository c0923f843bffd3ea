//! `redis:`: the Redis the hosts of one deployment share (event fan-out and signals
//! between hosts), as written and as validated.

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// `redis:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawRedis {
    /// `redis://[user:password@]host[:port][/db]`, `rediss://` (TLS) or `unix://`.
    /// Unset: one host, events delivered inside the process.
    pub(crate) url: Option<String>,
    /// Events kept in Redis, so a client reconnecting to any host replays what it
    /// missed.
    pub(crate) stream_length: usize,
    /// Prefix of every key and channel, so deployments can share one Redis.
    pub(crate) key_prefix: String,
}

impl Default for RawRedis {
    fn default() -> Self {
        Self {
            url: None,
            stream_length: 2048,
            key_prefix: "kura".to_owned(),
        }
    }
}

/// `redis:` validated: present only when a URL is set.
#[derive(Debug, Clone)]
pub(crate) struct RedisConfig {
    /// The connection URL as written (it may hold a password: never log it whole).
    pub(crate) url: String,
    pub(crate) stream_length: usize,
    pub(crate) key_prefix: String,
}

pub(super) fn validate_redis(raw: &RawRedis) -> Result<Option<RedisConfig>, ConfigError> {
    let Some(url) = &raw.url else {
        return Ok(None);
    };
    let parsed = url::Url::parse(url).map_err(|error| invalid("redis.url", error.to_string()))?;
    if !matches!(parsed.scheme(), "redis" | "rediss" | "unix" | "redis+unix") {
        return Err(invalid(
            "redis.url",
            "scheme must be redis, rediss, unix or redis+unix",
        ));
    }
    if !(16..=1_000_000).contains(&raw.stream_length) {
        return Err(invalid(
            "redis.stream_length",
            "must be between 16 and 1000000",
        ));
    }
    let prefix_ok = !raw.key_prefix.is_empty()
        && raw
            .key_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if !prefix_ok {
        return Err(invalid(
            "redis.key_prefix",
            "must be letters, digits, '-', '_', '.' or ':'",
        ));
    }
    Ok(Some(RedisConfig {
        url: url.clone(),
        stream_length: raw.stream_length,
        key_prefix: raw.key_prefix.clone(),
    }))
}
