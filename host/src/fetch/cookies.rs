//! A caller's cookie jar: cookies answers set are kept and sent back to matching URLs,
//! never shared with another caller.

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, HeaderValue};
use url::Url;

/// One plugin's cookies. Cloning shares the jar.
#[derive(Clone, Default)]
pub(crate) struct CookieJar {
    jar: Arc<Jar>,
}

impl std::fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Cookie values are secrets: never print them.
        f.write_str("CookieJar(..)")
    }
}

impl CookieJar {
    /// The `Cookie` header to send to `url`, if any cookie matches.
    pub(crate) fn header_for(&self, url: &Url) -> Option<HeaderValue> {
        self.jar.cookies(url)
    }

    /// Stores the `Set-Cookie` headers of an answer from `url`.
    pub(crate) fn store_from(&self, url: &Url, headers: &HeaderMap) {
        let mut values = headers.get_all(reqwest::header::SET_COOKIE).iter();
        self.jar.set_cookies(&mut values, url);
    }

    /// The `name=value` pairs that would be sent to `url`.
    pub(crate) fn pairs_for(&self, url: &Url) -> Vec<(String, String)> {
        let Some(header) = self.header_for(url) else {
            return Vec::new();
        };
        let Ok(text) = header.to_str() else {
            return Vec::new();
        };
        text.split(';')
            .filter_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                Some((name.to_owned(), value.to_owned()))
            })
            .collect()
    }

    /// Adds a cookie scoped to `url`'s host and path.
    pub(crate) fn set(&self, name: &str, value: &str, url: &Url) -> bool {
        if name.is_empty() || name.contains(['=', ';', ' ']) || value.contains([';', '\n', '\r']) {
            return false;
        }
        self.jar.add_cookie_str(&format!("{name}={value}"), url);
        true
    }
}
