//! Publishing: the joined stream and the audio renditions fetched beside it are remuxed
//! by `ffmpeg -c copy` into `<output>.part` (MP4, each audio track with its language and
//! name) or taken as they are, fsynced and renamed onto the output path, so the output
//! either is complete or does not exist. When ffmpeg refuses an audio track and names
//! it, the remux is made once more without it, and that track is kept in its own file
//! beside the video. When ffmpeg fails otherwise (a video it cannot parse) or is not
//! installed, the joined stream is published as it is and each audio track as its own
//! file beside it (published first: once the output exists, so do they), and the
//! outcome says why. A file is named after its real container: an MPEG-TS stream kept
//! as it is becomes `<stem>.ts` beside the `.mp4` asked for (fMP4 is MP4 and keeps the
//! name), and a file of the other name left by an earlier download is removed once the
//! new one is in place.

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
    /// Where it was published: the output, or `<stem>.ts` for an MPEG-TS stream kept.
    pub(crate) path: PathBuf,
    pub(crate) bytes: u64,
    pub(crate) container: Container,
    pub(crate) remuxed: bool,
    /// Why ffmpeg failed, when it did.
    pub(crate) remux_error: Option<String>,
    /// Per audio track: `None` when muxed into the output, else the size of its own
    /// file beside it.
    pub(crate) audio_kept: Vec<Option<u64>>,
    /// Why ffmpeg refused the audio tracks left out of a remux that was made.
    pub(crate) audio_refused: Option<String>,
}

/// An audio rendition fetched beside the video.
#[derive(Debug, Clone)]
pub(crate) struct AudioInput {
    pub(crate) joined: PathBuf,
    pub(crate) language: Option<String>,
    pub(crate) name: String,
    pub(crate) default: bool,
    /// Its own file beside the output, when it is not muxed into it.
    pub(crate) sidecar: PathBuf,
}

/// `<stem>.<tag>.<extension>` beside `output` (`ABC-001.ja.vtt`), the way players find
/// a video's external tracks.
pub(crate) fn sidecar_path(output: &Path, tag: &str, extension: &str) -> PathBuf {
    let stem = output.file_stem().unwrap_or_default().to_string_lossy();
    output.with_file_name(format!("{stem}.{tag}.{extension}"))
}

/// Why a remux did not produce the file.
enum RemuxError {
    /// ffmpeg could not do it: the reason for the outcome, and all it printed (which
    /// names an input it could not read).
    Failed { reason: String, messages: String },
    /// Cancelled, disk full or local I/O: stop.
    Fatal(DownloadError),
}

/// `<output>.part`, beside the output so the final rename stays on one filesystem.
pub(crate) fn part_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    output.with_file_name(name)
}

/// Publishes the joined stream at `output` with the `audio` tracks, remuxed with
/// `ffmpeg` when given.
pub(crate) async fn assemble(
    joined: &Path,
    stream: &Stream,
    audio: &[AudioInput],
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
    let (mut remux_error, mut audio_refused) = (None, None);
    let mut muxed = vec![false; audio.len()];
    if let Some(ffmpeg) = ffmpeg {
        match remux_tracks(ffmpeg, joined, audio, &part, cancel).await? {
            Ok(Muxed { tracks, refused }) => (muxed, audio_refused) = (tracks, refused),
            Err(reason) => remux_error = Some(reason),
        }
    }
    let remuxed = ffmpeg.is_some() && remux_error.is_none();
    let mut audio_kept = Vec::new();
    for (track, muxed) in audio.iter().zip(&muxed) {
        if *muxed {
            audio_kept.push(None);
            continue;
        }
        let (source, target) = (track.joined.clone(), track.sidecar.clone());
        let bytes = tokio::task::spawn_blocking(move || publish(&source, &target))
            .await
            .map_err(|error| DownloadError::Internal(format!("publish task: {error}")))??;
        audio_kept.push(Some(bytes));
    }
    let source = if remuxed { part } else { joined.to_owned() };
    let container = match (remuxed, stream.container) {
        (true, _) => Container::Mp4,
        (false, SourceContainer::Ts) => Container::Ts,
        (false, SourceContainer::Fmp4) => Container::Fmp4,
    };
    let (path, other) = named_for(output, container);
    let target = path.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        let bytes = publish(&source, &target)?;
        if other != target {
            remove_stale(&other)?;
        }
        Ok::<_, DownloadError>(bytes)
    })
    .await
    .map_err(|error| DownloadError::Internal(format!("publish task: {error}")))??;
    Ok(Assembled {
        path,
        bytes,
        container,
        remuxed,
        remux_error,
        audio_kept,
        audio_refused,
    })
}

