//! Native HLS downloads (N-D1, N-F1, K-8): master playlist -> variant -> media playlist
//! -> segments fetched concurrently through the shared [`FetchClient`] into a work
//! directory and joined in order as they land -> remuxed to MP4 by ffmpeg when
//! installed -> published atomically.
//!
//! Robustness rules: a part file exists only when complete (`.part`, rename) and the
//! join journal records each part appended to the stream, so a restarted download
//! re-uses what is on disk (after a restart of the machine, what an fsync covered);
//! segments retry with backoff and honour `Retry-After`; a 401/403/410 asks the caller
//! for a fresh stream URL and continues; the output is never presented with a missing
//! or short segment; memory stays bounded (bodies stream to disk through a bounded
//! queue). The server runs it per download task, `kura download` from the command line.

mod assemble;
mod decrypt;
mod error;
mod flusher;
mod gate;
mod join;
mod journal;
mod keys;
mod playlist;
mod progress;
mod remote;
mod retry;
mod rewrite;
mod schedule;
mod segments;
mod workdir;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub(crate) use crate::types::VariantRule;
pub(crate) use error::DownloadError;
pub(crate) use progress::Progress;
pub(crate) use rewrite::{ListKind, PlaylistRewrite, Rewritten};
pub use workdir::saved_parts;

use crate::config::DownloadConfig;
use crate::fetch::{CookieJar, EgressPolicy, FetchClient};

/// What to download and how.
#[derive(Clone)]
pub(crate) struct DownloadRequest {
    /// A master or media playlist.
    pub(crate) playlist_url: String,
    /// Sent with every request of the stream (`Referer`, `Origin`...); cookies come
    /// from the jar passed to [`download`].
    pub(crate) headers: Vec<(String, String)>,
    /// The finished file; a remux writes `<output>.part` beside it first.
    pub(crate) output: PathBuf,
    /// Where the stream is joined and early parts wait until the output is published
    /// (then removed); the same directory resumes an interrupted download. Best on the
    /// output's filesystem: publishing is then a rename, not a copy.
    pub(crate) work_dir: PathBuf,
    /// Parts whose bodies are read at once, the earliest in the stream first (at least 1).
    pub(crate) concurrency: usize,
    /// Part requests sent ahead of their turn on top of `concurrency`: their answers wait
    /// for a reader to finish, so the site's latency passes while bodies arrive.
    pub(crate) request_ahead: usize,
    pub(crate) variant: VariantRule,
    /// Retries per request after the first try.
    pub(crate) retries: u32,
    /// Base of the exponential backoff between tries.
    pub(crate) retry_delay: Duration,
    /// A segment request that sends nothing for this long (no headers yet, or no next
    /// chunk of the body) is abandoned and retried.
    pub(crate) idle_timeout: Duration,
    /// Remux to MP4 with ffmpeg when it is installed; otherwise (or when ffmpeg fails)
    /// keep TS or fMP4.
    pub(crate) remux: bool,
    /// Rewrites each playlist before it is read (the source's playlist filters).
    pub(crate) rewrite: Option<std::sync::Arc<dyn PlaylistRewrite>>,
}

impl DownloadRequest {
    /// A request with the config's `download:` settings.
    pub(crate) fn new(
        playlist_url: impl Into<String>,
        output: impl Into<PathBuf>,
        work_dir: impl Into<PathBuf>,
        settings: &DownloadConfig,
    ) -> Self {
        Self {
            playlist_url: playlist_url.into(),
            headers: Vec::new(),
            output: output.into(),
            work_dir: work_dir.into(),
            concurrency: settings.concurrency,
            request_ahead: settings.request_ahead,
            variant: settings.variant,
            retries: settings.retries,
            retry_delay: settings.retry_delay,
            idle_timeout: settings.idle_timeout,
            remux: settings.remux,
            rewrite: None,
        }
    }
}

impl std::fmt::Debug for DownloadRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadRequest")
            .field("playlist_url", &without_query(&self.playlist_url))
            .field("headers", &header_names(&self.headers))
            .field("output", &self.output)
            .field("work_dir", &self.work_dir)
            .field("concurrency", &self.concurrency)
            .field("request_ahead", &self.request_ahead)
            .field("variant", &self.variant)
            .field("retries", &self.retries)
            .field("remux", &self.remux)
            .field("rewrite", &self.rewrite.is_some())
            .finish_non_exhaustive()
    }
}

/// `FILE.parts` beside `FILE`: the work directory the command line uses.
pub(crate) fn work_dir_beside(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".parts");
    output.with_file_name(name)
}

/// The container of the published file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Container {
    /// Remuxed by ffmpeg.
    Mp4,
    /// MPEG-TS segments joined as they are (ffmpeg not installed, or remux off).
    Ts,
    /// fMP4: the init section and the segments joined as they are.
    Fmp4,
}

