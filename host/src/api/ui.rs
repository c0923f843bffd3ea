//! The web UI's files: `/` is its page and `/ui/*` its modules, styles and icons, from
//! the binary ([`kura_web`]) or, when `server.web_dir` names a folder, from that folder
//! first (for editing the UI without a rebuild).
//!
//! Every answer has a strong ETag and `Cache-Control: no-cache`: a browser asks again on
//! each load and gets a 304 while the file is unchanged, so a new binary never leaves a
//! stale module behind. The page carries a Content-Security-Policy that allows only this
//! server's scripts and the page's own import map (by its hash).

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use sha2::Digest as _;
use tower_http::services::ServeFile;

use super::AppState;
use super::error::ApiError;

/// Adds `GET /` and `GET /ui/{*path}`. They are not in the OpenAPI document: they are
/// the UI's files, not the API.
pub(super) fn add_routes(router: Router<AppState>) -> Router<AppState> {
    router.route("/", get(page)).route("/ui/{*path}", get(file))
}

async fn page(State(state): State<AppState>, request: Request) -> Response {
    state.ui.serve("index.html", request).await
}

async fn file(
    State(state): State<AppState>,
    axum::extract::Path(path): axum::extract::Path<String>,
    request: Request,
) -> Response {
    state.ui.serve(&path, request).await
}

/// Where the UI's files come from.
#[derive(Clone)]
pub(crate) struct UiFiles {
    /// `server.web_dir`, read before the embedded files.
    dir: Option<PathBuf>,
}

impl UiFiles {
    /// The embedded files, behind `dir` when given.
    pub(crate) fn new(dir: Option<&Path>) -> Self {
        Self {
            dir: dir.map(Path::to_path_buf),
        }
    }

    async fn serve(&self, path: &str, request: Request) -> Response {
        let Some(path) = clean(path) else {
            return ApiError::not_found("no such file").into_response();
        };
        if let Some(dir) = &self.dir
            && let Some(file) = in_folder(dir, &path).await
        {
            let response = tower::ServiceExt::oneshot(ServeFile::new(&file), request).await;
            let mut response = match response {
                Ok(response) => response.map(axum::body::Body::new),
                Err(error) => match error {},
            };
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            if path == "index.html" {
                // The policy needs the page's bytes; a page being edited is small.
                if let Ok(bytes) = tokio::fs::read(&file).await {
                    add_page_policy(headers, &bytes);
                }
            }
            return response;
        }
        match kura_web::get(&path) {
            Some(asset) => embedded(&path, asset, request.headers()),
            None => ApiError::not_found("no such file").into_response(),
        }
    }
}

/// The regular file `path` names inside `dir`, when it is one and stays inside once
/// symbolic links are resolved: the folder is served without a token.
async fn in_folder(dir: &Path, path: &str) -> Option<PathBuf> {
    let root = tokio::fs::canonicalize(dir).await.ok()?;
    let file = tokio::fs::canonicalize(root.join(path)).await.ok()?;
    let is_file = tokio::fs::metadata(&file).await.is_ok_and(|m| m.is_file());
    (is_file && file.starts_with(&root)).then_some(file)
}

/// An embedded file, or a 304 when the browser holds the same one.
fn embedded(path: &str, asset: kura_web::Asset, request: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", asset.tag);
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // Embedded bytes are borrowed for the program's life: no copy per answer.
        let body = match &asset.bytes {
            std::borrow::Cow::Borrowed(bytes) => axum::body::Bytes::from_static(bytes),
            std::borrow::Cow::Owned(bytes) => axum::body::Bytes::copy_from_slice(bytes),
        };
        let mut response = body.into_response();
        if let Ok(value) = HeaderValue::from_str(&asset.content_type) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if path == "index.html" {
        add_page_policy(headers, &asset.bytes);
    }
    response
}

/// A relative path of plain names (no `..`, no hidden files, no drive or root), ending
/// in an extension the UI uses.
fn clean(path: &str) -> Option<String> {
    let path = path.trim_start_matches('/');
    let plain = !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && !part.contains(['\\', ':'])
                && std::path::Path::new(part)
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
        });
    let extension = path.rsplit_once('.').map(|(_, e)| e);
    let served = extension.is_some_and(|e| UI_EXTENSIONS.contains(&e));
    (plain && served).then(|| path.to_owned())
}

/// The kinds of file a UI is made of; nothing else under the folder is served.
const UI_EXTENSIONS: &[&str] = &[
    "html", "js", "mjs", "css", "svg", "png", "jpg", "webp", "ico", "json", "woff2", "map",
];

/// The page's Content-Security-Policy: scripts from this server and the inline import
/// map by its SHA-256; styles, images, media and connections from this server only.
fn add_page_policy(headers: &mut HeaderMap, page: &[u8]) {
    let mut scripts = String::from("'self'");
    for inline in inline_scripts(&String::from_utf8_lossy(page)) {
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(inline));
        scripts.push_str(&format!(" 'sha256-{hash}'"));
    }
    let policy = format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; \
         img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The text of each inline `<script>` (one without `src`) of a page.
fn inline_scripts(page: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            found.push(&body[..close]);
        }
        rest = &body[close..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_folder_are_refused() {
        assert_eq!(clean("app.js").as_deref(), Some("app.js"));
        assert_eq!(
            clean("/pages/library.js").as_deref(),
            Some("pages/library.js")
        );
        for bad in [
            "",
            "../secret.js",
            "a/../../b.js",
            "a//b.js",
            "./a.js",
            "a\\..\\b.js",
            ".env",
            "a/.hidden.js",
            "C:/x.js",
            "kura.db",
            "api-token",
            "ui-session.key",
        ] {
            assert_eq!(clean(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_policy_allows_the_import_map_by_its_hash_only() {
        let page = "<script type=\"importmap\">{\"imports\":{}}</script>\n<script type=\"module\" src=\"/ui/app.js\"></script>";
        assert_eq!(inline_scripts(page), vec!["{\"imports\":{}}"]);
        let mut headers = HeaderMap::new();
        add_page_policy(&mut headers, page.as_bytes());
        let policy = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("text");
        let hash = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest("{\"imports\":{}}"));
        assert!(
            policy.contains(&format!("script-src 'self' 'sha256-{hash}';")),
            "{policy}"
        );
        assert!(!policy.contains("unsafe-eval"));
    }
}
