//! The streams as real tools see them: `ffprobe` counts the decoded frames and the duration, `ffmpeg` decodes every
//! frame, remuxes to MP4 and decodes that, and the decoded picture is exactly the bars. Skipped, with the reason
//! printed, when `ffmpeg` or `ffprobe` is not installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::*;
use crate::catalog::SEGMENT_SECONDS;
use crate::{aac, video};

/// The site's default segment size.
const SEGMENT_SIZE: usize = 32 * 1024;

/// Whether `ffmpeg` and `ffprobe` both run; prints why the test is skipped when not.
fn tools_installed() -> bool {
    let runs = |tool: &str| {
        Command::new(tool)
            .arg("-version")
            .output()
            .is_ok_and(|out| out.status.success())
    };
    let installed = runs("ffmpeg") && runs("ffprobe");
    if !installed {
        eprintln!("skipped: ffmpeg and ffprobe are not installed");
    }
    installed
}

/// Runs `ffmpeg -v error -nostdin` with `args`.
fn ffmpeg(args: &[&str]) -> Output {
    Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin"])
        .args(args)
        .output()
        .expect("ffmpeg runs")
}

/// Runs `ffprobe -v error` with `args`.
fn ffprobe(args: &[&str]) -> Output {
    Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .output()
        .expect("ffprobe runs")
}

/// Asserts `out` succeeded without a message.
fn assert_clean(out: &Output, what: &str) {
    let messages = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && messages.is_empty(),
        "{what}: {messages}"
    );
}

fn text(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the stream");
    path
}

/// The stream of `kind` in `ffprobe`'s JSON.
fn stream<'a>(probed: &'a Value, kind: &str) -> Option<&'a Value> {
    probed["streams"]
        .as_array()?
        .iter()
        .find(|stream| stream["codec_type"] == kind)
}

/// A number `ffprobe` writes as a string.
fn number(value: &Value) -> f64 {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("a number, not {value}"))
}

/// Checks `file` holds `segments` segments of `variant` (with the silent audio when `audio`): every frame decodes,
/// the duration is the playlist's, and the remux to MP4 works and decodes without a message.
fn check_playable(file: &Path, variant: usize, segments: u64, audio: bool) {
    let out = ffprobe(&[
        "-count_frames",
        "-show_entries",
        "stream=codec_type,codec_name,width,height,nb_read_frames:format=duration",
        "-of",
        "json",
        text(file),
    ]);
    assert_clean(&out, "ffprobe");
    let probed: Value = serde_json::from_slice(&out.stdout).expect("ffprobe writes JSON");
    let video = stream(&probed, "video").expect("a video stream");
    assert_eq!(video["codec_name"], "h264", "{probed}");
    assert_eq!(video["width"], VARIANTS[variant].width, "{probed}");
    assert_eq!(video["height"], VARIANTS[variant].height, "{probed}");
    let frames = segments * video::FRAMES_PER_SEGMENT as u64;
    assert_eq!(number(&video["nb_read_frames"]), frames as f64, "{probed}");
    let duration = number(&probed["format"]["duration"]);
    let expected = (segments * u64::from(SEGMENT_SECONDS)) as f64;
    assert!(
        (duration - expected).abs() < expected / 100.0,
        "{duration} s, not {expected} s"
    );
    match stream(&probed, "audio") {
        Some(sound) => {
            assert!(audio, "{probed}");
            assert_eq!(sound["codec_name"], "aac", "{probed}");
            let frames = aac::first_frame(segments) as f64;
            assert_eq!(number(&sound["nb_read_frames"]), frames, "{probed}");
        }
        None => assert!(!audio, "no audio in {probed}"),
    }

    assert_clean(&ffmpeg(&["-i", text(file), "-f", "null", "-"]), "decode");
    let remuxed = file.with_extension("remuxed.mp4");
    let remux = ffmpeg(&[
        "-i",
        text(file),
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        text(&remuxed),
    ]);
    assert_clean(&remux, "remux");
    let decode = ffmpeg(&["-i", text(&remuxed), "-f", "null", "-"]);
    assert_clean(&decode, "decode the remux");
}

#[test]
fn every_kind_of_stream_decodes_and_remuxes() {
    if !tools_installed() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // Plain TS, AES-128 (decrypted, as a download writes it), fMP4 (init.mp4, then the segments).
    for (n, variant, audio) in [(1, 0, true), (7, 1, true), (11, 2, false)] {
        let extension = match stream_kind(n) {
            StreamKind::Fmp4 => "mp4",
            StreamKind::Ts | StreamKind::TsAes128 => "ts",
        };
        let bytes = full_stream(n, variant, SEGMENT_SIZE);
        let file = write(dir.path(), &format!("{}.{extension}", code(n)), &bytes);
        check_playable(&file, variant, segment_count(n) as u64, audio);
    }
}

#[test]
fn the_decoded_picture_is_the_bars_of_each_segment() {
    if !tools_installed() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (n, variant) = (2, 0);
    let file = write(
        dir.path(),
        "bars.ts",
        &full_stream(n, variant, SEGMENT_SIZE),
    );
    let Variant { width, height, .. } = VARIANTS[variant];
    let (width, height) = (width as usize, height as usize);
    // The first frames of segments 0 and 1, as 8-bit 4:2:0 planes.
    let out = ffmpeg(&[
        "-i",
        text(&file),
        "-vf",
        "select='eq(n,0)+eq(n,40)'",
        "-vsync",
        "0",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "-",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (luma, chroma) = (width * height, width * height / 4);
    assert_eq!(out.stdout.len(), 2 * (luma + 2 * chroma));
    let width_mbs = width.div_ceil(16);
    for (index, frame) in out.stdout.chunks(luma + 2 * chroma).enumerate() {
        let colours = video::bar_colours(bar_hue(n, index));
        for y in (0..height).step_by(7) {
            for x in (0..width).step_by(5) {
                // Bars of equal width, in whole macroblocks.
                let colour = colours[(x / 16) * colours.len() / width_mbs];
                let at = (y / 2) * (width / 2) + x / 2;
                let sample = (
                    frame[y * width + x],
                    frame[luma + at],
                    frame[luma + chroma + at],
                );
                assert_eq!(
                    sample,
                    (colour.y, colour.cb, colour.cr),
                    "segment {index} at ({x}, {y})"
                );
            }
        }
    }
}

#[test]
fn a_broken_stream_probes_but_does_not_remux() {
    if !tools_installed() {
        return;
    }
    assert!(has_broken_video(4) && !has_broken_video(1));
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(dir.path(), "broken.ts", &full_stream(4, 2, SEGMENT_SIZE));
    let probed = ffprobe(&[
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=codec_type",
        "-of",
        "csv=p=0",
        text(&file),
    ]);
    assert!(probed.status.success());
    let listed = String::from_utf8_lossy(&probed.stdout);
    assert!(listed.lines().any(|line| line == "video"), "{listed}");
    let remuxed = dir.path().join("broken.mp4");
    let remux = ffmpeg(&["-i", text(&file), "-c", "copy", text(&remuxed)]);
    assert!(
        !remux.status.success(),
        "ffmpeg remuxed a stream without its PPS"
    );
}