/// Which audio tracks a remux that was made holds, and why ffmpeg refused the others.
struct Muxed {
    tracks: Vec<bool>,
    refused: Option<String>,
}

/// Remuxes the video with the audio tracks into `part`. When ffmpeg fails naming audio
/// inputs it could not read, tries once more without them. What was muxed, or why no
/// remux was made (`part` removed).
async fn remux_tracks(
    ffmpeg: &Path,
    joined: &Path,
    audio: &[AudioInput],
    part: &Path,
    cancel: &CancellationToken,
) -> Result<Result<Muxed, String>, DownloadError> {
    let mut chosen: Vec<usize> = (0..audio.len()).collect();
    let mut refusal = None;
    loop {
        let inputs: Vec<&AudioInput> = chosen.iter().map(|&index| &audio[index]).collect();
        let failure = match remux(ffmpeg, &remux_args(joined, &inputs, part), part, cancel).await {
            Ok(()) => {
                let mut tracks = vec![false; audio.len()];
                for index in chosen {
                    tracks[index] = true;
                }
                return Ok(Ok(Muxed {
                    tracks,
                    refused: refusal,
                }));
            }
            Err(failure) => failure,
        };
        let _ = tokio::fs::remove_file(part).await;
        let (reason, messages) = match failure {
            RemuxError::Fatal(error) => return Err(error),
            RemuxError::Failed { reason, messages } => (reason, messages),
        };
        let refused: Vec<usize> = chosen
            .iter()
            .copied()
            .filter(|&index| messages.contains(&*audio[index].joined.to_string_lossy()))
            .collect();
        if refused.is_empty() || refusal.is_some() {
            tracing::warn!(%reason, "remux failed: keeping the stream's container");
            return Ok(Err(reason));
        }
        tracing::warn!(%reason, "ffmpeg refused an audio track: remuxing without it");
        refusal = Some(reason);
        chosen.retain(|index| !refused.contains(index));
    }
}

/// Where a file of `container` asked for at `output` is published, and the other name
/// an earlier download of another container may have left. An MP4 name (`.mp4`, `.m4v`)
/// never holds MPEG-TS: the stream goes to `<stem>.ts` beside it. Any other name is
/// kept as given.
pub(crate) fn named_for(output: &Path, container: Container) -> (PathBuf, PathBuf) {
    let mp4_name = output
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mp4") || e.eq_ignore_ascii_case("m4v"));
    if !mp4_name {
        return (output.to_owned(), output.to_owned());
    }
    let ts = output.with_extension("ts");
    match container {
        Container::Ts => (ts, output.to_owned()),
        Container::Mp4 | Container::Fmp4 => (output.to_owned(), ts),
    }
}

/// Removes the file at `path` if there is one (blocking).
fn remove_stale(path: &Path) -> Result<(), DownloadError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(path, error)),
    }
}

/// ffmpeg's arguments: the video stream first, each audio rendition as an input of its
/// own mapped into the output with its language, name and default flag, then any audio
/// the video stream carries itself, all copied as they are into MP4 at `target`.
fn remux_args(joined: &Path, audio: &[&AudioInput], target: &Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> =
        ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
            .into_iter()
            .map(Into::into)
            .collect();
    for input in std::iter::once(joined).chain(audio.iter().map(|track| track.joined.as_path())) {
        args.push("-i".into());
        args.push(input.into());
    }
    // One input alone: ffmpeg's own choice (its best video and audio stream).
    if !audio.is_empty() {
        let mut push = |parts: &[&str]| args.extend(parts.iter().map(Into::into));
        push(&["-map", "0:v?"]);
        for (index, _) in audio.iter().enumerate() {
            push(&["-map", &format!("{}:a", index + 1)]);
        }
        push(&["-map", "0:a?"]);
        for (index, track) in audio.iter().enumerate() {
            let stream = format!("-metadata:s:a:{index}");
            if let Some(language) = track.language.as_deref().and_then(mp4_language) {
                push(&[&stream, &format!("language={language}")]);
            }
            push(&[&stream, &format!("title={}", track.name)]);
            push(&[&stream, &format!("handler_name={}", track.name)]);
            let flag = if track.default { "default" } else { "0" };
            push(&[&format!("-disposition:a:{index}"), flag]);
        }
    }
    args.extend(
        ["-c", "copy", "-movflags", "+faststart", "-f", "mp4"]
            .into_iter()
            .map(Into::into),
    );
    args.push(target.into());
    args
}

