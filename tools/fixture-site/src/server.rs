//! The running site: configuration, start-up, the route table, request counters, armed faults and shutdown.

mod state;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get, post};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_http::services::ServeDir;

use crate::injection::Fault;
use crate::{catalog, covers, faults, injection, llm, pages, playback};
pub(crate) use state::{AppState, SharedState};

/// How long [`FixtureSite::shutdown`] waits for open connections before dropping them.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

/// How to run the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureConfig {
    /// The address to bind; only loopback is meant. Default `127.0.0.1`.
    pub host: IpAddr,
    /// The port; `0` picks a free one. Default `0`.
    pub port: u16,
    /// How long the LLM model `slow` waits before answering, in milliseconds. Default 3000.
    pub llm_slow_ms: u64,
    /// The approximate size of one stream segment at the middle variant, in bytes. Default 32 KiB.
    pub segment_bytes: usize,
    /// Every stream has this many segments instead of the catalog's `6 + n % 5` (a long stream for resume tests
    /// and benchmarks: 200 segments of 2 MB make a 400 MB download). Default `None`.
    pub stream_segments: Option<usize>,
    /// Every request waits this long before it is answered, in milliseconds (a remote CDN's round trip). Default 0.
    pub latency_ms: u64,
    /// Keep every stream segment in memory after its first request, so that repeated downloads measure the
    /// client rather than the generator (about 80 MB/s on one core). A 400 MB stream then holds 400 MB, twice
    /// that for AES-128 (`full` is plaintext). Default `false`.
    pub cache_segments: bool,
    /// A directory whose files are served as they are at `/files/...` (a stream made by real tools, such as ffmpeg,
    /// when a test needs media that decodes); `/files/...` answers 404 without one. Default `None`.
    pub files: Option<PathBuf>,
    /// The API key `/v1/chat/completions` requires as `Authorization: Bearer KEY` (401
    /// without it); `None` accepts any request. Default `None`.
    pub llm_api_key: Option<String>,
}

impl Default for FixtureConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            llm_slow_ms: 3000,
            segment_bytes: 32 * 1024,
            stream_segments: None,
            latency_ms: 0,
            cache_segments: false,
            files: None,
            llm_api_key: None,
        }
    }
}

/// A running fixture site; dropping it stops the server too.
pub struct FixtureSite {
    state: SharedState,
    task: Option<JoinHandle<()>>,
}

