//! URL helpers over the `url` crate: resolving relative links and encoding query values.

use url::Url;

/// Resolves `href` against `base` (`/v/1` on `http://a.test/x/y` → `http://a.test/v/1`);
/// `None` when either is unusable. An absolute `href` is returned normalised.
pub fn join(base: &str, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let joined = match Url::parse(base) {
        Ok(base) => base.join(href).ok()?,
        Err(_) => Url::parse(href).ok()?,
    };
    Some(joined.to_string())
}

/// Percent-encodes a value for a query string (`a b&c` → `a+b%26c`).
pub fn encode_query_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_relative_and_absolute_links() {
        let base = "http://127.0.0.1:8399/alpha/search?q=x";
        assert_eq!(
            join(base, "/alpha/v/DEMO-001").as_deref(),
            Some("http://127.0.0.1:8399/alpha/v/DEMO-001")
        );
        assert_eq!(
            join(base, "v/1").as_deref(),
            Some("http://127.0.0.1:8399/alpha/v/1")
        );
        assert_eq!(
            join(base, "https://cdn.test/a.jpg").as_deref(),
            Some("https://cdn.test/a.jpg")
        );
        assert_eq!(join("not a url", "/x"), None);
        assert_eq!(join(base, "  "), None);
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode_query_value("DEMO-001"), "DEMO-001");
        assert_eq!(encode_query_value("a b&c=é"), "a+b%26c%3D%C3%A9");
    }
}
