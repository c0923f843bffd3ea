//! What the handlers share: the config, request counters, armed faults, issued sessions, one-time 403s and the
//! image cache.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::HOST;
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use super::FixtureConfig;
use crate::catalog::{self, StreamKind};
use crate::injection::Armed;
use crate::media::ImageCache;
use crate::prng::hash;

/// The handlers' shared state.
pub(crate) type SharedState = Arc<AppState>;

/// Everything one running site holds.
pub(crate) struct AppState {
    /// The configuration the site was started with.
    pub(crate) config: FixtureConfig,
    /// The bound address, for the base URL when a request has no `Host`.
    pub(crate) addr: SocketAddr,
    /// Cancelled on shutdown; long waits (stall, slow, LLM) stop on it.
    pub(crate) shutdown: CancellationToken,
    /// Drawn covers and avatars.
    pub(crate) images: ImageCache,
    /// Faults armed per path ([`super::FixtureSite::arm_fault`]).
    pub(crate) armed: Armed,
    /// Segments kept after their first request when `cache_segments` is on: (n, variant, index, encrypted).
    segments: Mutex<HashMap<(u32, usize, usize, bool), Bytes>>,
    hits: Mutex<HashMap<String, u64>>,
    /// Woken on every request, for [`super::FixtureSite::wait_for_hits`].
    pub(crate) hit_seen: tokio::sync::Notify,
    total_hits: AtomicU64,
    sessions: Mutex<HashSet<String>>,
    sessions_issued: AtomicU64,
    covers_refused: Mutex<HashSet<u32>>,
}

impl AppState {
    pub(crate) fn new(
        config: FixtureConfig,
        addr: SocketAddr,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            config,
            addr,
            shutdown,
            images: ImageCache::default(),
            armed: Armed::default(),
            segments: Mutex::default(),
            hits: Mutex::default(),
            hit_seen: tokio::sync::Notify::new(),
            total_hits: AtomicU64::new(0),
            sessions: Mutex::default(),
            sessions_issued: AtomicU64::new(0),
            covers_refused: Mutex::default(),
        }
    }

    /// Requests received for exactly `path` (no query).
    pub(crate) fn hits(&self, path: &str) -> u64 {
        self.hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Segments per variant of `n`'s stream: `stream_segments` when configured, else the catalog's.
    pub(crate) fn segment_count(&self, n: u32) -> usize {
        self.config
            .stream_segments
            .unwrap_or_else(|| catalog::segment_count(n))
    }

    /// Segment `index` of `variant` of `n` as served (encrypted for AES-128 streams), or its plaintext (the parts
    /// of `full`); from the cache when `cache_segments` is on.
    pub(crate) fn segment(&self, n: u32, variant: usize, index: usize, served: bool) -> Bytes {
        let size = self.config.segment_bytes;
        let encrypted = served && catalog::stream_kind(n) == StreamKind::TsAes128;
        let make = || {
            Bytes::from(if encrypted {
                catalog::served_segment(n, variant, index, size)
            } else {
                catalog::segment_bytes(n, variant, index, size)
            })
        };
        if !self.config.cache_segments {
            return make();
        }
        let key = (n, variant, index, encrypted);
        if let Some(bytes) = self
            .segments
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return bytes.clone();
        }
        // Made outside the lock: two first requests may both make it, with the same bytes.
        let bytes = make();
        self.segments
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, bytes.clone());
        bytes
    }

    /// Requests received in all.
    pub(crate) fn total_hits(&self) -> u64 {
        self.total_hits.load(Ordering::Relaxed)
    }

    fn record_hit(&self, path: &str) {
        self.total_hits.fetch_add(1, Ordering::Relaxed);
        *self
            .hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(path.to_owned())
            .or_default() += 1;
        self.hit_seen.notify_waiters();
    }

    /// `http://{Host}` of the request (the bound address without one), no trailing slash.
    pub(crate) fn base_url(&self, headers: &HeaderMap) -> String {
        match headers.get(HOST).and_then(|host| host.to_str().ok()) {
            Some(host) => format!("http://{host}"),
            None => format!("http://{}", self.addr),
        }
    }

    /// A new `beta_session` value, remembered as valid.
    pub(crate) fn issue_session(&self) -> String {
        let serial = self.sessions_issued.fetch_add(1, Ordering::Relaxed);
        let token = format!("{:016x}", hash(&[b"beta_session", &serial.to_le_bytes()]));
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone());
        token
    }

    /// Whether `token` was issued by [`AppState::issue_session`].
    pub(crate) fn session_is_valid(&self, token: &str) -> bool {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(token)
    }

    /// True the first time it is asked for `n`, false after: the once-403 cover rule.
    pub(crate) fn refuse_cover_once(&self, n: u32) -> bool {
        self.covers_refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(n)
    }
}

/// Middleware counting every request by path.
pub(crate) async fn count_hits(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    state.record_hit(request.uri().path());
    tracing::debug!(method = %request.method(), path = %request.uri().path(), "request");
    next.run(request).await
}
