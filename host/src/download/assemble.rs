//! Publishing: the joined stream is remuxed by `ffmpeg -c copy` into `<output>.part`
//! (MP4) or taken as it is, fsynced and renamed onto the output path, so the output
//! either is complete or does not exist. When ffmpeg fails (a stream it cannot parse)
//! the joined stream is published as it is, as when ffmpeg is not installed, and the
//! outcome says why.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use super::error::io_error;
use super::playlist::{SourceContainer, Stream};
use super::workdir;
use super::{Container, DownloadError};
use crate::fsio;

/// The published file.
#[derive(Debug)]
pub(crate) struct Assembled {
    pub(crate) bytes: u64,
    pub(crate) container: Container,
    pub(crate) remuxed: bool,
    /// Why ffmpeg failed, when it did.
    pub(crate) remux_error: Option<String>,
}

/// Why a remux did not produce the file.
enum RemuxError {
    /// ffmpeg could not do it: fall back to joining.
    Failed(String),
    /// Cancelled, disk full or local I/O: stop.
    Fatal(DownloadError),
}

/// `<output>.part`, beside the output so the final rename stays on one filesystem.
pub(crate) fn part_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    output.with_file_name(name)
}

/// Publishes the joined stream at `output`, remuxed with `ffmpeg` when given.
pub(crate) async fn assemble(
    joined: &Path,
    stream: &Stream,
    output: &Path,
    ffmpeg: Option<&Path>,
    cancel: &CancellationToken,
) -> Result<Assembled, DownloadError> {
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|error| io_error(parent, error))?;
    }
    let part = part_path(output);
    let mut remux_error = None;
    if let Some(ffmpeg) = ffmpeg {
        match remux(ffmpeg, joined, &part, cancel).await {
            Ok(()) => {}
            Err(failure) => {
                let _ = tokio::fs::remove_file(&part).await;
                match failure {
                    RemuxError::Fatal(error) => return Err(error),
                    RemuxError::Failed(reason) => {
                        tracing::warn!(%reason, "remux failed: keeping the stream's container");
                        remux_error = Some(reason);
                    }
                }
            }
        }
    }
    let remuxed = ffmpeg.is_some() && remux_error.is_none();
    let source = if remuxed { part } else { joined.to_owned() };
    let output_owned = output.to_owned();
    let bytes = tokio::task::spawn_blocking(move || publish(&source, &output_owned))
        .await
        .map_err(|error| DownloadError::Internal(format!("publish task: {error}")))??;
    let container = match (remuxed, stream.container) {
        (true, _) => Container::Mp4,
        (false, SourceContainer::Ts) => Container::Ts,
        (false, SourceContainer::Fmp4) => Container::Fmp4,
    };
    Ok(Assembled {
        bytes,
        container,
        remuxed,
        remux_error,
    })
}

/// `ffmpeg` on `PATH`, if installed.
pub(crate) fn find_ffmpeg() -> Option<PathBuf> {
    crate::util::find_program("ffmpeg")
}

/// Runs `ffmpeg -c copy` on the joined stream, which writes MP4 to `target`.
async fn remux(
    ffmpeg: &Path,
    joined: &Path,
    target: &Path,
    cancel: &CancellationToken,
) -> Result<(), RemuxError> {
    let mut child = tokio::process::Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i"])
        .arg(joined)
        .args(["-c", "copy", "-movflags", "+faststart", "-f", "mp4"])
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| {
            RemuxError::Failed(format!("cannot start {}: {error}", ffmpeg.display()))
        })?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| RemuxError::Failed("no stderr pipe".to_owned()))?;
    let messages = async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    };
    let work = async { tokio::join!(child.wait(), messages) };
    let (status, messages) = tokio::select! {
        biased;
        () = cancel.cancelled() => return Err(RemuxError::Fatal(DownloadError::Cancelled)),
        done = work => done,
    };
    let status =
        status.map_err(|error| RemuxError::Failed(format!("waiting for ffmpeg: {error}")))?;
    if !status.success() {
        if messages.contains("No space left on device") {
            return Err(RemuxError::Fatal(DownloadError::DiskFull {
                path: target.to_owned(),
            }));
        }
        let tail: Vec<&str> = messages
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .rev()
            .take(4)
            .collect();
        let reason = tail.into_iter().rev().collect::<Vec<_>>().join(" / ");
        return Err(RemuxError::Failed(format!(
            "ffmpeg exited with {status}: {reason}"
        )));
    }
    Ok(())
}

/// Fsyncs `source`, renames it onto `output` and fsyncs the directory; returns the
/// size. A `source` on another filesystem than `output` is copied to `<output>.part`
/// first, so the output still appears whole or not at all.
fn publish(source: &Path, output: &Path) -> Result<u64, DownloadError> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(source)
        .map_err(|error| io_error(source, error))?;
    fsio::sync_open_file(&file).map_err(|error| io_error(source, error))?;
    let bytes = file
        .metadata()
        .map_err(|error| io_error(source, error))?
        .len();
    drop(file);
    match std::fs::rename(source, output) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::CrossesDevices => {
            let part = part_path(output);
            let copied = std::fs::copy(source, &part)
                .and_then(|_| fsio::sync_file(&part))
                .map_err(|error| io_error(&part, error));
            if let Err(error) = copied {
                let _ = std::fs::remove_file(&part);
                return Err(error);
            }
            std::fs::rename(&part, output).map_err(|error| io_error(output, error))?;
        }
        Err(error) => return Err(io_error(output, error)),
    }
    let parent = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    workdir::sync_dir(parent)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_path_appends_to_the_name() {
        assert_eq!(
            part_path(Path::new("/v/ABC-001.mp4")),
            Path::new("/v/ABC-001.mp4.part")
        );
        assert_eq!(part_path(Path::new("out.ts")), Path::new("out.ts.part"));
    }
}
