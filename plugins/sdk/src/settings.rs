//! The plugin's settings: its section of the host's config.
//!
//! The host already falls back to the manifest's `default` for a key the operator left unset.

use crate::Error;

/// One value, or `None` when unset and without a default.
pub fn get(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        crate::wit::kura::plugin::settings::get(key)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::testing::host::setting(key)
    }
}

/// Every key and value.
pub fn all() -> Vec<(String, String)> {
    #[cfg(target_arch = "wasm32")]
    {
        crate::wit::kura::plugin::settings::all()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::testing::host::settings()
    }
}

/// A value that must be set and non-empty; `invalid-input` otherwise.
pub fn require(key: &str) -> Result<String, Error> {
    match get(key) {
        Some(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(Error::invalid_input(format!("setting `{key}` is not set"))),
    }
}

/// The `domain` setting without a trailing slash (`http://127.0.0.1:8399/alpha`).
pub fn domain() -> Result<String, Error> {
    Ok(require("domain")?.trim().trim_end_matches('/').to_string())
}
