//! Retry policy shared by playlist, key and segment requests: which answers are worth
//! another try, how long to wait (exponential backoff with jitter, or the server's
//! `Retry-After`), and which mean the stream URL has expired.

use std::time::{Duration, SystemTime};

use crate::fetch::FetchError;

/// Longest wait between two tries, whatever the backoff grows to.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Longest `Retry-After` honoured; a server asking for more is waited on this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// What one failed try means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Worth another try, after `retry_after` when the server said so.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The URL is refused as expired or unauthorised (401, 403, 410): ask for a fresh one.
    Expired { status: u16 },
    /// Another try would get the same answer.
    Permanent { reason: String },
}

/// Classifies an HTTP status that is not a success.
pub(crate) fn classify_status(status: u16, retry_after: Option<&str>) -> Failure {
    match status {
        401 | 403 | 410 => Failure::Expired { status },
        // 404 too: CDN edges answer it for a moment while a segment propagates.
        404 | 408 | 425 | 429 | 500..=599 => Failure::Retry {
            reason: format!("HTTP {status}"),
            retry_after: retry_after.and_then(parse_retry_after),
        },
        _ => Failure::Permanent {
            reason: format!("HTTP {status}"),
        },
    }
}

/// Classifies a request that got no answer.
pub(crate) fn classify_fetch_error(error: &FetchError) -> Failure {
    match error {
        FetchError::Timeout | FetchError::Network(_) | FetchError::TooLarge(_) => Failure::Retry {
            reason: error.to_string(),
            retry_after: None,
        },
        FetchError::Denied(_)
        | FetchError::InvalidUrl(_)
        | FetchError::TooManyRedirects
        | FetchError::BudgetExhausted => Failure::Permanent {
            reason: error.to_string(),
        },
    }
}

/// `Retry-After` as seconds or an HTTP date, capped.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The wait before try `attempt + 1` (attempt 0 is the first retry): `base * 2^attempt`
/// capped, of which the upper half is random so that parallel segments spread out.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let full = base
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(MAX_BACKOFF);
    let half = full / 2;
    let random = getrandom::u64().unwrap_or(0);
    let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(random.checked_rem(jitter_nanos.max(1)).unwrap_or(0))
}

/// The wait after `failure` at `attempt`: the server's `Retry-After` when given.
pub(crate) fn delay(failure: &Failure, base: Duration, attempt: u32) -> Duration {
    match failure {
        Failure::Retry {
            retry_after: Some(wait),
            ..
        } => *wait,
        _ => backoff(base, attempt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        for (status, retry_after, expected) in [
            (
                429,
                Some("2"),
                Failure::Retry {
                    reason: "HTTP 429".into(),
                    retry_after: Some(Duration::from_secs(2)),
                },
            ),
            (
                503,
                None,
                Failure::Retry {
                    reason: "HTTP 503".into(),
                    retry_after: None,
                },
            ),
            (403, None, Failure::Expired { status: 403 }),
            (410, None, Failure::Expired { status: 410 }),
            (
                400,
                None,
                Failure::Permanent {
                    reason: "HTTP 400".into(),
                },
            ),
        ] {
            assert_eq!(classify_status(status, retry_after), expected, "{status}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("99999"), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(20));
        let wait = parse_retry_after(&soon).expect("a date");
        assert!(wait > Duration::from_secs(17) && wait <= Duration::from_secs(20));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        for attempt in 0..6 {
            let full = (base * 2u32.pow(attempt)).min(MAX_BACKOFF);
            let wait = backoff(base, attempt);
            assert!(wait >= full / 2 && wait <= full, "{attempt}: {wait:?}");
        }
        assert!(backoff(base, 40) <= MAX_BACKOFF);
        assert_eq!(backoff(Duration::ZERO, 3), Duration::ZERO);
    }
}
