//! Assembly: check every part is on disk and non-empty, join them in order into
//! `<output>.part` (or pipe them through `ffmpeg -c copy` into it, giving MP4), fsync,
//! and rename onto the output path, so the output either is complete or does not exist.
//! When ffmpeg fails (a stream it cannot parse) the parts are joined as they are, as
//! when it is not installed, and the outcome says why.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncReadExt, BufReader};
use tokio_util::sync::CancellationToken;

use super::playlist::{SourceContainer, Stream};
use super::workdir::{self, io_error};
use super::{Container, DownloadError};

/// Read size when feeding ffmpeg.
const READ_BUFFER: usize = 1024 * 1024;

/// The published file.
#[derive(Debug)]
pub(crate) struct Assembled {
    pub bytes: u64,
    pub container: Container,
    pub remuxed: bool,
    /// Why ffmpeg failed, when it did.
    pub remux_error: Option<String>,
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

/// Joins the parts of `stream` from `work_dir` into `output`, remuxing with `ffmpeg`
/// when given.
pub(crate) async fn assemble(
    work_dir: &Path,
    stream: &Stream,
    output: &Path,
    ffmpeg: Option<&Path>,
    cancel: &CancellationToken,
) -> Result<Assembled, DownloadError> {
    let files = verified_parts(work_dir, stream).await?;
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|error| io_error(parent, error))?;
    }
    let part = part_path(output);
    let mut remux_error = None;
    if let Some(ffmpeg) = ffmpeg {
        match remux(ffmpeg, &files, &part, cancel).await {
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
    if !remuxed {
        let (files, part_owned) = (files.clone(), part.clone());
        let joined = tokio::task::spawn_blocking(move || concat(&files, &part_owned))
            .await
            .map_err(|error| DownloadError::Internal(format!("assembly task: {error}")))
            .and_then(|result| result);
        if let Err(error) = joined {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(error);
        }
    }
    let (part, output_owned) = (part.clone(), output.to_owned());
    let bytes = tokio::task::spawn_blocking(move || publish(&part, &output_owned))
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
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("ffmpeg"))
        .find(|candidate| candidate.is_file())
}

/// The part files in assembly order, each present and non-empty.
async fn verified_parts(work_dir: &Path, stream: &Stream) -> Result<Vec<PathBuf>, DownloadError> {
    let mut files = Vec::with_capacity(stream.order.len());
    for &index in &stream.order {
        let name = &stream.parts[index].name;
        let (path, _) = workdir::part_paths(work_dir, name);
        match tokio::fs::metadata(&path).await {
            Ok(metadata) if metadata.len() > 0 => files.push(path),
            _ => {
                return Err(DownloadError::Incomplete {
                    missing: name.clone(),
                });
            }
        }
    }
    Ok(files)
}

/// Concatenates `files` into `target` (the kernel copies: `copy_file_range` on Linux);
/// [`publish`] fsyncs it.
fn concat(files: &[PathBuf], target: &Path) -> Result<(), DownloadError> {
    let mut out = std::fs::File::create(target).map_err(|error| io_error(target, error))?;
    for file in files {
        let mut input = std::fs::File::open(file).map_err(|error| io_error(file, error))?;
        std::io::copy(&mut input, &mut out).map_err(|error| io_error(target, error))?;
    }
    Ok(())
}

/// Pipes `files` in order into `ffmpeg -c copy`, which writes MP4 to `target`; no
/// joined copy of the video is ever written.
async fn remux(
    ffmpeg: &Path,
    files: &[PathBuf],
    target: &Path,
    cancel: &CancellationToken,
) -> Result<(), RemuxError> {
    let mut child = tokio::process::Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i", "pipe:0"])
        .args(["-c", "copy", "-movflags", "+faststart", "-f", "mp4"])
        .arg(target)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| {
            RemuxError::Failed(format!("cannot start {}: {error}", ffmpeg.display()))
        })?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| RemuxError::Failed("no stdin pipe".to_owned()))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| RemuxError::Failed("no stderr pipe".to_owned()))?;
    let feed = async move {
        for file in files {
            let input = tokio::fs::File::open(file)
                .await
                .map_err(|error| io_error(file, error))?;
            let mut reader = BufReader::with_capacity(READ_BUFFER, input);
            if let Err(error) = tokio::io::copy_buf(&mut reader, &mut stdin).await {
                // ffmpeg stopped reading: its exit status and message tell why.
                if error.kind() == std::io::ErrorKind::BrokenPipe {
                    break;
                }
                return Err(io_error(file, error));
            }
        }
        drop(stdin);
        Ok(())
    };
    let messages = async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    };
    let work = async { tokio::join!(feed, child.wait(), messages) };
    let (fed, status, messages) = tokio::select! {
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
    fed.map_err(RemuxError::Fatal)
}

/// Fsyncs `part`, renames it onto `output` and fsyncs the directory; returns the size.
fn publish(part: &Path, output: &Path) -> Result<u64, DownloadError> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(part)
        .map_err(|error| io_error(part, error))?;
    file.sync_all().map_err(|error| io_error(part, error))?;
    let bytes = file
        .metadata()
        .map_err(|error| io_error(part, error))?
        .len();
    drop(file);
    std::fs::rename(part, output).map_err(|error| io_error(output, error))?;
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
