//! The plugin's cookie jar (the host sends and stores cookies on every fetch by itself).

use crate::wit::kura::plugin::cookies as wit_cookies;

pub use wit_cookies::Cookie;

/// The cookies the jar would send to `url`, as name/value pairs.
pub fn get(url: &str) -> Vec<(String, String)> {
    #[cfg(target_arch = "wasm32")]
    {
        wit_cookies::get(url)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::testing::host::cookies(url)
    }
}

/// The value of one cookie the jar would send to `url`.
pub fn value(url: &str, name: &str) -> Option<String> {
    get(url)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Stores a cookie scoped to `url`'s host and path; `false` when the URL is invalid.
pub fn set(name: &str, value: &str, url: &str) -> bool {
    let cookie = Cookie {
        name: name.to_string(),
        value: value.to_string(),
        url: url.to_string(),
    };
    #[cfg(target_arch = "wasm32")]
    {
        wit_cookies::set(&cookie)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::testing::host::set_cookie(&cookie)
    }
}
