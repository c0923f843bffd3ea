//! Faults armed per path ([`crate::FixtureSite::arm_fault`]) and the per-request latency (`latency_ms`): a
//! middleware in front of every route, so a download test can break one segment of a real stream.
//!
//! A path (without query) has a queue of armed faults; each request to it takes the one in front, which is used
//! up after its `times` requests ([`FOREVER`] never is). Requests to other paths, and to a path whose faults are
//! used up, are answered as usual. Every request counts in `hits`, faulted or not.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RANGE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};

use crate::pages::not_found_page;
use crate::server::SharedState;

/// `times` that is never used up.
pub const FOREVER: u32 = u32::MAX;

/// How long a reset or short body waits after its first half, so that half reaches the client first.
const FIRST_HALF_FLUSH: Duration = Duration::from_millis(20);

/// What an armed request gets instead of its normal answer.
///
/// The body faults (`Reset`, `Short`, `Stall`) send the real status and headers and the first half of the real
/// body (rounded down), then misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No `Content-Length` (chunked), half the body, then the connection is aborted without the last chunk.
    Reset,
    /// The full `Content-Length`, half the body, then the connection is closed.
    Short,
    /// The full `Content-Length`, half the body, then nothing until the server shuts down.
    Stall,
    /// No answer at all (not even headers) until the server shuts down.
    Hang,
    /// This status (100 to 599; anything else answers 500) with a one-line text body.
    Status(u16),
    /// 429 with `Retry-After: {retry_after}` (seconds).
    TooMany { retry_after: u64 },
    /// The site's 404 page.
    NotFound,
    /// 302 to the same path and query: a client that follows it asks again, and once the fault is used up the real
    /// answer comes (a CDN sending a client on to an edge).
    Redirect,
    /// The real answer to the request without its `Range` header: 200 with the whole body, as a server that does
    /// not do ranges.
    IgnoreRange,
    /// The real status and headers with every byte of the body inverted: the same length, and not media.
    Corrupt,
}

/// The armed faults of one site.
#[derive(Debug, Default)]
pub(crate) struct Armed {
    by_path: Mutex<HashMap<String, VecDeque<(Fault, u32)>>>,
}

impl Armed {
    /// Queues `fault` for the next `times` requests to `path` (after the faults already queued for it).
    pub(crate) fn arm(&self, path: &str, fault: Fault, times: u32) {
        if times == 0 {
            return;
        }
        self.lock()
            .entry(path.to_owned())
            .or_default()
            .push_back((fault, times));
    }

    /// Forgets every armed fault.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// Requests still to be faulted at `path` ([`FOREVER`] when one of its faults never runs out).
    pub(crate) fn left(&self, path: &str) -> u32 {
        self.lock().get(path).map_or(0, |queue| {
            queue
                .iter()
                .map(|(_, times)| *times)
                .fold(0, u32::saturating_add)
        })
    }

    /// The fault for one request to `path`, using it up.
    fn take(&self, path: &str) -> Option<Fault> {
        let mut by_path = self.lock();
        let queue = by_path.get_mut(path)?;
        let (fault, times) = queue.front_mut()?;
        let fault = *fault;
        if *times != FOREVER {
            *times -= 1;
            if *times == 0 {
                queue.pop_front();
            }
        }
        if queue.is_empty() {
            by_path.remove(path);
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<(Fault, u32)>>> {
        self.by_path.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Middleware: waits `latency_ms`, then answers with the path's armed fault, if any.
pub(crate) async fn apply(
    State(state): State<SharedState>,
    mut request: Request,
    next: Next,
) -> Response {
    let latency = state.config.latency_ms;
    if latency > 0 {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(latency)) => {}
            () = state.shutdown.cancelled() => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }
    let path = request.uri().path().to_owned();
    let Some(fault) = state.armed.take(&path) else {
        return next.run(request).await;
    };
    tracing::debug!(%path, ?fault, "injecting a fault");
    match fault {
        Fault::Hang => {
            state.shutdown.cancelled().await;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code)
                .ok()
                .filter(|_| (100..=599).contains(&code))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                format!("injected fault: status {}\n", status.as_u16()),
            )
                .into_response()
        }
        Fault::TooMany { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, retry_after.to_string())],
            "injected fault: too many requests\n",
        )
            .into_response(),
        Fault::NotFound => not_found_page(&path),
        Fault::Redirect => {
            let location = request
                .uri()
                .path_and_query()
                .map_or_else(|| path.clone(), ToString::to_string);
            (
                StatusCode::FOUND,
                [(LOCATION, location)],
                "injected fault: redirect\n",
            )
                .into_response()
        }
        Fault::IgnoreRange => {
            request.headers_mut().remove(RANGE);
            next.run(request).await
        }
        Fault::Corrupt => {
            let (parts, body) = next.run(request).await.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let inverted: Vec<u8> = bytes.iter().map(|byte| !byte).collect();
            Response::from_parts(parts, Body::from(inverted))
        }
        Fault::Reset | Fault::Short | Fault::Stall => {
            let (mut parts, body) = next.run(request).await.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let full_length = bytes.len();
            let first_half = stream::iter([Ok::<Bytes, io::Error>(bytes.slice(..full_length / 2))]);
            let body = match fault {
                Fault::Reset => {
                    parts.headers.remove(CONTENT_LENGTH);
                    Body::from_stream(first_half.chain(stream::once(async {
                        tokio::time::sleep(FIRST_HALF_FLUSH).await;
                        Err(io::Error::new(
                            io::ErrorKind::ConnectionReset,
                            "injected reset",
                        ))
                    })))
                }
                Fault::Short => Body::from_stream(first_half.chain(stream::once(async {
                    tokio::time::sleep(FIRST_HALF_FLUSH).await;
                    Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "injected short body",
                    ))
                }))),
                _ => {
                    let shutdown = state.shutdown.clone();
                    Body::from_stream(first_half.chain(stream::once(async move {
                        shutdown.cancelled().await;
                        Err(io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "server shutting down",
                        ))
                    })))
                }
            };
            if !matches!(fault, Fault::Reset) {
                parts
                    .headers
                    .insert(CONTENT_LENGTH, HeaderValue::from(full_length));
            }
            if !parts.headers.contains_key(CONTENT_TYPE) {
                parts.headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
            }
            Response::from_parts(parts, body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_up_in_the_order_armed() {
        let armed = Armed::default();
        armed.arm("/a", Fault::Reset, 2);
        armed.arm("/a", Fault::Status(503), 1);
        armed.arm("/b", Fault::NotFound, FOREVER);
        armed.arm("/c", Fault::Stall, 0);
        assert_eq!(armed.left("/a"), 3);
        assert_eq!(armed.left("/b"), FOREVER);
        assert_eq!(armed.left("/c"), 0);
        let taken: Vec<Option<Fault>> = (0..4).map(|_| armed.take("/a")).collect();
        assert_eq!(
            taken,
            [
                Some(Fault::Reset),
                Some(Fault::Reset),
                Some(Fault::Status(503)),
                None
            ]
        );
        for _ in 0..1000 {
            assert_eq!(armed.take("/b"), Some(Fault::NotFound));
        }
        assert_eq!(armed.take("/c"), None);
        armed.clear();
        assert_eq!(armed.take("/b"), None);
    }
}
