//! A tiny HLS server for the download tests that need behaviour the fixture site does
//! not have: segments that answer 429 once, 404 forever, 403 once a token rotates, or
//! never (cancelling the download when asked), and byte ranges.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

/// How the server behaves.
#[derive(Default)]
pub(super) struct Behaviour {
    /// Segments answering 429 with `Retry-After: 1` on their first request.
    pub too_many_once: HashSet<usize>,
    /// Segments answering 404 always.
    pub missing: HashSet<usize>,
    /// After this many segments served, the token rotates: old URLs answer 403.
    pub expire_after: Option<usize>,
    /// Segments from this index on never answer, and cancel `cancel_on_hang`.
    pub hang_from: Option<usize>,
    pub cancel_on_hang: Option<CancellationToken>,
    /// Segment URLs listed instead of the server's own.
    pub segment_urls: HashMap<usize, String>,
    /// Whether `all.bin` honours `Range` (else it answers 200 with everything).
    pub honour_ranges: bool,
}

/// The running server's shared state.
pub(super) struct TestServer {
    pub segments: Vec<Vec<u8>>,
    pub behaviour: Behaviour,
    /// Valid token: playlists and segments with another answer 403.
    pub token: AtomicU32,
    pub served: AtomicUsize,
    /// Turns `hang_from` off (for a resumed run).
    pub hang_enabled: AtomicBool,
    /// Request times per segment index.
    pub requests: Mutex<HashMap<usize, Vec<Instant>>>,
    pub base_url: String,
}

/// Segment `index`'s bytes: distinct per index, sizes varying.
pub(super) fn segment(index: usize) -> Vec<u8> {
    (0..20_000 + index * 997)
        .map(|j| (index * 31 + j * 7 % 251) as u8)
        .collect()
}

impl TestServer {
    /// Serves `n_segments` segments with `behaviour` on 127.0.0.1, port picked.
    pub async fn start(n_segments: usize, behaviour: Behaviour) -> Arc<TestServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = Arc::new(TestServer {
            segments: (0..n_segments).map(segment).collect(),
            behaviour,
            token: AtomicU32::new(1),
            served: AtomicUsize::new(0),
            hang_enabled: AtomicBool::new(true),
            requests: Mutex::new(HashMap::new()),
            base_url: format!("http://{addr}"),
        });
        let app = Router::new()
            .route("/pl.m3u8", get(playlist))
            .route("/ranges.m3u8", get(ranges_playlist))
            .route("/s/{index}", get(serve_segment))
            .route("/all.bin", get(all))
            .with_state(server.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        server
    }

    /// The playlist URL with the current token.
    pub fn playlist_url(&self) -> String {
        format!(
            "{}/pl.m3u8?token={}",
            self.base_url,
            self.token.load(Ordering::SeqCst)
        )
    }

    /// Every segment joined: what a download must produce.
    pub fn joined(&self) -> Vec<u8> {
        self.segments.concat()
    }

    pub fn request_times(&self, index: usize) -> Vec<Instant> {
        self.requests
            .lock()
            .expect("lock")
            .get(&index)
            .cloned()
            .unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<u32>,
}

fn token_ok(server: &TestServer, query: &TokenQuery) -> bool {
    query.token == Some(server.token.load(Ordering::SeqCst))
}

async fn playlist(
    State(server): State<Arc<TestServer>>,
    Query(query): Query<TokenQuery>,
) -> Response {
    if !token_ok(&server, &query) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let token = server.token.load(Ordering::SeqCst);
    let mut text = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n");
    for index in 0..server.segments.len() {
        let uri = server
            .behaviour
            .segment_urls
            .get(&index)
            .cloned()
            .unwrap_or_else(|| format!("s/{index}?token={token}"));
        text.push_str(&format!("#EXTINF:4.0,\n{uri}\n"));
    }
    text.push_str("#EXT-X-ENDLIST\n");
    text.into_response()
}

/// Segment 0 is an init section, the others byte ranges of `all.bin`; the second
/// segment's range has no offset (it follows the first).
async fn ranges_playlist(State(server): State<Arc<TestServer>>) -> Response {
    let mut text = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n");
    let mut offset = 0;
    for (index, bytes) in server.segments.iter().enumerate() {
        let length = bytes.len();
        if index == 0 {
            text.push_str(&format!(
                "#EXT-X-MAP:URI=\"all.bin\",BYTERANGE=\"{length}@0\"\n"
            ));
        } else if index == 2 {
            text.push_str(&format!("#EXT-X-BYTERANGE:{length}\n#EXTINF:4,\nall.bin\n"));
        } else {
            text.push_str(&format!(
                "#EXT-X-BYTERANGE:{length}@{offset}\n#EXTINF:4,\nall.bin\n"
            ));
        }
        offset += length;
    }
    text.push_str("#EXT-X-ENDLIST\n");
    text.into_response()
}

async fn serve_segment(
    State(server): State<Arc<TestServer>>,
    Path(index): Path<usize>,
    Query(query): Query<TokenQuery>,
) -> Response {
    let first_request = {
        let mut requests = server.requests.lock().expect("lock");
        let times = requests.entry(index).or_default();
        times.push(Instant::now());
        times.len() == 1
    };
    let behaviour = &server.behaviour;
    if let Some(from) = behaviour.hang_from
        && index >= from
        && server.hang_enabled.load(Ordering::SeqCst)
    {
        if let Some(cancel) = &behaviour.cancel_on_hang {
            cancel.cancel();
        }
        std::future::pending::<()>().await;
    }
    if !token_ok(&server, &query) {
        return StatusCode::FORBIDDEN.into_response();
    }
    if behaviour.missing.contains(&index) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if first_request && behaviour.too_many_once.contains(&index) {
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response();
    }
    let Some(bytes) = server.segments.get(index) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let served = server.served.fetch_add(1, Ordering::SeqCst) + 1;
    if behaviour.expire_after == Some(served) {
        server.token.fetch_add(1, Ordering::SeqCst);
    }
    bytes.clone().into_response()
}

/// Every segment in one resource, with `Range: bytes=A-B` honoured when configured.
async fn all(State(server): State<Arc<TestServer>>, headers: HeaderMap) -> Response {
    let body = server.joined();
    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("bytes="))
        .and_then(|value| value.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)));
    match range {
        Some((start, end)) if server.behaviour.honour_ranges && end < body.len() => (
            StatusCode::PARTIAL_CONTENT,
            [(
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{}", body.len()),
            )],
            body[start..=end].to_vec(),
        )
            .into_response(),
        _ => body.into_response(),
    }
}