impl FixtureSite {
    /// Binds `config.host:config.port` and serves in a background task.
    pub async fn start(config: FixtureConfig) -> io::Result<FixtureSite> {
        if config.stream_segments == Some(0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "stream_segments must be at least 1",
            ));
        }
        let listener = TcpListener::bind((config.host, config.port)).await?;
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let state = Arc::new(AppState::new(config, addr, shutdown.clone()));
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            let serve =
                axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned());
            if let Err(error) = serve.await {
                tracing::warn!(%error, "fixture site stopped with an error");
            }
        });
        tracing::info!(%addr, "fixture site listening");
        Ok(FixtureSite {
            state,
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.state.addr
    }

    /// `http://{addr}`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.state.addr)
    }

    /// The configuration the site runs with.
    pub fn config(&self) -> &FixtureConfig {
        &self.state.config
    }

    /// The number of requests received whose path (without query) equals `path`.
    pub fn hits(&self, path: &str) -> u64 {
        self.state.hits(path)
    }

    /// Waits until `path` has had `count` requests (see [`Self::hits`]), at most `within`: true when it has, false
    /// when `within` passed first. A test steps a client to a known request with it (cancel it once its download asks
    /// for a hanging segment), instead of sleeping.
    pub async fn wait_for_hits(&self, path: &str, count: u64, within: Duration) -> bool {
        let reached = async {
            loop {
                let seen = self.state.hit_seen.notified();
                tokio::pin!(seen);
                // Registered before the count is read: a request between the two still wakes it.
                seen.as_mut().enable();
                if self.hits(path) >= count {
                    return;
                }
                seen.await;
            }
        };
        tokio::time::timeout(within, reached).await.is_ok()
    }

    /// The number of requests received in all.
    pub fn total_hits(&self) -> u64 {
        self.state.total_hits()
    }

    /// Answers the next `times` requests whose path (without query) equals `path` with `fault` instead of their
    /// normal answer ([`crate::FOREVER`]: every request from now on). Faults armed for the same path are used in
    /// the order they were armed; other paths are not affected. Faulted requests count in [`Self::hits`].
    pub fn arm_fault(&self, path: &str, fault: Fault, times: u32) {
        self.state.armed.arm(path, fault, times);
    }

    /// Requests to `path` that armed faults will still answer ([`crate::FOREVER`] when one never runs out).
    pub fn faults_left(&self, path: &str) -> u32 {
        self.state.armed.left(path)
    }

    /// Forgets every armed fault: from now on every path answers normally.
    pub fn disarm_faults(&self) {
        self.state.armed.clear();
    }

    /// The segments per variant of `n`'s stream on this site: the catalog's, or `stream_segments` when set.
    pub fn segment_count(&self, n: u32) -> usize {
        self.state.segment_count(n)
    }

    /// What a correct download of `variant` of `n` from this site contains (the bytes of `/stream/{CODE}/{variant}/full`).
    pub fn full_stream(&self, n: u32, variant: usize) -> Vec<u8> {
        catalog::full_stream_with_segments(
            n,
            variant,
            self.state.config.segment_bytes,
            self.segment_count(n),
        )
    }

    /// Stops accepting, ends stalled responses, and waits (at most 5 s) for open connections to finish.
    pub async fn shutdown(mut self) {
        self.state.shutdown.cancel();
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_DEADLINE, &mut task)
                .await
                .is_err()
        {
            tracing::warn!("fixture site connections still open after the deadline; dropping them");
            task.abort();
        }
    }
}

impl Drop for FixtureSite {
    fn drop(&mut self) {
        self.state.shutdown.cancel();
    }
}

/// The route table (see the README).
fn router(state: SharedState) -> Router {
    let files = match &state.config.files {
        Some(dir) => Router::new().nest_service("/files", ServeDir::new(dir)),
        None => Router::new(),
    };
    files
        .route("/alpha/v/{code}", get(pages::alpha::item))
        .route("/alpha/search", get(pages::alpha::search))
        .route("/alpha/img/{file}", get(covers::alpha))
        .route("/beta/api/search", get(pages::beta::search))
        .route("/beta/item/{id}", get(pages::beta::item))
        .route("/beta/img/{file}", get(covers::beta))
        .route("/stream/{code}/master.m3u8", get(playback::master))
        .route("/stream/{code}/key.bin", get(playback::key))
        .route(
            "/stream/{code}/{variant}/{file}",
            get(playback::variant_file),
        )
        .route("/meta/{code}", get(pages::meta::item))
        .route("/meta/person/{id}", get(pages::meta::person))
        .route("/meta/people/search", get(pages::meta::search_people))
        .route("/media/cover/{file}", get(covers::meta))
        .route("/media/avatar/{file}", get(covers::avatar))
        .route("/api/generate", post(llm::generate))
        .route("/api/chat", post(llm::chat))
        .route("/v1/chat/completions", post(llm::openai_chat))
        .route("/api/tags", get(llm::tags))
        .route("/api/version", get(llm::version))
        .route("/fault/slow", get(faults::slow))
        .route("/fault/status/{code}", any(faults::status))
        .route("/fault/429", any(faults::too_many_requests))
        .route("/fault/truncated", get(faults::truncated))
        .route("/fault/reset", get(faults::reset))
        .route("/fault/redirect-loop", any(faults::redirect_loop))
        .route("/fault/redirect", any(faults::redirect))
        .route("/fault/big", get(faults::big))
        .route("/fault/stall", get(faults::stall))
        .route("/echo", any(faults::echo))
        .fallback(pages::not_found)
        // Outermost first: count, then wait and inject.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            injection::apply,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            state::count_hits,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests;