/// `ffmpeg` on `PATH`, if installed.
pub(crate) fn find_ffmpeg() -> Option<PathBuf> {
    crate::util::find_program("ffmpeg")
}

/// The three-letter code MP4 stores for a playlist's language tag (`en-US` -> `eng`);
/// ffmpeg drops a two-letter one.
fn mp4_language(tag: &str) -> Option<String> {
    let primary = tag.split('-').next()?.trim().to_ascii_lowercase();
    match primary.len() {
        2 => isolang::Language::from_639_1(&primary).map(|l| l.to_639_3().to_owned()),
        3 if primary.bytes().all(|b| b.is_ascii_lowercase()) => Some(primary),
        _ => None,
    }
}

/// Runs ffmpeg with `args` (see [`remux_args`]), which writes MP4 to `target`.
async fn remux(
    ffmpeg: &Path,
    args: &[std::ffi::OsString],
    target: &Path,
    cancel: &CancellationToken,
) -> Result<(), RemuxError> {
    let mut child = tokio::process::Command::new(ffmpeg)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| failed(format!("cannot start {}: {error}", ffmpeg.display())))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| failed("no stderr pipe".to_owned()))?;
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
    let status = status.map_err(|error| failed(format!("waiting for ffmpeg: {error}")))?;
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
        return Err(RemuxError::Failed {
            reason: format!("ffmpeg exited with {status}: {reason}"),
            messages,
        });
    }
    Ok(())
}

/// A failure to run ffmpeg at all: it printed nothing.
fn failed(reason: String) -> RemuxError {
    RemuxError::Failed {
        reason,
        messages: String::new(),
    }
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
    fn a_file_is_named_after_its_container() {
        let output = Path::new("/v/ABC-001.mp4");
        let (ts, mp4) = (PathBuf::from("/v/ABC-001.ts"), output.to_owned());
        assert_eq!(named_for(output, Container::Ts), (ts.clone(), mp4.clone()));
        assert_eq!(named_for(output, Container::Mp4), (mp4.clone(), ts.clone()));
        assert_eq!(named_for(output, Container::Fmp4), (mp4, ts.clone()));
        assert_eq!(named_for(&ts, Container::Ts), (ts.clone(), ts));
        // A name that claims no container is kept as given.
        for name in ["/v/video", "/v/video.joined"] {
            let path = Path::new(name);
            assert_eq!(named_for(path, Container::Ts), (path.into(), path.into()));
        }
    }

    #[test]
    fn part_path_appends_to_the_name() {
        assert_eq!(
            part_path(Path::new("/v/ABC-001.mp4")),
            Path::new("/v/ABC-001.mp4.part")
        );
        assert_eq!(part_path(Path::new("out.ts")), Path::new("out.ts.part"));
        assert_eq!(
            sidecar_path(Path::new("/v/ABC-001.mp4"), "ja", "vtt"),
            Path::new("/v/ABC-001.ja.vtt")
        );
    }

    #[test]
    fn each_audio_rendition_is_mapped_with_its_language_and_name() {
        let track = |n: &str, language: Option<&str>, default| AudioInput {
            joined: PathBuf::from(format!("/w/audio-{n}/joined")),
            language: language.map(Into::into),
            name: format!("Name {n}"),
            default,
            sidecar: PathBuf::new(),
        };
        let args = remux_args(
            Path::new("/w/joined"),
            &[&track("0", Some("en"), false), &track("1", None, true)],
            Path::new("/v/a.mp4.part"),
        );
        let args: Vec<String> = args
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args.join(" "),
            "-hide_banner -loglevel error -nostdin -y -i /w/joined -i /w/audio-0/joined \
             -i /w/audio-1/joined -map 0:v? -map 1:a -map 2:a -map 0:a? \
             -metadata:s:a:0 language=eng -metadata:s:a:0 title=Name 0 \
             -metadata:s:a:0 handler_name=Name 0 -disposition:a:0 0 \
             -metadata:s:a:1 title=Name 1 -metadata:s:a:1 handler_name=Name 1 \
             -disposition:a:1 default -c copy -movflags +faststart -f mp4 /v/a.mp4.part"
        );
        assert_eq!(mp4_language("ja-JP").as_deref(), Some("jpn"));
        assert_eq!(mp4_language("zh-Hans").as_deref(), Some("zho"));
        assert_eq!(mp4_language("yue").as_deref(), Some("yue"));
        assert_eq!(mp4_language("x").as_deref(), None);
        let alone = remux_args(Path::new("/w/joined"), &[], Path::new("/v/a.mp4.part"));
        assert!(!alone.iter().any(|arg| arg == "-map"), "{alone:?}");
    }
}
