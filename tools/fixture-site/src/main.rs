//! `fixture-site`: serves the fixture site until Ctrl-C or SIGTERM; prints the base URL as the first stdout line.

use std::io::Write as _;
use std::net::IpAddr;

use anyhow::Context as _;
use clap::Parser;
use fixture_site::{FixtureConfig, FixtureSite};
use tracing_subscriber::EnvFilter;

/// A deterministic local catalog site, HLS streams, an Ollama-compatible endpoint and fault routes.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The port; 0 picks a free one.
    #[arg(long, default_value_t = 8399)]
    port: u16,
    /// How long the LLM model `slow` waits, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    llm_slow_ms: u64,
    /// The approximate size of one stream segment, in bytes.
    #[arg(long, default_value_t = 32 * 1024)]
    segment_bytes: usize,
    /// Every stream has this many segments instead of the catalog's `6 + n % 5`.
    #[arg(long)]
    stream_segments: Option<usize>,
    /// Every request waits this long before it is answered, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Keep every stream segment in memory after its first request (for benchmarks).
    #[arg(long)]
    cache_segments: bool,
    /// Serve this directory's files at `/files/...` (a stream made by real tools, say).
    #[arg(long)]
    files: Option<std::path::PathBuf>,
    /// Write the stream corpus (`fixture_site::corpus`, made by ffmpeg) into the `--files` directory before
    /// announcing the URL.
    #[arg(long, requires = "files")]
    corpus: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    // Listen for signals before announcing the URL, so a supervisor's SIGTERM right after it is never lost.
    let stop = shutdown_signal().context("installing signal handlers")?;
    let config = FixtureConfig {
        host: args.host,
        port: args.port,
        llm_slow_ms: args.llm_slow_ms,
        segment_bytes: args.segment_bytes,
        stream_segments: args.stream_segments,
        latency_ms: args.latency_ms,
        cache_segments: args.cache_segments,
        files: args.files.clone(),
        llm_api_key: None,
    };
    let site = FixtureSite::start(config)
        .await
        .with_context(|| format!("binding {}:{}", args.host, args.port))?;
    if let (true, Some(dir)) = (args.corpus, &args.files) {
        let (dir, files_url) = (dir.clone(), format!("{}/files", site.base_url()));
        let built =
            tokio::task::spawn_blocking(move || fixture_site::corpus::build(&dir, &files_url))
                .await
                .context("corpus task")?
                .context("building the stream corpus (is ffmpeg installed?)")?;
        tracing::info!(streams = built.len(), "stream corpus written");
    }
    let mut stdout = std::io::stdout();
    writeln!(stdout, "fixture-site listening on {}", site.base_url())?;
    stdout.flush()?;
    stop.await;
    site.shutdown().await;
    Ok(())
}

/// Registers Ctrl-C and SIGTERM handlers now; the future completes on either.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Registers the Ctrl-C handler; the future completes on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}
