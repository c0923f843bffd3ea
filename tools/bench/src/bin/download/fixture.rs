//! The release `fixture-site` binary with a cached stream of the case's size and a
//! latency: started on a free loopback port, its URL read from its first stdout line,
//! stopped with SIGTERM. It also serves a master playlist whose audio is a rendition of
//! its own (`/files/demuxed.m3u8`), over two of its streams.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{Binaries, Size, Stream, StreamKind};

/// How long the site may take to print its URL.
const START_LIMIT: Duration = Duration::from_secs(30);
/// How long it may take to stop after SIGTERM before it is killed.
const STOP_LIMIT: Duration = Duration::from_secs(10);

pub struct Fixture {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Served at `/files`.
    _files: tempfile::TempDir,
}

/// The demuxed stream: DEMO-001's best variant as the video, DEMO-005's first variant as
/// its audio rendition (both without `site=`, so no Referer is checked).
const DEMUXED_MASTER: &str = "#EXTM3U\n#EXT-X-VERSION:4\n\
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,URI=\"../stream/DEMO-005/0/index.m3u8\"\n\
#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1920x1080,CODECS=\"avc1.42c028,mp4a.40.2\",AUDIO=\"aud\"\n\
../stream/DEMO-001/2/index.m3u8\n";

impl Fixture {
    pub async fn start(binaries: &Binaries, size: Size, latency_ms: u64) -> Result<Self> {
        let files = tempfile::Builder::new().prefix("fixture-files").tempdir()?;
        std::fs::write(files.path().join("demuxed.m3u8"), DEMUXED_MASTER)?;
        let mut child = Command::new(&binaries.fixture_site)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--segment-bytes", &size.segment_bytes.to_string()])
            .args(["--stream-segments", &size.segments.to_string()])
            .arg("--files")
            .arg(files.path())
            .args(["--latency-ms", &latency_ms.to_string()])
            .arg("--cache-segments")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binaries.fixture_site.display()))?;
        let stdout = child.stdout.take().context("fixture-site stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(START_LIMIT, lines.next_line())
            .await
            .context("fixture-site printed no URL within 30 s")??
            .context("fixture-site exited before printing its URL")?;
        let base = first
            .rsplit(' ')
            .next()
            .filter(|url| url.starts_with("http://127.0.0.1:"))
            .with_context(|| format!("unexpected first line from fixture-site: {first}"))?
            .to_owned();
        Ok(Self {
            child,
            base,
            _files: files,
        })
    }

    /// `host:port`, for `fetch.allow_private_hosts`.
    pub fn host_port(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// The master playlist of `stream`, as site alpha links it.
    pub fn playlist_url(&self, stream: Stream) -> String {
        match stream.kind {
            StreamKind::Demuxed => format!("{}/files/demuxed.m3u8", self.base),
            _ => format!(
                "{}/stream/{}/master.m3u8?site=alpha",
                self.base, stream.code
            ),
        }
    }

    /// The same bytes as a download of the stream, one response per track (the video's
    /// best variant; the audio rendition's).
    pub fn full_urls(&self, stream: Stream) -> Vec<String> {
        match stream.kind {
            StreamKind::Demuxed => vec![
                format!("{}/stream/DEMO-001/2/full", self.base),
                format!("{}/stream/DEMO-005/0/full", self.base),
            ],
            _ => vec![format!(
                "{}/stream/{}/2/full?site=alpha",
                self.base, stream.code
            )],
        }
    }

    /// The `Referer` alpha's streams require.
    pub fn referer(&self, code: &str) -> String {
        format!("Referer: {}/alpha/v/{code}", self.base)
    }

    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        if tokio::time::timeout(STOP_LIMIT, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}
