//! Request guards: the `Host` allowlist (DNS rebinding), the `Origin` check on
//! state-changing requests and WebSocket upgrades (cross-site WebSocket hijacking), and
//! the bearer token required when the server is reachable from other machines (on `/ws/`
//! also as `?token=`, since browsers cannot set headers on a WebSocket; from the web UI
//! as its session cookie, [`super::session`]). `/healthz`, the UI's own files (`/`,
//! `/ui/*`) and `/api/session` are always open: they hold no library data, and the UI
//! must load to show its login page.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ErrorCode};
use super::secrets::{random_secret, read_secret, write_private};
use crate::config::ServerConfig;

/// What the guards check against.
#[derive(Clone)]
pub(crate) struct Guard {
    inner: Arc<GuardInner>,
}

struct GuardInner {
    allowed_hosts: Vec<String>,
    cors_origins: Vec<String>,
    /// SHA-256 of the token, when a token is required.
    token_hash: Option<[u8; 32]>,
    /// Signs the web UI's session cookies, when a token is required.
    session: Option<super::session::SessionKey>,
    /// The session cookie is sent over HTTPS only.
    secure_cookie: bool,
}

/// Where the token lives under the data directory.
const TOKEN_FILE: &str = "api-token";
const TOKEN_HASH_FILE: &str = "api-token.sha256";

impl Guard {
    /// Builds the guard; when a token is required and none exists yet, generates one,
    /// writes it once to `<data_dir>/api-token` (0600) and keeps only its hash.
    pub(crate) fn new(config: &ServerConfig, data_dir: &Path) -> std::io::Result<Self> {
        let (token_hash, session) = if config.require_token {
            let hash = load_or_create_token(data_dir)?;
            (
                Some(hash),
                Some(super::session::SessionKey::load_or_create(data_dir, hash)?),
            )
        } else {
            (None, None)
        };
        let mut allowed_hosts = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "[::1]".to_owned(),
        ];
        allowed_hosts.extend(config.allowed_hosts.iter().cloned());
        if !config.listen.ip().is_unspecified() {
            allowed_hosts.push(host_text(config.listen.ip()));
        }
        Ok(Self {
            inner: Arc::new(GuardInner {
                allowed_hosts,
                cors_origins: config.cors_origins.clone(),
                token_hash,
                session,
                secure_cookie: config.secure_cookie,
            }),
        })
    }

    /// The attributes every session cookie carries (`Secure` when configured).
    pub(crate) fn cookie_attributes(&self) -> &'static str {
        if self.inner.secure_cookie {
            "; Path=/; HttpOnly; SameSite=Strict; Secure"
        } else {
            "; Path=/; HttpOnly; SameSite=Strict"
        }
    }

    /// Whether the request's authority is one this server answers to: the URI's (HTTP/2
    /// `:authority`, or an HTTP/1 request in absolute form) and the `Host` header, each
    /// checked when present, and at least one present.
    fn host_allowed(&self, request: &Request) -> bool {
        let from_uri = request.uri().authority().map(|a| a.as_str());
        let from_header = match request.headers().get(header::HOST) {
            None => None,
            Some(value) => match value.to_str() {
                Ok(text) => Some(text),
                Err(_) => return false,
            },
        };
        if from_uri.is_none() && from_header.is_none() {
            return false;
        }
        [from_uri, from_header]
            .into_iter()
            .flatten()
            .all(|authority| self.name_allowed(authority))
    }

    fn name_allowed(&self, authority: &str) -> bool {
        let name = strip_port(authority.trim()).to_ascii_lowercase();
        self.inner.allowed_hosts.contains(&name)
    }

    /// A configured CORS origin, or the request's own origin: the page was served by this
    /// server under the same Host (a page on another port of the same host is another
    /// origin, and may not drive this API or open its WebSocket).
    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        if self.inner.cors_origins.iter().any(|o| o == origin) {
            return true;
        }
        let (Ok(url), Some(host)) = (url::Url::parse(origin), host) else {
            return false;
        };
        let Some(name) = url.host_str() else {
            return false;
        };
        let authority = match url.port() {
            Some(port) => format!("{name}:{port}"),
            None => name.to_owned(),
        };
        authority.eq_ignore_ascii_case(host.trim())
    }

    /// Whether requests need the token (or a session).
    pub(super) fn token_required(&self) -> bool {
        self.inner.token_hash.is_some()
    }

    /// The key of session cookies, when a token is required.
    pub(super) fn session_key(&self) -> Option<&super::session::SessionKey> {
        self.inner.session.as_ref()
    }

    /// Whether `token` is this server's token (false when none is required).
    pub(super) fn token_matches(&self, token: &str) -> bool {
        self.inner
            .token_hash
            .as_ref()
            .is_some_and(|expected| constant_time_eq(&sha256(token.as_bytes()), expected))
    }

    /// Whether a request with these headers gets in: no token required, the bearer
    /// token, or a valid session cookie.
    pub(super) fn request_signed_in(&self, headers: &HeaderMap) -> bool {
        self.admits(headers, &axum::http::Uri::from_static("/")) != Admission::Refused
    }

    /// How a request gets past the token check, if it does.
    fn admits(&self, headers: &HeaderMap, uri: &axum::http::Uri) -> Admission {
        if self.inner.token_hash.is_none() {
            return Admission::Open;
        }
        if self.token_ok(headers, uri) {
            return Admission::Token;
        }
        let now = super::session::now_s();
        let session = self.inner.session.as_ref().is_some_and(|key| {
            super::session::cookie_values(headers).any(|value| key.accepts(value, now))
        });
        if session {
            Admission::Session
        } else {
            Admission::Refused
        }
    }

    fn token_ok(&self, headers: &HeaderMap, uri: &axum::http::Uri) -> bool {
        let Some(expected) = &self.inner.token_hash else {
            return true;
        };
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|v| std::borrow::Cow::Borrowed(v.trim()))
            .or_else(|| query_token(uri));
        match presented {
            Some(token) => constant_time_eq(&sha256(token.as_bytes()), expected),
            None => false,
        }
    }
}

