//! A minimal cookie jar for test sessions: cookies keyed by host, path and expiry ignored.

use url::Url;

/// Cookies by (host, name).
#[derive(Debug, Default)]
pub(crate) struct Jar {
    cookies: Vec<(String, String, String)>,
}

impl Jar {
    /// The `name=value` pairs for `url`'s host.
    pub(crate) fn get(&self, url: &str) -> Vec<(String, String)> {
        let Some(host) = host_of(url) else {
            return Vec::new();
        };
        self.cookies
            .iter()
            .filter(|(cookie_host, _, _)| *cookie_host == host)
            .map(|(_, name, value)| (name.clone(), value.clone()))
            .collect()
    }

    /// Stores one cookie; `false` when the URL has no host.
    pub(crate) fn set(&mut self, url: &str, name: &str, value: &str) -> bool {
        let Some(host) = host_of(url) else {
            return false;
        };
        self.cookies
            .retain(|(cookie_host, cookie_name, _)| !(*cookie_host == host && cookie_name == name));
        self.cookies
            .push((host, name.to_string(), value.to_string()));
        true
    }

    /// Stores the cookies of every `Set-Cookie` header in an answer from `url`.
    pub(crate) fn store_from(&mut self, url: &str, headers: &[(String, String)]) {
        for (key, value) in headers {
            if !key.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.set(url, name.trim(), value.trim());
            }
        }
    }

    /// The `Cookie` header value for `url`, if any cookie matches.
    pub(crate) fn header(&self, url: &str) -> Option<String> {
        let pairs = self.get(url);
        (!pairs.is_empty()).then(|| {
            pairs
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

fn host_of(url: &str) -> Option<String> {
    Url::parse(url).ok()?.host_str().map(str::to_string)
}
