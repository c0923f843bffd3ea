//! Browser sessions for the web UI when a token is required: `POST /api/session` trades
//! the token for an `HttpOnly`, `SameSite=Strict` cookie the guard accepts in its place,
//! so pages, covers, videos and the WebSocket work without the token in any URL.
//!
//! The cookie is `{expiry}.{mac}`: its expiry (Unix seconds) and an HMAC-SHA256 of it
//! and of the token's hash, under a random key kept in `<data_dir>/ui-session.key`
//! (0600). Nothing is stored per session, so sessions survive restarts; a new token or a
//! new key (delete the file) ends all of them. A request let in by the cookie alone may
//! change state only from this server's own pages (the guard checks `Origin`).

use std::path::Path;
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::extract::ApiJson;
use super::secrets::{random_secret, read_secret, write_private};

/// The cookie's name.
pub(super) const COOKIE: &str = "kura_session";
/// How long a session lasts.
const LIFETIME_S: u64 = 30 * 24 * 3600;
/// Where the signing key lives under the data directory.
const KEY_FILE: &str = "ui-session.key";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Signs and checks session cookies.
#[derive(Clone)]
pub(crate) struct SessionKey {
    key: [u8; 32],
    /// The hash of the token the sessions stand in for: a new token ends them.
    token_hash: [u8; 32],
}

impl SessionKey {
    /// The key in `<data_dir>/ui-session.key`, made (random) when missing or malformed,
    /// for sessions of the token whose hash is `token_hash`.
    pub(super) fn load_or_create(data_dir: &Path, token_hash: [u8; 32]) -> std::io::Result<Self> {
        let path = data_dir.join(KEY_FILE);
        let key = match read_secret(&path) {
            Some(key) => key,
            None => {
                let key = random_secret()?;
                write_private(&path, hex::encode(key).as_bytes())?;
                key
            }
        };
        Ok(Self { key, token_hash })
    }

    fn mac(&self, expiry: u64) -> HmacSha256 {
        // A 32-byte key always fits HMAC; `new_from_slice` errs only on lengths it rejects.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"kura-ui-session:");
        mac.update(&self.token_hash);
        mac.update(expiry.to_string().as_bytes());
        mac
    }

    /// A cookie value valid until `now + LIFETIME_S`.
    fn issue(&self, now: u64) -> String {
        let expiry = now + LIFETIME_S;
        let tag = self.mac(expiry).finalize().into_bytes();
        format!("{expiry}.{}", hex::encode(tag))
    }

    /// Whether `value` is a cookie this key issued that has not expired at `now`.
    pub(super) fn accepts(&self, value: &str, now: u64) -> bool {
        let Some((expiry, tag)) = value.split_once('.') else {
            return false;
        };
        let Ok(expiry) = expiry.parse::<u64>() else {
            return false;
        };
        let Ok(tag) = hex::decode(tag) else {
            return false;
        };
        // `verify_slice` compares in constant time.
        expiry > now && self.mac(expiry).verify_slice(&tag).is_ok()
    }
}

/// The values of the session cookies in a request: another site on this host may set
/// one of the same name, so each is tried.
pub(super) fn cookie_values(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

/// Seconds since the Unix epoch.
pub(super) fn now_s() -> u64 {
    crate::util::unix_ms(SystemTime::now()) / 1000
}

/// `GET /api/session`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct SessionState {
    /// Whether this server asks for the token (`server.require_token`).
    token_required: bool,
    /// Whether this request is allowed in: a valid session cookie or bearer token, or no
    /// token required.
    signed_in: bool,
}

/// `GET /api/session`: whether a token is required and whether this browser is in. Open
/// without a token, so the UI can decide to show its login page.
#[utoipa::path(get, path = "/api/session", tag = "session", responses((status = 200, description = "Whether a token is required and this request is signed in", body = SessionState)))]
pub(super) async fn state(State(state): State<AppState>, headers: HeaderMap) -> Json<SessionState> {
    Json(SessionState {
        token_required: state.guard.token_required(),
        signed_in: state.guard.request_signed_in(&headers),
    })
}

/// The body of `POST /api/session`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SignIn {
    /// The API token (`<data_dir>/api-token` when it was generated).
    token: String,
}

/// `POST /api/session`: the token in the body; a valid one sets the session cookie (204).
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = SignIn, responses((status = 204, description = "Signed in: `Set-Cookie: kura_session=…; HttpOnly; SameSite=Strict`"), (status = 401, body = super::error::ErrorBody)))]
pub(super) async fn sign_in(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let Some(key) = state.guard.session_key() else {
        // No token is required: there is nothing to sign in to, and every request is in.
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    if !state.guard.token_matches(body.token.trim()) {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "the token is not this server's",
        ));
    }
    let cookie = format!(
        "{COOKIE}={}; Max-Age={LIFETIME_S}{}",
        key.issue(now_s()),
        state.guard.cookie_attributes()
    );
    Ok(set_cookie(cookie))
}

/// `DELETE /api/session`: clears the cookie (204).
#[utoipa::path(delete, path = "/api/session", tag = "session", responses((status = 204, description = "Signed out: the cookie is cleared")))]
pub(super) async fn sign_out(State(state): State<AppState>) -> Response {
    set_cookie(format!(
        "{COOKIE}=; Max-Age=0{}",
        state.guard.cookie_attributes()
    ))
}

fn set_cookie(cookie: String) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_accepted_until_it_expires_and_never_when_altered() {
        let key = SessionKey {
            key: [7; 32],
            token_hash: [1; 32],
        };
        let other = SessionKey {
            key: [8; 32],
            token_hash: [1; 32],
        };
        let new_token = SessionKey {
            key: [7; 32],
            token_hash: [2; 32],
        };
        let value = key.issue(1_000);
        assert!(key.accepts(&value, 1_000));
        assert!(key.accepts(&value, 1_000 + LIFETIME_S - 1));
        assert!(!key.accepts(&value, 1_000 + LIFETIME_S), "expired");
        assert!(!other.accepts(&value, 1_000), "another key's");
        assert!(!new_token.accepts(&value, 1_000), "the token changed");
        let (expiry, tag) = value.split_once('.').expect("expiry.tag");
        let later = format!("{}.{tag}", expiry.parse::<u64>().expect("a number") + 1);
        assert!(!key.accepts(&later, 1_000), "a moved expiry");
        for broken in ["", ".", "x.y", "123", &format!("{expiry}.00")] {
            assert!(!key.accepts(broken, 1_000), "{broken:?}");
        }
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; kura_session=5.ab; b=2; kura_session=6.cd"),
        );
        assert_eq!(
            cookie_values(&headers).collect::<Vec<_>>(),
            ["5.ab", "6.cd"]
        );
        assert_eq!(cookie_values(&HeaderMap::new()).count(), 0);
    }

    #[test]
    fn the_key_is_kept_across_restarts() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let first = SessionKey::load_or_create(dir.path(), [1; 32]).expect("made");
        let again = SessionKey::load_or_create(dir.path(), [1; 32]).expect("read");
        assert_eq!(first.key, again.key);
    }
}
