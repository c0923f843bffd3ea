//! Stream routes (`/stream/...`): playlists, segments, init segment, key, the plain `full` file, and the byte-range
//! form (`ranges.m3u8` over `all.ts`/`all.mp4`), with site protection.
//!
//! `?site=alpha` requires `Referer: {base}/alpha/v/{CODE}`, `?site=beta` an issued `beta_session` cookie;
//! without `site=` nothing is checked.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_TYPE, COOKIE, REFERER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;

use crate::catalog::{self, Site, StreamKind, VARIANTS};
use crate::pages::beta::SESSION_COOKIE;
use crate::pages::not_found_page;
use crate::server::SharedState;
use crate::{hls, ranges};

const PLAYLIST: &str = "application/vnd.apple.mpegurl";

/// The `?site=` of stream requests.
#[derive(Debug, Deserialize)]
pub(crate) struct SiteQuery {
    site: Option<String>,
}

/// `GET /stream/{CODE}/master.m3u8`.
pub(crate) async fn master(
    State(state): State<SharedState>,
    Path(code): Path<String>,
    Query(query): Query<SiteQuery>,
    headers: HeaderMap,
) -> Response {
    match authorize(&state, &code, &query, &headers) {
        Ok((n, site)) => {
            ([(CONTENT_TYPE, PLAYLIST)], hls::master_playlist(n, site)).into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /stream/{CODE}/key.bin`: the 16-byte AES-128 key; 404 for unencrypted streams.
pub(crate) async fn key(
    State(state): State<SharedState>,
    Path(code): Path<String>,
    Query(query): Query<SiteQuery>,
    headers: HeaderMap,
) -> Response {
    match authorize(&state, &code, &query, &headers) {
        Ok((n, _)) if catalog::stream_kind(n) == StreamKind::TsAes128 => {
            octets(catalog::aes_key(n).to_vec())
        }
        Ok(_) => not_found_page(&format!("{code}/key.bin")),
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /stream/{CODE}/{variant}/{file}`: `index.m3u8`, `seg{i}.ts|m4s`, `init.mp4`, `full`, `ranges.m3u8` or
/// `all.ts|mp4`.
pub(crate) async fn variant_file(
    State(state): State<SharedState>,
    Path((code, variant, file)): Path<(String, String, String)>,
    Query(query): Query<SiteQuery>,
    headers: HeaderMap,
) -> Response {
    let (n, site) = match authorize(&state, &code, &query, &headers) {
        Ok(found) => found,
        Err(refusal) => return refusal.into_response(),
    };
    let missing = || not_found_page(&format!("{code}/{variant}/{file}"));
    let Some(variant) = variant
        .parse::<usize>()
        .ok()
        .filter(|&variant| variant < VARIANTS.len())
    else {
        return missing();
    };
    let kind = catalog::stream_kind(n);
    let n_segments = state.segment_count(n);
    match file.as_str() {
        "index.m3u8" => (
            [(CONTENT_TYPE, PLAYLIST)],
            hls::media_playlist(n, variant, site, n_segments),
        )
            .into_response(),
        "full" => full(state, n, variant, n_segments),
        "ranges.m3u8" => {
            let init = catalog::init_segment(n, variant).map(|init| init.len());
            let lengths: Vec<usize> = (0..n_segments)
                .map(|index| state.segment(n, variant, index, true).len())
                .collect();
            (
                [(CONTENT_TYPE, PLAYLIST)],
                hls::byte_range_playlist(n, variant, site, init, &lengths),
            )
                .into_response()
        }
        name if name == hls::single_file_name(kind) => {
            let mut body = catalog::init_segment(n, variant).unwrap_or_default();
            for index in 0..n_segments {
                body.extend_from_slice(&state.segment(n, variant, index, true));
            }
            ranges::answer(&headers, content_type(kind), Bytes::from(body))
        }
        // An ad: another code's first segment, so a download that kept it differs from `full`.
        name if catalog::has_ad_breaks(n) && hls::ad_index(name).is_some() => (
            [(CONTENT_TYPE, "video/mp2t")],
            state.segment(1, variant, 0, true),
        )
            .into_response(),
        "init.mp4" => match catalog::init_segment(n, variant) {
            Some(init) => ([(CONTENT_TYPE, "video/mp4")], init).into_response(),
            None => missing(),
        },
        _ => match segment_index(&file, kind).filter(|&index| index < n_segments) {
            Some(index) => {
                let content_type = match kind {
                    StreamKind::Ts | StreamKind::TsAes128 => "video/mp2t",
                    StreamKind::Fmp4 => "video/iso.segment",
                };
                (
                    [(CONTENT_TYPE, content_type)],
                    state.segment(n, variant, index, true),
                )
                    .into_response()
            }
            None => missing(),
        },
    }
}

/// The media type of the single file (`all.ts`, `all.mp4`).
fn content_type(kind: StreamKind) -> &'static str {
    match kind {
        StreamKind::Ts | StreamKind::TsAes128 => "video/mp2t",
        StreamKind::Fmp4 => "video/mp4",
    }
}

/// The index of `seg{i}.{ext}` when `ext` is the stream's segment extension.
fn segment_index(file: &str, kind: StreamKind) -> Option<usize> {
    let stem = file
        .strip_suffix(kind.segment_extension())?
        .strip_suffix('.')?;
    let digits = stem.strip_prefix("seg")?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `full`: the init segment and every segment, decrypted, generated one segment at a time as the body is sent
/// (a long stream is hundreds of megabytes), so it has no `Content-Length`.
fn full(state: SharedState, n: u32, variant: usize, n_segments: usize) -> Response {
    let init = catalog::init_segment(n, variant).map(Bytes::from);
    let segments =
        stream::iter(0..n_segments).map(move |index| state.segment(n, variant, index, false));
    let chunks = stream::iter(init).chain(segments).map(Ok::<_, Infallible>);
    (
        [(CONTENT_TYPE, "application/octet-stream")],
        Body::from_stream(chunks),
    )
        .into_response()
}

fn octets(bytes: Vec<u8>) -> Response {
    ([(CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
}

/// Why a stream request is refused.
#[derive(Debug)]
enum Refusal {
    /// Unknown code, or not on the requested site: 404.
    NotFound(String),
    /// `site=` names no site: 400.
    UnknownSite(String),
    /// Missing `Referer` or session cookie: 403.
    Forbidden,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::NotFound(code) => not_found_page(&code),
            Refusal::UnknownSite(site) => {
                (StatusCode::BAD_REQUEST, format!("unknown site {site:?}\n")).into_response()
            }
            Refusal::Forbidden => (StatusCode::FORBIDDEN, "forbidden\n").into_response(),
        }
    }
}

/// The code's number and site when the request may have the stream.
fn authorize(
    state: &SharedState,
    code: &str,
    query: &SiteQuery,
    headers: &HeaderMap,
) -> Result<(u32, Option<Site>), Refusal> {
    let Some(n) = catalog::parse_code(code).filter(|&n| catalog::is_known(n)) else {
        return Err(Refusal::NotFound(code.to_owned()));
    };
    let Some(site_name) = query.site.as_deref() else {
        return Ok((n, None));
    };
    let Some(site) = Site::parse(site_name) else {
        return Err(Refusal::UnknownSite(site_name.to_owned()));
    };
    if !catalog::on_site(site, n) {
        return Err(Refusal::NotFound(code.to_owned()));
    }
    let allowed = match site {
        Site::Alpha => {
            let expected = format!("{}/alpha/v/{}", state.base_url(headers), catalog::code(n));
            headers.get(REFERER).and_then(|value| value.to_str().ok()) == Some(expected.as_str())
        }
        Site::Beta => session_cookie(headers).is_some_and(|token| state.session_is_valid(token)),
    };
    if allowed {
        Ok((n, Some(site)))
    } else {
        Err(Refusal::Forbidden)
    }
}

/// The `beta_session` value among the request's cookies.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names() {
        for (file, kind, expected) in [
            ("seg0.ts", StreamKind::Ts, Some(0)),
            ("seg12.ts", StreamKind::TsAes128, Some(12)),
            ("seg3.m4s", StreamKind::Fmp4, Some(3)),
            ("seg3.ts", StreamKind::Fmp4, None),
            ("seg.ts", StreamKind::Ts, None),
            ("seg+1.ts", StreamKind::Ts, None),
            ("segment0.ts", StreamKind::Ts, None),
            ("seg0ts", StreamKind::Ts, None),
        ] {
            assert_eq!(segment_index(file, kind), expected, "{file}");
        }
    }

    #[test]
    fn finds_the_session_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            "a=1; beta_session=abc; b=2".parse().expect("valid header"),
        );
        assert_eq!(session_cookie(&headers), Some("abc"));
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }
}
