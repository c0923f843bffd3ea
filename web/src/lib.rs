//! The web UI's files (`web/assets`), embedded in the binary: what `/` and `/ui/*` serve
//! when `server.web_dir` does not name a folder to serve instead.
//!
//! A separate crate so that an edit to the UI rebuilds this small crate and relinks the
//! server, without recompiling the server's own code.

use std::borrow::Cow;

use rust_embed::Embed;

#[derive(Embed)]
#[folder = "assets/"]
#[exclude = "*/VENDOR.md"]
#[exclude = "*/LICENSE-*"]
struct Assets;

/// One embedded file.
pub struct Asset {
    /// The file's bytes.
    pub bytes: Cow<'static, [u8]>,
    /// Its media type, from its extension.
    pub content_type: String,
    /// The first 16 bytes of its SHA-256 in hex: a strong ETag's value.
    pub tag: String,
}

/// The file at `path` under `web/assets` (`app.js`, `vendor/preact.mjs`), if any.
pub fn get(path: &str) -> Option<Asset> {
    let file = Assets::get(path)?;
    let hash = file.metadata.sha256_hash();
    let tag = hash[..16]
        .iter()
        .fold(String::with_capacity(32), |mut tag, byte| {
            use std::fmt::Write as _;
            let _ = write!(tag, "{byte:02x}");
            tag
        });
    let content_type = match file.metadata.mimetype() {
        // JavaScript modules must be served as JavaScript; `.mjs` is not in every table.
        _ if path.ends_with(".mjs") || path.ends_with(".js") => "text/javascript; charset=utf-8",
        "text/html" => "text/html; charset=utf-8",
        "text/css" => "text/css; charset=utf-8",
        other => other,
    }
    .to_owned();
    Some(Asset {
        bytes: file.data,
        content_type,
        tag,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_the_vendored_modules_are_embedded_with_their_types() {
        let page = get("index.html").expect("index.html is embedded");
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        assert!(String::from_utf8_lossy(&page.bytes).contains("importmap"));
        for module in ["vendor/preact.mjs", "vendor/hooks.mjs", "vendor/htm.mjs"] {
            let asset = get(module).unwrap_or_else(|| panic!("{module} is embedded"));
            assert_eq!(asset.content_type, "text/javascript; charset=utf-8");
            assert_eq!(asset.tag.len(), 32);
        }
        assert!(get("vendor/VENDOR.md").is_none(), "notes are not served");
        assert!(get("missing.js").is_none());
    }
}
