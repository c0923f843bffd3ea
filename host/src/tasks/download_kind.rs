//! `download {code}` (N-D1, N-D2, N-F1, K-8): the resource's HLS stream to
//! `resource/video/{CODE}.mp4` (or `{CODE}.ts` when kept as MPEG-TS) on the download lane, one at a time across the
//! deployment. Parts are kept in `<data_dir>/work/download/{CODE}` so a retried or
//! restarted task resumes; an expired stream URL is resolved again through the source.

use std::path::PathBuf;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::json;

use super::kind::{DOWNLOAD_LANE, TaskContext, TaskFailure, TaskKind};
use super::kinds::CodePayload;
use crate::code::Code;
use crate::config::DownloadConfig;
use crate::download::{
    DownloadError, DownloadOutcome, DownloadRequest, FreshStream, RenditionKind, StreamRefresh,
    download,
};
use crate::error_code::ErrorCode;
use crate::fetch::FetchClient;
use crate::library::Library;
use crate::store::{TrackKind, VideoTrack};

/// The download task kind.
pub(crate) struct Download {
    pub(crate) library: Library,
    pub(crate) fetch: FetchClient,
    pub(crate) settings: DownloadConfig,
    /// `<data_dir>/work/download`.
    pub(crate) work_root: PathBuf,
}

impl TaskKind for Download {
    type Payload = CodePayload;
    type Output = Downloaded;

    fn name(&self) -> &'static str {
        "download"
    }

    fn lane(&self) -> &'static str {
        DOWNLOAD_LANE
    }

    fn max_attempts(&self) -> Option<u32> {
        // Segments on disk survive attempts, so more attempts cost little.
        Some(5)
    }

    fn dedup_key(&self, payload: &CodePayload) -> Option<String> {
        Some(payload.code.as_str().to_owned())
    }

    fn run(
        &self,
        payload: CodePayload,
        context: TaskContext,
    ) -> BoxFuture<'static, Result<Downloaded, TaskFailure>> {
        let library = self.library.clone();
        let fetch = self.fetch.clone();
        let settings = self.settings.clone();
        let work_root = self.work_root.clone();
        Box::pin(run(
            library,
            fetch,
            settings,
            work_root,
            payload.code,
            context,
        ))
    }
}

/// What a finished download reports: the engine's figures, the code and the file.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Downloaded {
    #[serde(flatten)]
    pub(crate) outcome: DownloadOutcome,
    pub(crate) code: Code,
    /// The video's path under the media directory.
    pub(crate) file: String,
}