/// The middleware: Host first (cheapest, and it defeats rebinding), then Origin on
/// state-changing methods, then the token.
pub(super) async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    if !guard.host_allowed(&request) {
        return ApiError::new(
            ErrorCode::ForbiddenHost,
            "this server does not answer to that Host",
        )
        .into_response();
    }
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let headers = request.headers();
    let is_upgrade = headers.contains_key(header::UPGRADE);
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if (changes_state || is_upgrade)
        && let Some(origin) = origin
        && !guard.origin_allowed(origin, request_authority(&request))
    {
        return ApiError::new(
            ErrorCode::ForbiddenOrigin,
            "requests from that origin are not allowed",
        )
        .into_response();
    }
    if !open_path(request.uri().path()) {
        match guard.admits(headers, request.uri()) {
            Admission::Refused => {
                return ApiError::new(ErrorCode::Unauthorized, "a valid bearer token is required")
                    .into_response();
            }
            // A browser sends its cookie whatever page made the request, including a
            // page of another port of this host (the same site): a change through the
            // cookie alone must come from a page of this server, by its own word.
            Admission::Session if (changes_state || is_upgrade) && !from_own_page(headers) => {
                return ApiError::new(
                    ErrorCode::ForbiddenOrigin,
                    "a change through the session cookie must come from this server's pages",
                )
                .into_response();
            }
            Admission::Open | Admission::Token | Admission::Session => {}
        }
    }
    next.run(request).await
}

/// How a request passed the token check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    /// No token is required.
    Open,
    /// The bearer token (or `?token=` on `/ws/`).
    Token,
    /// The web UI's session cookie.
    Session,
    Refused,
}

/// Whether the browser says the request comes from a page of this server: an `Origin`
/// (already checked against this server above when present), or `Sec-Fetch-Site:
/// same-origin`.
fn from_own_page(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ORIGIN)
        || headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"same-origin")
}

