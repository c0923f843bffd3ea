//! One timed run of `curl` or `kura download` under GNU time: wall time (measured here),
//! user and system CPU time and peak RSS (from `/usr/bin/time -f '%U %S %M'`), and the
//! size of the files written (the video, and the audio track's file beside it for the
//! demuxed stream).

use std::io::Read as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::process::Command;

use super::fixture::Fixture;
use super::{Binaries, Stream};

/// The longest one run may take before it is killed and the bench fails.
const RUN_LIMIT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Curl,
    /// `kura download --no-remux`, with the config's concurrency and requests ahead.
    Kura,
    /// `kura download --no-remux --concurrency N --request-ahead M`.
    KuraWith(usize, usize),
    /// `kura download` remuxing to MP4 with ffmpeg (the default when it is installed).
    KuraRemux,
}

impl Tool {
    pub fn name(self) -> String {
        match self {
            Tool::Curl => "curl".to_owned(),
            Tool::Kura => "kura".to_owned(),
            Tool::KuraWith(concurrency, ahead) => format!("kura c{concurrency} a{ahead}"),
            Tool::KuraRemux => "kura remux".to_owned(),
        }
    }

    /// Writes the stream's bytes as they are (comparable with curl's).
    pub fn writes_stream_bytes(self) -> bool {
        !matches!(self, Tool::KuraRemux)
    }
}

/// The audio track's file beside `file` (`kura.ts` -> `kura.en.ts`), as `kura download`
/// keeps the demuxed stream's audio rendition without a remux.
pub fn sidecar(file: &Path) -> std::path::PathBuf {
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    let extension = file.extension().unwrap_or_default().to_string_lossy();
    file.with_file_name(format!("{stem}.en.{extension}"))
}

/// What one run cost.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub wall: Duration,
    pub user: Duration,
    pub system: Duration,
    pub peak_rss_bytes: u64,
}

impl Usage {
    pub fn cpu(&self) -> Duration {
        self.user + self.system
    }

    /// The run with the median wall time (the lower middle one of an even count).
    pub fn median(runs: &[Usage]) -> Usage {
        let mut sorted = runs.to_vec();
        sorted.sort_by_key(|usage| usage.wall);
        sorted[(sorted.len() - 1) / 2]
    }
}

pub struct Outcome {
    pub usage: Usage,
    /// Size of the file written.
    pub bytes: u64,
}

/// `curl --version` runs.
pub fn check_curl() -> Result<()> {
    let status = std::process::Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .context("curl is not installed")?;
    anyhow::ensure!(status.success(), "curl --version failed");
    Ok(())
}

/// Runs `tool` for `stream` writing `file` (replaced), under `/usr/bin/time`.
pub async fn run(
    binaries: &Binaries,
    fixture: &Fixture,
    stream: Stream,
    tool: Tool,
    file: &Path,
) -> Result<Outcome> {
    let scratch = file.parent().context("the output has a directory")?;
    let times = scratch.join("time.txt");
    let mut command = Command::new(&binaries.time);
    command
        .args(["-f", "%U %S %M", "-o"])
        .arg(&times)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    match tool {
        Tool::Curl => {
            command
                .args(["curl", "-sS", "--fail", "--parallel"])
                .args(["-H", &fixture.referer(stream.code)]);
            for (index, url) in fixture.full_urls(stream).into_iter().enumerate() {
                let target = if index == 0 {
                    file.to_owned()
                } else {
                    sidecar(file)
                };
                command.arg("-o").arg(target).arg(url);
            }
        }
        Tool::Kura | Tool::KuraWith(..) | Tool::KuraRemux => {
            let config = scratch.join("config.yaml");
            std::fs::write(
                &config,
                format!(
                    "fetch:\n  allow_private_hosts: [\"{}\"]\n",
                    fixture.host_port()
                ),
            )?;
            command
                .arg(&binaries.kura)
                .arg("--config")
                .arg(&config)
                .arg("--data-dir")
                .arg(scratch.join("data"))
                .args(["--silent", "download", "--output"])
                .arg(file)
                .args(["--header", &fixture.referer(stream.code)]);
            if tool != Tool::KuraRemux {
                command.arg("--no-remux");
            }
            if let Tool::KuraWith(concurrency, ahead) = tool {
                command
                    .args(["--concurrency", &concurrency.to_string()])
                    .args(["--request-ahead", &ahead.to_string()]);
            }
            command.arg(fixture.playlist_url(stream));
        }
    }
    settle_disk().await?;
    let started = Instant::now();
    let output = tokio::time::timeout(RUN_LIMIT, command.output())
        .await
        .with_context(|| format!("{} took more than {RUN_LIMIT:?}", tool.name()))??;
    let wall = started.elapsed();
    anyhow::ensure!(
        output.status.success(),
        "{} failed ({}): {}",
        tool.name(),
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let text = std::fs::read_to_string(&times)?;
    // GNU time may put a line about the child's signal first; the figures come last.
    let fields: Vec<&str> = text
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let [user, system, rss_kb] = fields[..] else {
        anyhow::bail!("unexpected /usr/bin/time output: {text:?}");
    };
    let seconds = |field: &str| -> Result<Duration> {
        Ok(Duration::from_secs_f64(field.parse::<f64>().with_context(
            || format!("not a number of seconds: {field}"),
        )?))
    };
    let usage = Usage {
        wall,
        user: seconds(user)?,
        system: seconds(system)?,
        peak_rss_bytes: rss_kb.parse::<u64>()? * 1024,
    };
    let mut bytes = std::fs::metadata(file)
        .with_context(|| format!("{} wrote no {}", tool.name(), file.display()))?
        .len();
    if stream.kind == super::StreamKind::Demuxed && tool.writes_stream_bytes() {
        let audio = sidecar(file);
        bytes += std::fs::metadata(&audio)
            .with_context(|| format!("{} wrote no {}", tool.name(), audio.display()))?
            .len();
    }
    Ok(Outcome { usage, bytes })
}

/// Writes out every dirty page of earlier runs (`sync`, untimed), so no run waits for
/// another's writes: curl leaves its file in the page cache unwritten, and kura's
/// `fsync` right after it waited for the disk to take those 20 MB too (63 ms against
/// 43 ms for the same download after a `sync`, hyperfine, 40 runs each).
async fn settle_disk() -> Result<()> {
    let status = Command::new("sync")
        .stdin(Stdio::null())
        .status()
        .await
        .context("cannot run sync")?;
    anyhow::ensure!(status.success(), "sync failed ({status})");
    Ok(())
}

/// Whether two files hold the same bytes.
pub fn same_bytes(a: &Path, b: &Path) -> Result<bool> {
    if std::fs::metadata(a)?.len() != std::fs::metadata(b)?.len() {
        return Ok(false);
    }
    let (mut a, mut b) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    let (mut left, mut right) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = a.read(&mut left)?;
        if n == 0 {
            return Ok(true);
        }
        b.read_exact(&mut right[..n])?;
        if left[..n] != right[..n] {
            return Ok(false);
        }
    }
}
