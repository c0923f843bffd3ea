//! The release `fixture-site` binary with the long, cached stream and a latency: started
//! on a free loopback port, its URL read from its first stdout line, stopped with SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{Binaries, Options};

/// How long the site may take to print its URL.
const START_LIMIT: Duration = Duration::from_secs(30);
/// How long it may take to stop after SIGTERM before it is killed.
const STOP_LIMIT: Duration = Duration::from_secs(10);

pub struct Fixture {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Fixture {
    pub async fn start(binaries: &Binaries, options: &Options, latency_ms: u64) -> Result<Self> {
        let mut child = Command::new(&binaries.fixture_site)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--segment-bytes", &options.segment_bytes.to_string()])
            .args(["--stream-segments", &options.segments.to_string()])
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
        Ok(Self { child, base })
    }

    /// `host:port`, for `fetch.allow_private_hosts`.
    pub fn host_port(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// The master playlist of `code`, as site alpha links it.
    pub fn playlist_url(&self, code: &str) -> String {
        format!("{}/stream/{code}/master.m3u8?site=alpha", self.base)
    }

    /// The same bytes as a download of the best variant, in one response.
    pub fn full_url(&self, code: &str) -> String {
        format!("{}/stream/{code}/2/full?site=alpha", self.base)
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
