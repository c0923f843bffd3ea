//! Request headers: the browser-like defaults every request carries, and the sanitising
//! of headers a caller supplies (the host owns Host, Cookie, framing and hop-by-hop ones).

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::config::FetchConfig;

/// Headers a caller may not set.
const RESERVED: &[&str] = &[
    "host",
    "cookie",
    "content-length",
    "connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "keep-alive",
    "expect",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-real-ip",
];

/// The default headers of a request, before the caller's.
pub(super) fn defaults(config: &FetchConfig) -> HeaderMap {
    let mut map = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&config.user_agent) {
        map.insert(header::USER_AGENT, value);
    }
    map.insert(
        header::ACCEPT,
        HeaderValue::from_static(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
        ),
    );
    if let Ok(value) = HeaderValue::from_str(&config.accept_language) {
        map.insert(header::ACCEPT_LANGUAGE, value);
    }
    map
}

/// The caller's headers minus reserved and malformed ones.
pub(super) fn sanitize(pairs: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let lower = name.to_ascii_lowercase();
        if RESERVED.contains(&lower.as_str()) || lower.starts_with("proxy-") {
            tracing::debug!(header = %lower, "dropped reserved request header");
            continue;
        }
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(lower.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            tracing::debug!(header = %lower, "dropped malformed request header");
            continue;
        };
        map.append(name, value);
    }
    map
}

/// Removes credentials before a request follows a redirect to another origin.
pub(super) fn drop_credentials(map: &mut HeaderMap) {
    map.remove(header::AUTHORIZATION);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_headers_are_dropped() {
        let pairs: Vec<(String, String)> = [
            ("Host", "evil.test"),
            ("Cookie", "a=1"),
            ("Proxy-Authorization", "x"),
            ("Content-Length", "5"),
            ("Referer", "http://a/"),
            ("bad header", "x"),
            ("X-Ok", "bad\nvalue"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        let map = sanitize(&pairs);
        assert_eq!(map.len(), 1);
        assert_eq!(
            map.get("referer").map(|v| v.as_bytes()),
            Some(&b"http://a/"[..])
        );
    }
}