async fn run(
    library: Library,
    fetch: FetchClient,
    settings: DownloadConfig,
    work_root: PathBuf,
    code: Code,
    context: TaskContext,
) -> Result<Downloaded, TaskFailure> {
    let detail = library
        .store()
        .get_resource(code.as_str())
        .await
        .map_err(|error| TaskFailure::retry(error.to_string()))?
        .ok_or_else(|| TaskFailure::Fatal {
            code: ErrorCode::ResourceNotFound,
            message: format!("{code} is not in the library"),
        })?;
    let resource = detail.resource;
    let previous_tracks = resource.video_tracks.clone();
    let (playlist_url, headers) = match resource.stream_url.filter(|url| !url.is_empty()) {
        Some(url) => (url, resource.stream_headers.into_iter().collect()),
        // Never resolved (or cleared): ask the sources now.
        None => library
            .refresh_stream(&code)
            .await
            .map_err(|error| TaskFailure::retry(error.to_string()))?,
    };
    let output = library
        .media()
        .video_path(&code)
        .map_err(|error| TaskFailure::fatal(error.to_string()))?;
    let mut request = DownloadRequest::new(
        playlist_url,
        &output,
        work_root.join(code.as_str()),
        &settings,
    );
    request.headers = headers;
    if let Some(source) = &resource.source_plugin {
        request.rewrite = Some(std::sync::Arc::new(
            super::download_filters::PluginFilters {
                filters: library.plugins().playlist_filters_for(source),
                plugins: library.plugins().clone(),
                source: source.clone(),
                code: code.to_string(),
            },
        ));
    }
    let jar = match &resource.source_plugin {
        Some(source) => library.plugins().jar(source),
        None => crate::fetch::CookieJar::default(),
    };
    let refresher = Refresher {
        library: library.clone(),
        code: code.clone(),
    };
    let progress_context = context.clone();
    let outcome = download(
        &fetch,
        &jar,
        request,
        Some(&refresher),
        context.cancel.clone(),
        move |progress| {
            // The last figure always goes out, whatever the throttle says.
            if progress.segments_done == progress.segments_total {
                progress_context.progress_now(json!(progress));
            } else {
                progress_context.progress(json!(progress));
            }
        },
    )
    .await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => return Err(failure(error)),
    };
    let relative = outcome
        .output
        .strip_prefix(library.media().root())
        .map(|path| path.to_string_lossy().replace('\\', "/"))
        .map_err(|_| {
            TaskFailure::fatal(format!(
                "{} is outside the media root",
                outcome.output.display()
            ))
        })?;
    let tracks: Vec<VideoTrack> = outcome
        .tracks
        .iter()
        .filter_map(|track| {
            Some(VideoTrack {
                kind: match track.kind {
                    RenditionKind::Audio => TrackKind::Audio,
                    RenditionKind::Subtitles => TrackKind::Subtitles,
                },
                tag: track.tag.clone(),
                language: track.language.clone(),
                name: track.name.clone(),
                file: library.media().relative(track.file.as_ref()?)?,
            })
        })
        .collect();
    library
        .store()
        .record_video(code.as_str(), &relative, outcome.bytes as i64, &tracks)
        .await
        .map_err(|error| TaskFailure::retry(error.to_string()))?;
    // Tracks an earlier download saved that this one did not (another language chosen,
    // a rendition gone): no record names them any more.
    let stale: Vec<String> = previous_tracks
        .into_iter()
        .map(|track| track.file)
        .filter(|file| !tracks.iter().any(|track| &track.file == file))
        .collect();
    if !stale.is_empty() {
        let owned = code.clone();
        let removed = library
            .media()
            .blocking(move |media| media.delete_video_tracks(&owned, &stale))
            .await;
        if let Err(error) = removed {
            tracing::warn!(%code, %error, "cannot remove a track of an earlier download");
        }
    }
    tracing::info!(
        code = %code, bytes = outcome.bytes, segments = outcome.segments,
        reused = outcome.reused_segments, seconds = outcome.elapsed_seconds, "download finished"
    );
    metrics::counter!(crate::telemetry::DOWNLOAD_BYTES).increment(outcome.bytes);
    let fetched = outcome.segments.saturating_sub(outcome.reused_segments);
    metrics::counter!(crate::telemetry::DOWNLOAD_SEGMENTS).increment(fetched as u64);
    Ok(Downloaded {
        outcome,
        code,
        file: relative,
    })
}

/// Which download errors another attempt may fix.
fn failure(error: DownloadError) -> TaskFailure {
    match error {
        DownloadError::Cancelled => TaskFailure::Cancelled,
        DownloadError::DiskFull { .. }
        | DownloadError::InvalidRequest(_)
        | DownloadError::StreamChanged(_) => TaskFailure::fatal(error.to_string()),
        _ => TaskFailure::retry(error.to_string()),
    }
}

/// Re-resolves the stream through the source plugin when its URL expired (K-8).
struct Refresher {
    library: Library,
    code: Code,
}

impl StreamRefresh for Refresher {
    fn refresh(&self) -> BoxFuture<'_, Result<FreshStream, String>> {
        Box::pin(async move {
            let (playlist_url, headers) = self
                .library
                .refresh_stream(&self.code)
                .await
                .map_err(|error| error.to_string())?;
            Ok(FreshStream {
                playlist_url,
                headers,
            })
        })
    }
}
