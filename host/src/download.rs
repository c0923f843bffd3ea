//! Native HLS downloads (N-D1, N-F1, K-8): master playlist -> variant (and the audio and
//! subtitle renditions its groups name, chosen by the config) -> media playlists ->
//! segments of every track fetched concurrently through the shared [`FetchClient`] into
//! a work directory each and joined in order as they land -> the audio remuxed with the
//! video into MP4 by ffmpeg when installed (kept as files of their own beside it when
//! not), the subtitles merged into one WebVTT file each beside it -> published atomically.
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
mod held;
mod join;
mod journal;
mod keys;
mod pacer;
mod playlist;
mod progress;
mod refresh;
mod remote;
mod renditions;
mod retry;
mod rewrite;
mod schedule;
mod segments;
mod ts_start;
mod webvtt;
mod workdir;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub(crate) use crate::types::{AudioRule, SubtitleRule, VariantRule};
pub(crate) use error::DownloadError;
pub use pacer::MAX_IN_FLIGHT;
pub(crate) use playlist::RenditionKind;
pub(crate) use progress::Progress;
pub(crate) use rewrite::{ListKind, PlaylistRewrite, Rewritten};
pub use workdir::saved_parts;

use crate::config::DownloadConfig;
use crate::fetch::{CookieJar, EgressPolicy, FetchClient};
use remote::Pick;

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
    /// The audio renditions taken with the variant.
    pub(crate) audio: AudioRule,
    /// The subtitle renditions taken with the variant.
    pub(crate) subtitles: SubtitleRule,
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
            audio: settings.audio.clone(),
            subtitles: settings.subtitles.clone(),
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
            .field("audio", &self.audio)
            .field("subtitles", &self.subtitles)
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
    /// The published file: the output asked for, or `<stem>.ts` beside it for an
    /// MPEG-TS stream kept as it is.
    pub(crate) output: PathBuf,
    /// Size of the published file.
    pub(crate) bytes: u64,
    /// Bytes fetched by this run, every track's (parts re-used from disk not included).
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
    /// Fresh stream URLs the caller gave (one serves every track that found the URL
    /// expired).
    pub(crate) refreshed_urls: u32,
    /// The playlist filters that changed what was downloaded, in the order they ran.
    pub(crate) playlist_filters: Vec<String>,
    /// The audio and subtitle renditions fetched beside the video.
    pub(crate) tracks: Vec<TrackOutcome>,
    /// What the caller should know about the result (audio kept in files of its own, a
    /// subtitle track that could not be saved, a live playlist).
    pub(crate) warnings: Vec<String>,
    pub(crate) elapsed_seconds: f64,
}

/// A rendition fetched beside the video.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrackOutcome {
    pub(crate) kind: RenditionKind,
    /// Names its own file (`VIDEO.TAG.vtt`), unique among the tracks of its kind.
    pub(crate) tag: String,
    pub(crate) name: String,
    pub(crate) language: Option<String>,
    /// The rendition the playlist marks as the default.
    pub(crate) default: bool,
    /// Inside the output (an audio track remuxed with the video).
    pub(crate) muxed: bool,
    /// Its own file beside the output, when not muxed and saved.
    pub(crate) file: Option<PathBuf>,
    /// Size of its own file (0 when muxed).
    pub(crate) bytes: u64,
    pub(crate) segments: usize,
    /// Its segments found complete in the work directory and not fetched again.
    pub(crate) reused_segments: usize,
    pub(crate) duration_seconds: f64,
    /// Why the track was not saved (only a subtitle track: the video is saved without it).
    pub(crate) error: Option<String>,
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

/// Trouble on this machine (disk, I/O, a part lost from the work directory): no other
/// try helps, whichever track met it.
fn is_local(error: &DownloadError) -> bool {
    matches!(
        error,
        DownloadError::DiskFull { .. }
            | DownloadError::Io { .. }
            | DownloadError::Incomplete { .. }
            | DownloadError::Internal(_)
            | DownloadError::Cancelled
    )
}

/// The progress callback of track `track`: its reports go into the combined one.
fn reporter<F: FnMut(&Progress) + Send>(
    combined: &Mutex<progress::Combined<F>>,
    track: usize,
) -> impl FnMut(&Progress) + Send + '_ {
    move |report: &Progress| lock(combined).update(track, report)
}

/// The lock even when a progress callback panicked while holding it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The extension of an audio rendition kept in a file of its own.
fn audio_extension(stream: &playlist::Stream) -> &'static str {
    let packed = stream
        .parts
        .iter()
        .find(|part| part.is_segment)
        .and_then(|part| {
            let path = part.url.path().to_ascii_lowercase();
            ["aac", "mp3", "ac3", "ec3"]
                .into_iter()
                .find(|extension| path.ends_with(&format!(".{extension}")))
        });
    match (packed, stream.container) {
        (Some(extension), _) => extension,
        (None, playlist::SourceContainer::Fmp4) => "m4a",
        (None, playlist::SourceContainer::Ts) => "ts",
    }
}