/// Paths served without the token: liveness and readiness, the UI's files, and the session routes the
/// UI signs in with.
fn open_path(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/" | "/api/session") || path.starts_with("/ui/")
}

/// The authority the client addressed: the URI's (HTTP/2), else the `Host` header.
fn request_authority(request: &Request) -> Option<&str> {
    request
        .uri()
        .authority()
        .map(|authority| authority.as_str())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
        })
}

/// The CORS layer for the configured origins, if any.
pub(super) fn cors(config: &ServerConfig) -> Option<tower_http::cors::CorsLayer> {
    if config.cors_origins.is_empty() {
        return None;
    }
    let origins: Vec<_> = config
        .cors_origins
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
    )
}

/// Headers every answer carries, errors and `/healthz` included: no MIME sniffing, and
/// no page may frame this server's (clickjacking).
pub(super) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let policy = match headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
    {
        Some(policy) if policy.contains("frame-ancestors") => None,
        Some(policy) => HeaderValue::from_str(&format!("{policy}; {FRAME_ANCESTORS}")).ok(),
        None => Some(HeaderValue::from_static(FRAME_ANCESTORS)),
    };
    if let Some(policy) = policy {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// The frame-ancestors directive of every answer.
const FRAME_ANCESTORS: &str = "frame-ancestors 'none'";

/// `?token=` on `/ws/` paths only: elsewhere a token in the URL would end up in
/// browser history and referrers for no reason.
fn query_token(uri: &axum::http::Uri) -> Option<std::borrow::Cow<'_, str>> {
    if !uri.path().starts_with("/ws/") {
        return None;
    }
    url::form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value)
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

fn host_text(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn load_or_create_token(data_dir: &Path) -> std::io::Result<[u8; 32]> {
    let hash_path = data_dir.join(TOKEN_HASH_FILE);
    if let Some(hash) = read_secret(&hash_path) {
        return Ok(hash);
    }
    let token = hex::encode(random_secret()?);
    let token_path = data_dir.join(TOKEN_FILE);
    write_private(&token_path, format!("{token}\n").as_bytes())?;
    let hash = sha256(token.as_bytes());
    write_private(&hash_path, hex::encode(hash).as_bytes())?;
    tracing::warn!(file = %token_path.display(), "generated the API token; read it from this file, then delete the file");
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard {
            inner: Arc::new(GuardInner {
                allowed_hosts: vec!["localhost".to_owned(), "[::1]".to_owned()],
                cors_origins: Vec::new(),
                token_hash: None,
                session: None,
                secure_cookie: false,
            }),
        }
    }

    fn request(uri: &str, host: Option<&str>) -> Request {
        let mut builder = axum::http::Request::builder().uri(uri);
        if let Some(host) = host {
            builder = builder.header(header::HOST, host);
        }
        builder
            .body(axum::body::Body::empty())
            .expect("valid request")
    }

    #[test]
    fn the_uri_authority_and_the_host_header_are_both_checked() {
        let guard = guard();
        for (uri, host, allowed) in [
            ("/api", Some("localhost:8380"), true),
            ("/api", Some("evil.test"), false),
            ("/api", None, false),
            ("http://localhost:8380/api", None, true),
            ("http://[::1]:8380/api", None, true),
            ("http://evil.test/api", None, false),
            ("http://localhost:8380/api", Some("localhost:8380"), true),
            ("http://localhost:8380/api", Some("evil.test"), false),
            ("http://evil.test/api", Some("localhost"), false),
        ] {
            assert_eq!(
                guard.host_allowed(&request(uri, host)),
                allowed,
                "{uri} {host:?}"
            );
        }
    }

    #[test]
    fn ports_are_stripped() {
        for (host, name) in [
            ("localhost:8380", "localhost"),
            ("127.0.0.1", "127.0.0.1"),
            ("[::1]:80", "[::1]"),
            ("evil.test:80", "evil.test"),
        ] {
            assert_eq!(strip_port(host), name);
        }
    }
}