/// A finished download.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DownloadOutcome {
    pub(crate) output: PathBuf,
    /// Size of the published file.
    pub(crate) bytes: u64,
    /// Bytes fetched by this run (parts re-used from disk not included).
    pub(crate) downloaded_bytes: u64,
    /// Media segments in the stream.
    pub(crate) segments: usize,
    /// Sum of the segments' `#EXTINF` durations.
    pub(crate) duration_seconds: f64,
    pub(crate) container: Container,
    pub(crate) remuxed: bool,
    /// Why ffmpeg could not remux (the file then keeps the stream's container).
    pub(crate) remux_error: Option<String>,
    /// Segments found complete in the work directory and not fetched again.
    pub(crate) reused_segments: usize,
    /// Times the stream URL was refreshed through the caller.
    pub(crate) refreshed_urls: u32,
    /// The playlist filters that changed what was downloaded, in the order they ran.
    pub(crate) playlist_filters: Vec<String>,
    pub(crate) elapsed_seconds: f64,
}

/// A fresh stream URL, as the source plugin resolves it again.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct FreshStream {
    pub(crate) playlist_url: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl std::fmt::Debug for FreshStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FreshStream")
            .field("playlist_url", &without_query(&self.playlist_url))
            .field("headers", &header_names(&self.headers))
            .finish()
    }
}

/// A URL for logs: signed stream URLs carry their tokens in the query.
fn without_query(url: &str) -> &str {
    url.split_once('?').map_or(url, |(head, _)| head)
}

/// Header names only: values may be credentials.
fn header_names(headers: &[(String, String)]) -> Vec<&str> {
    headers.iter().map(|(name, _)| name.as_str()).collect()
}

/// Asked for a fresh stream URL when the current one has expired (K-8); in the server it
/// re-resolves the resource through its source plugin.
pub(crate) trait StreamRefresh: Send + Sync {
    /// A new playlist URL and headers for the same stream, or why there is none.
    fn refresh(&self) -> BoxFuture<'_, Result<FreshStream, String>>;
}

impl<F, Fut> StreamRefresh for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<FreshStream, String>> + Send + 'static,
{
    fn refresh(&self) -> BoxFuture<'_, Result<FreshStream, String>> {
        Box::pin(self())
    }
}

/// Downloads `request.playlist_url` to `request.output`.
///
/// `jar` holds the source's cookies (sent to every host they match); `refresh` is asked
/// for a fresh URL when the stream answers 401/403/410; `cancel` stops the download
/// promptly, keeping completed parts; `progress` is called at most about 4 times a
/// second, and once more at the end.
pub(crate) async fn download(
    client: &FetchClient,
    jar: &CookieJar,
    request: DownloadRequest,
    refresh: Option<&dyn StreamRefresh>,
    cancel: CancellationToken,
    progress: impl FnMut(&Progress) + Send,
) -> Result<DownloadOutcome, DownloadError> {
    if request.playlist_url.trim().is_empty() {
        return Err(DownloadError::InvalidRequest("no playlist URL".to_owned()));
    }
    if request.output.file_name().is_none() {
        return Err(DownloadError::InvalidRequest(format!(
            "output {} has no file name",
            request.output.display()
        )));
    }
    let started = Instant::now();
    let policy = EgressPolicy::any_public();
    let mut schedule = schedule::Schedule {
        client,
        jar,
        policy: &policy,
        request: &request,
        refresh,
        cancel: &cancel,
        progress,
        source: FreshStream {
            playlist_url: request.playlist_url.clone(),
            headers: request.headers.clone(),
        },
        refreshed: 0,
    };
    let ffmpeg = if request.remux {
        let found = assemble::find_ffmpeg();
        if found.is_none() {
            tracing::info!("ffmpeg not installed: keeping the stream's own container");
        }
        found
    } else {
        None
    };
    // Without a remux the joined stream is the published file: fsync it as it grows.
    let (fetched, joined) = schedule.run(ffmpeg.is_none()).await?;
    if cancel.is_cancelled() {
        return Err(DownloadError::Cancelled);
    }
    let assembled = assemble::assemble(
        &joined.path,
        &fetched.stream,
        &request.output,
        ffmpeg.as_deref(),
        &cancel,
    )
    .await?;
    workdir::remove(&request.work_dir).await;
    let (stream, mut meter) = (fetched.stream, fetched.meter);
    schedule.report_final(&mut meter, fetched.last);
    let outcome = DownloadOutcome {
        output: request.output.clone(),
        bytes: assembled.bytes,
        downloaded_bytes: fetched.downloaded_bytes,
        segments: stream.n_segments,
        duration_seconds: stream.duration_seconds,
        container: assembled.container,
        remuxed: assembled.remuxed,
        remux_error: assembled.remux_error,
        reused_segments: fetched.reused_segments,
        refreshed_urls: schedule.refreshed,
        playlist_filters: stream.filtered_by.clone(),
        elapsed_seconds: started.elapsed().as_secs_f64(),
    };
    tracing::info!(
        output = %outcome.output.display(),
        bytes = outcome.bytes,
        segments = outcome.segments,
        reused = outcome.reused_segments,
        refreshed = outcome.refreshed_urls,
        container = ?outcome.container,
        "download finished"
    );
    Ok(outcome)
}