/// Why a subtitle track was not saved.
enum SubtitleError {
    /// Not WebVTT: the video goes on without it.
    Skipped(String),
    /// Local trouble (disk full): the download stops.
    Fatal(DownloadError),
}

/// Merges a subtitle track's joined segments into one WebVTT file at `target`, its cues
/// timed from `video_start` (the video's first timestamp, when known); its size.
async fn save_subtitles(
    joined: &Path,
    video_start: Option<u64>,
    target: &Path,
) -> Result<u64, SubtitleError> {
    let (joined, target) = (joined.to_owned(), target.to_owned());
    tokio::task::spawn_blocking(move || {
        let bytes = std::fs::read(&joined)
            .map_err(|error| SubtitleError::Fatal(error::io_error(&joined, error)))?;
        let merged = webvtt::merge(&bytes, video_start).map_err(SubtitleError::Skipped)?;
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|error| SubtitleError::Fatal(error::io_error(parent, error)))?;
        }
        crate::fsio::write_atomic(&target, merged.as_bytes(), journal::download_file_options())
            .map_err(|error| SubtitleError::Fatal(error::io_error(&target, error)))?;
        Ok(merged.len() as u64)
    })
    .await
    .map_err(|error| SubtitleError::Skipped(format!("the subtitle merge failed: {error}")))?
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
    let ffmpeg = if request.remux {
        let found = assemble::find_ffmpeg();
        if found.is_none() {
            tracing::info!("ffmpeg not installed: keeping the stream's own container");
        }
        found
    } else {
        None
    };
    // Without a remux the joined streams are the published files: fsync them as they grow.
    let checkpoints = ffmpeg.is_none();
    let combined = Mutex::new(progress::Combined::new(1, progress));
    let source = FreshStream {
        playlist_url: request.playlist_url.clone(),
        headers: request.headers.clone(),
    };
    // Every track stops when one fails for good (or the caller cancels), and each still
    // finishes its own disk thread before `download` returns.
    let stop = cancel.child_token();
    let held = held::HeldBudget::default();
    let shared_refresh = refresh.map(refresh::SharedRefresh::new);
    let schedule = |pick, work_dir, preloaded, (source, generation), track| schedule::Schedule {
        client,
        jar,
        policy: &policy,
        request: &request,
        refresh: shared_refresh.as_ref(),
        cancel: &stop,
        progress: reporter(&combined, track),
        source,
        generation,
        pick,
        work_dir,
        preloaded,
        refreshes_without_progress: 0,
        held: &held,
        round_trip: None,
    };
    let mut main = schedule(
        Pick::Variant(request.variant),
        request.work_dir.clone(),
        None,
        (source, 0),
        0,
    );
    let loaded = main.load().await?;
    let chosen = match &loaded.master {
        Some((master, variant)) => {
            renditions::select(master, variant, &request.audio, &request.subtitles)
        }
        None => Vec::new(),
    };
    let master = loaded.master.map(|(master, _)| master);
    let mut sides: Vec<_> = chosen
        .into_iter()
        .map(|track| {
            let index = lock(&combined).add_track();
            let pick = Pick::Rendition {
                kind: track.rendition.kind,
                group: track.rendition.group.clone(),
                name: track.rendition.name.clone(),
            };
            // The URL the main track loaded with (refreshed, if it had expired).
            let side = schedule(
                pick,
                request.work_dir.join(&track.dir_name),
                master.clone(),
                (main.source.clone(), main.generation),
                index,
            );
            (track, side)
        })
        .collect();
    let main_work = async {
        let result = main.fetch(loaded.stream, checkpoints).await;
        if result.is_err() {
            stop.cancel();
        }
        result
    };
    let side_work = futures_util::future::join_all(sides.iter_mut().map(|(track, side)| {
        let stop = &stop;
        async move {
            match side.run(checkpoints).await {
                Ok(done) => Ok(Ok(done)),
                // Subtitles are worth a warning, not the video; local trouble stops.
                Err(error)
                    if track.rendition.kind == RenditionKind::Subtitles
                        && !stop.is_cancelled()
                        && !is_local(&error) =>
                {
                    Ok(Err(error.to_string()))
                }
                Err(error) => {
                    stop.cancel();
                    Err(error)
                }
            }
        }
    }));
    let (main_result, side_results) = tokio::join!(main_work, side_work);
    if cancel.is_cancelled() {
        return Err(DownloadError::Cancelled);
    }
    // The error that stopped the others, not the `Cancelled` they stopped with.
    let mut first_error = None;
    let mut side_done = Vec::new();
    for result in side_results {
        match result {
            Ok(done) => side_done.push(done),
            Err(error) => {
                if first_error.is_none() || matches!(first_error, Some(DownloadError::Cancelled)) {
                    first_error = Some(error);
                }
            }
        }
    }
    let (fetched, joined) = match (main_result, first_error) {
        (Err(error), _) if !matches!(error, DownloadError::Cancelled) => return Err(error),
        (_, Some(error)) => return Err(error),
        (result, None) => result?,
    };
    let mut warnings = Vec::new();
    if fetched.stream.live {
        warnings.push(
            "live playlist (no #EXT-X-ENDLIST): the segments listed when it was read were downloaded"
                .to_owned(),
        );
    }
    if fetched.stream.gaps > 0 {
        warnings.push(format!(
            "{} segment(s) marked #EXT-X-GAP were not fetched: the time they cover is empty",
            fetched.stream.gaps
        ));
    }
    let mut tracks = Vec::new();
    // The video's first timestamp, read once for every subtitle track that times its
    // cues from it.
    let video_start = if sides
        .iter()
        .any(|(track, _)| track.rendition.kind == RenditionKind::Subtitles)
    {
        let video = joined.path.clone();
        tokio::task::spawn_blocking(move || ts_start::first_pts(&video))
            .await
            .unwrap_or(None)
    } else {
        None
    };
    let mut audio = Vec::new();
    let mut finals = vec![(0, fetched.meter, fetched.last)];
    let mut downloaded_bytes = fetched.downloaded_bytes;
    for (position, ((track, _), result)) in sides.iter().zip(side_done).enumerate() {
        let rendition = &track.rendition;
        let mut outcome = TrackOutcome {
            kind: rendition.kind,
            tag: track.tag.clone(),
            name: rendition.name.clone(),
            language: rendition.language.clone(),
            default: rendition.default,
            muxed: false,
            file: None,
            bytes: 0,
            segments: 0,
            reused_segments: 0,
            duration_seconds: 0.0,
            error: None,
        };
        match result {
            Ok((side, side_joined)) => {
                outcome.segments = side.stream.n_segments;
                outcome.reused_segments = side.reused_segments;
                downloaded_bytes += side.downloaded_bytes;
                outcome.duration_seconds = side.stream.duration_seconds;
                finals.push((position + 1, side.meter, side.last));
                match rendition.kind {
                    RenditionKind::Audio => audio.push(assemble::AudioInput {
                        joined: side_joined.path,
                        language: rendition.language.clone(),
                        name: rendition.name.clone(),
                        default: rendition.default,
                        sidecar: assemble::sidecar_path(
                            &request.output,
                            &track.tag,
                            audio_extension(&side.stream),
                        ),
                    }),
                    RenditionKind::Subtitles => {
                        let target = assemble::sidecar_path(&request.output, &track.tag, "vtt");
                        match save_subtitles(&side_joined.path, video_start, &target).await {
                            Ok(bytes) => {
                                outcome.file = Some(target);
                                outcome.bytes = bytes;
                            }
                            Err(SubtitleError::Fatal(error)) => return Err(error),
                            Err(SubtitleError::Skipped(reason)) => outcome.error = Some(reason),
                        }
                    }
                }
            }
            Err(reason) => outcome.error = Some(reason),
        }
        if let Some(reason) = &outcome.error {
            warnings.push(format!(
                "subtitles `{}` not saved: {reason}",
                rendition.name
            ));
        }
        tracks.push(outcome);
    }
    let assembled = assemble::assemble(
        &joined.path,
        &fetched.stream,
        &audio,
        &request.output,
        ffmpeg.as_deref(),
        &cancel,
    )
    .await?;
    let mut refused = Vec::new();
    for ((track, input), kept) in tracks
        .iter_mut()
        .filter(|track| track.kind == RenditionKind::Audio)
        .zip(&audio)
        .zip(&assembled.audio_kept)
    {
        track.muxed = kept.is_none();
        if let Some(bytes) = kept {
            track.file = Some(input.sidecar.clone());
            track.bytes = *bytes;
            refused.push(format!("`{}`", input.name));
        }
    }
    if !audio.is_empty() && !assembled.remuxed {
        let why = match (&assembled.remux_error, &ffmpeg, request.remux) {
            (Some(error), _, _) => format!("ffmpeg could not remux them ({error})"),
            (None, _, false) => "remux is off".to_owned(),
            (None, _, true) => "ffmpeg is not installed".to_owned(),
        };
        warnings.push(format!(
            "the video has no audio of its own here: its {} audio track(s) are kept in files beside it because {why}",
            audio.len()
        ));
    } else if let Some(reason) = &assembled.audio_refused {
        warnings.push(format!(
            "ffmpeg refused the audio track(s) {} ({reason}): the video was remuxed without them, and they are kept in files beside it",
            refused.join(", ")
        ));
    }
    workdir::remove(&request.work_dir).await;
    {
        let mut combined = lock(&combined);
        let now = Instant::now();
        for (track, mut meter, last) in finals {
            combined.record(track, &meter.finish(now, last));
        }
        combined.finish();
    }
    let stream = fetched.stream;
    let outcome = DownloadOutcome {
        output: assembled.path.clone(),
        bytes: assembled.bytes,
        downloaded_bytes,
        segments: stream.n_segments,
        duration_seconds: stream.duration_seconds,
        container: assembled.container,
        remuxed: assembled.remuxed,
        remux_error: assembled.remux_error,
        reused_segments: fetched.reused_segments,
        refreshed_urls: match &shared_refresh {
            Some(shared) => shared.given().await,
            None => 0,
        },
        playlist_filters: stream.filtered_by.clone(),
        tracks,
        warnings,
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
