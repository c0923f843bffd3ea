//! `kura download URL --output FILE`: the server's native HLS engine from the command
//! line, with a progress bar, for scripts and benchmarks. It uses the config's `fetch:`
//! (proxy, private hosts) and `download:` settings; parts wait in `FILE.parts/`, so
//! running the same command again after a failure or Ctrl-C resumes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::download::{
    AudioRule, Container, DownloadError, DownloadRequest, Progress, RenditionKind, SubtitleRule,
    VariantRule, download, work_dir_beside,
};
use crate::fetch::{CookieJar, FetchClient};

/// Exit status after Ctrl-C, as shells report a SIGINT.
const EXIT_CANCELLED: u8 = 130;

/// `kura download` arguments.
#[derive(Debug, Args)]
pub(crate) struct DownloadArgs {
    /// Master or media playlist URL.
    pub(crate) url: String,
    /// The file to write (published only when complete).
    #[arg(long, short)]
    pub(crate) output: PathBuf,
    /// Segments whose bodies are read at once (default: the config's
    /// download.concurrency, 8).
    #[arg(long)]
    pub(crate) concurrency: Option<usize>,
    /// Segment requests sent ahead of their turn on top of those (default: the config's
    /// download.request_ahead, 8; 0 for none).
    #[arg(long)]
    pub(crate) request_ahead: Option<usize>,
    /// A request header, `Name: value`; repeatable. A `Cookie:` header goes into the
    /// cookie jar for the playlist's host.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub(crate) headers: Vec<String>,
    /// `best`, `worst` or a bandwidth cap in bits per second (default: download.variant).
    #[arg(long)]
    pub(crate) variant: Option<VariantRule>,
    /// Audio renditions with the video: `default`, `all` or languages (`ja,en`)
    /// (default: download.audio).
    #[arg(long)]
    pub(crate) audio: Option<AudioRule>,
    /// Subtitles saved beside the video as WebVTT: `all`, `none` or languages
    /// (default: download.subtitles).
    #[arg(long)]
    pub(crate) subtitles: Option<SubtitleRule>,
    /// Retries per segment after its first try (default: download.retries).
    #[arg(long)]
    pub(crate) retries: Option<u32>,
    /// Keep the stream's MPEG-TS or fMP4 container even when ffmpeg is installed.
    #[arg(long)]
    pub(crate) no_remux: bool,
}

/// Runs one download; Ctrl-C stops it, keeping the completed segments.
pub(super) async fn run(
    config: &Config,
    args: DownloadArgs,
    silent: bool,
) -> anyhow::Result<ExitCode> {
    let client = FetchClient::new(&config.fetch).context("cannot build the HTTP client")?;
    let jar = CookieJar::default();
    let work_dir = work_dir_beside(&args.output);
    let mut request = DownloadRequest::new(&args.url, &args.output, &work_dir, &config.download);
    if let Some(concurrency) = args.concurrency {
        anyhow::ensure!(
            (1..=256).contains(&concurrency),
            "--concurrency must be between 1 and 256"
        );
        request.concurrency = concurrency;
    }
    if let Some(ahead) = args.request_ahead {
        anyhow::ensure!(ahead <= 256, "--request-ahead must be at most 256");
        request.request_ahead = ahead;
    }
    if let Some(variant) = args.variant {
        request.variant = variant;
    }
    if let Some(retries) = args.retries {
        request.retries = retries;
    }
    if let Some(audio) = args.audio {
        request.audio = audio;
    }
    if let Some(subtitles) = args.subtitles {
        request.subtitles = subtitles;
    }
    request.remux &= !args.no_remux;
    let playlist_url = url::Url::parse(&args.url).context("the URL is not absolute")?;
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .with_context(|| format!("--header `{header}` is not `Name: value`"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("cookie") {
            for pair in value.split(';') {
                if let Some((cookie, cookie_value)) = pair.trim().split_once('=') {
                    jar.set(cookie.trim(), cookie_value.trim(), &playlist_url);
                }
            }
        } else {
            request.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    let wanted_remux = request.remux;

    let cancel = CancellationToken::new();
    let watcher = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            super::shutdown_signal().await;
            cancel.cancel();
        }
    });
    let bar = progress_bar(silent);
    let result = download(&client, &jar, request, None, cancel, |progress| {
        show(&bar, progress)
    })
    .await;
    bar.finish_and_clear();
    watcher.abort();

    match result {
        Ok(outcome) => {
            let kept = match (&outcome.remux_error, wanted_remux) {
                (Some(reason), _) => format!(" (remux failed: {reason})"),
                (None, true) => " (ffmpeg not installed)".to_owned(),
                (None, false) => String::new(),
            };
            let container = match outcome.container {
                Container::Mp4 => "MP4 (remuxed by ffmpeg)".to_owned(),
                Container::Ts => format!("MPEG-TS{kept}"),
                Container::Fmp4 => format!("fMP4{kept}"),
            };
            let seconds = outcome.elapsed_seconds.max(1e-6);
            println!(
                "saved {}: {}, {} segments ({:.0} s of video), {container}",
                outcome.output.display(),
                HumanBytes(outcome.bytes),
                outcome.segments,
                outcome.duration_seconds,
            );
            for track in &outcome.tracks {
                let kind = match track.kind {
                    RenditionKind::Audio => "audio",
                    RenditionKind::Subtitles => "subtitles",
                };
                let language = track.language.as_deref().unwrap_or("no language");
                let place = match (&track.file, track.muxed, &track.error) {
                    (_, _, Some(error)) => format!("not saved: {error}"),
                    (_, true, None) => "in the video".to_owned(),
                    (Some(file), false, None) => {
                        format!("{} ({})", file.display(), HumanBytes(track.bytes))
                    }
                    (None, false, None) => "not saved".to_owned(),
                };
                println!("  {kind} \"{}\" ({language}): {place}", track.name);
            }
            for warning in &outcome.warnings {
                println!("warning: {warning}");
            }
            println!(
                "fetched {} in {seconds:.2} s: {:.1} MB/s; {} segments re-used, {} URL refreshes",
                HumanBytes(outcome.downloaded_bytes),
                outcome.downloaded_bytes as f64 / 1e6 / seconds,
                outcome.reused_segments,
                outcome.refreshed_urls,
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(DownloadError::Cancelled) => {
            eprintln!(
                "cancelled: completed segments are kept in {}; run the same command to resume",
                work_dir.display()
            );
            Ok(ExitCode::from(EXIT_CANCELLED))
        }
        Err(error) => Err(error).with_context(|| format!("download of {} failed", args.url)),
    }
}

fn progress_bar(silent: bool) -> ProgressBar {
    if silent {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} segments {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

fn show(bar: &ProgressBar, progress: &Progress) {
    bar.set_length(progress.segments_total as u64);
    bar.set_position(progress.segments_done as u64);
    let eta = progress
        .eta_seconds
        .map(|eta| format!(", eta {eta:.0} s"))
        .unwrap_or_default();
    bar.set_message(format!(
        "{} ({}/s{eta})",
        HumanBytes(progress.bytes),
        HumanBytes(progress.bytes_per_second as u64)
    ));
}
