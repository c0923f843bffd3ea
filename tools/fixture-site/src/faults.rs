//! Misbehaving routes (`/fault/...`) and `/echo`, for the host's HTTP error handling.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::prng::SplitMix64;
use crate::server::SharedState;

/// The longest `/fault/slow` wait, in milliseconds.
const MAX_SLOW_MS: u64 = 600_000;
/// The chunk `/fault/big` repeats.
const BIG_CHUNK: usize = 64 * 1024;

/// Query of `/fault/slow`.
#[derive(Debug, Deserialize)]
pub(crate) struct SlowQuery {
    ms: Option<u64>,
}

/// `GET /fault/slow?ms=N`: answers 200 after N ms (default 1000, at most 600000).
pub(crate) async fn slow(
    State(state): State<SharedState>,
    Query(query): Query<SlowQuery>,
) -> Response {
    let ms = query.ms.unwrap_or(1000).min(MAX_SLOW_MS);
    tokio::select! {
        () = tokio::time::sleep(Duration::from_millis(ms)) => format!("slept {ms} ms\n").into_response(),
        () = state.shutdown.cancelled() => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// `/fault/status/{code}`: answers with that status (200 to 599; 400 otherwise).
pub(crate) async fn status(Path(code): Path<String>) -> Response {
    match code
        .parse::<u16>()
        .ok()
        .filter(|code| (200..=599).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
    {
        Some(status) => (status, format!("status {}\n", status.as_u16())).into_response(),
        None => (StatusCode::BAD_REQUEST, format!("not a status: {code}\n")).into_response(),
    }
}

/// Query of `/fault/429`.
#[derive(Debug, Deserialize)]
pub(crate) struct RetryQuery {
    retry_after: Option<u64>,
}

/// `/fault/429?retry_after=S`: 429 with `Retry-After: S` (default 1).
pub(crate) async fn too_many_requests(Query(query): Query<RetryQuery>) -> Response {
    let seconds = query.retry_after.unwrap_or(1);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(RETRY_AFTER, seconds.to_string())],
        "too many requests\n",
    )
        .into_response()
}

/// `GET /fault/truncated`: promises 1000 bytes, sends 100, then drops the connection.
pub(crate) async fn truncated() -> Response {
    let body = stream::iter([Ok(Bytes::from(vec![b'x'; 100]))]).chain(stream::once(async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "truncated on purpose",
        ))
    }));
    (
        [
            (CONTENT_LENGTH, "1000"),
            (CONTENT_TYPE, "application/octet-stream"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// `GET /fault/reset`: sends the headers (chunked body), then aborts the connection.
pub(crate) async fn reset() -> Response {
    let body = stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err::<Bytes, _>(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "reset on purpose",
        ))
    });
    (
        [(CONTENT_TYPE, "application/octet-stream")],
        Body::from_stream(body),
    )
        .into_response()
}

/// `GET /fault/stall`: sends the headers, then nothing until the server shuts down.
pub(crate) async fn stall(State(state): State<SharedState>) -> Response {
    (
        [(CONTENT_TYPE, "application/octet-stream")],
        Body::from_stream(until_shutdown(state.shutdown.clone())),
    )
        .into_response()
}

fn until_shutdown(shutdown: CancellationToken) -> impl Stream<Item = Result<Bytes, io::Error>> {
    stream::once(async move {
        shutdown.cancelled().await;
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "server shutting down",
        ))
    })
}

/// Query of `/fault/redirect-loop`.
#[derive(Debug, Deserialize)]
pub(crate) struct LoopQuery {
    n: Option<u64>,
}

/// `/fault/redirect-loop?n=K`: 302 to `/fault/redirect-loop?n=K+1`, forever.
pub(crate) async fn redirect_loop(Query(query): Query<LoopQuery>) -> Response {
    let next = query.n.unwrap_or(0).saturating_add(1);
    (
        StatusCode::FOUND,
        [(LOCATION, format!("/fault/redirect-loop?n={next}"))],
    )
        .into_response()
}

/// Query of `/fault/redirect`.
#[derive(Debug, Deserialize)]
pub(crate) struct RedirectQuery {
    to: Option<String>,
}

/// `/fault/redirect?to=URL`: 302 to any URL; 400 without `to`.
pub(crate) async fn redirect(Query(query): Query<RedirectQuery>) -> Response {
    match query.to {
        Some(to) if !to.is_empty() => match axum::http::HeaderValue::try_from(to) {
            Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
            Err(_) => (StatusCode::BAD_REQUEST, "invalid redirect target\n").into_response(),
        },
        _ => (StatusCode::BAD_REQUEST, "missing ?to=\n").into_response(),
    }
}

/// Query of `/fault/big`.
#[derive(Debug, Deserialize)]
pub(crate) struct BigQuery {
    bytes: Option<u64>,
}

/// `GET /fault/big?bytes=N`: N deterministic bytes (default 10 MiB) with an exact `Content-Length`, streamed.
pub(crate) async fn big(Query(query): Query<BigQuery>) -> Response {
    let total = query.bytes.unwrap_or(10 * 1024 * 1024);
    let chunk = Bytes::from(SplitMix64::new(0xb16).bytes(BIG_CHUNK));
    let chunks = stream::unfold(total, move |left| {
        let chunk = chunk.clone();
        async move {
            (left > 0).then(|| {
                let len = left.min(BIG_CHUNK as u64);
                (Ok::<_, Infallible>(chunk.slice(..len as usize)), left - len)
            })
        }
    });
    (
        [
            (CONTENT_LENGTH, total.to_string()),
            (CONTENT_TYPE, "application/octet-stream".to_owned()),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// `/echo` (any method): `{"method","path","query","headers":{name: value},"body"}` of the request.
pub(crate) async fn echo(request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    Json(json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query().unwrap_or_default(),
        "headers": header_map(&parts.headers),
        "body": String::from_utf8_lossy(&body),
    }))
    .into_response()
}

/// Headers by lower-case name; repeated headers joined with `, `.
fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        out.entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    out
}
