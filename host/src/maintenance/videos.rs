//! `kura check-videos [--apply] [--delete-files] [--limit N] [--report PATH]` (N-L5,
//! N-K5): the video files themselves. Each recorded video (the most recently saved
//! first; `--limit` checks only that many) must exist (`missing_video`: `--apply`
//! clears it), be a video (`corrupt_video`: deleted and cleared only with
//! `--delete-files`, so it can be downloaded again): its first bytes look like one and,
//! when ffprobe is installed, ffprobe finds a video stream in it; and have the recorded size
//! (`size_mismatch`: the file's size is recorded). A video file of a resource that does
//! not record it is recorded when it looks like a video (`unrecorded_video`); one of no
//! resource is an `orphan_file` (deleted only with `--delete-files`).

use std::cmp::Reverse;
use std::collections::HashSet;
use std::path::Path;

use tokio_util::sync::CancellationToken;

use super::files::{self, YOUNG_MS};
use super::repair::{Finding, Repair};
use super::report::{Issue, Report};
use super::{CheckOptions, Maintenance, Progress, ProgressFn, Result, blocking};
use crate::code::{Code, normalize};
use crate::store::ResourceFiles;

impl Maintenance {
    /// Runs the check; repairs with `options.apply`; writes the report.
    pub(crate) async fn check_videos(
        &self,
        options: &CheckOptions,
        cancel: &CancellationToken,
        progress: ProgressFn,
    ) -> Result<Report> {
        let mut report = Report::start("check_videos", options.apply);
        let rows = self.store.all_resource_files().await?;
        let media = self.media.clone();
        let limit = options.limit;
        let young_after_ms = report.started_at_ms - YOUNG_MS;
        let ffprobe = crate::util::find_program("ffprobe");
        let scan_cancel = cancel.clone();
        let scan_progress = progress.clone();
        let (findings, checked) = blocking(move || {
            let mut findings = Vec::new();
            let mut recorded: Vec<(&ResourceFiles, Code)> = rows
                .iter()
                .filter(|row| row.video_file.is_some())
                .filter_map(|row| Some((row, canonical(&row.code)?)))
                .collect();
            let recorded_total = recorded.len();
            recorded.sort_by_key(|(row, _)| Reverse(row.video_saved_at.unwrap_or(0)));
            if let Some(limit) = limit {
                recorded.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            }
            let total = recorded.len() as u64;
            let mut bytes = 0;
            for (index, (row, code)) in recorded.iter().enumerate() {
                super::check_cancelled(&scan_cancel)?;
                // The file the record names; a record naming another file is read as
                // the `.mp4` (and found missing).
                let path = row
                    .video_file
                    .as_deref()
                    .and_then(|recorded| media.recorded_video_path(code, recorded).ok())
                    .map_or_else(|| media.video_path(code), Ok)?;
                let relative = media.relative(&path).unwrap_or_default();
                let issue = |kind: &str, detail: String| {
                    Issue::new(kind, detail)
                        .code(code.as_str())
                        .file(relative.clone())
                };
                let metadata = std::fs::metadata(&path);
                let problem = match &metadata {
                    Ok(metadata) if metadata.len() > 0 => video_problem(&path, ffprobe.as_deref()),
                    _ => Some("an empty file".to_owned()),
                };
                match metadata {
                    Err(_) => findings.push(Finding::new(
                        issue("missing_video", "recorded but missing".to_owned()),
                        Repair::ClearVideo(code.clone()),
                    )),
                    Ok(metadata) if problem.is_some() => {
                        findings.push(Finding::new(
                            issue(
                                "corrupt_video",
                                format!(
                                    "{} bytes: {}",
                                    metadata.len(),
                                    problem.unwrap_or_default()
                                ),
                            ),
                            Repair::DeleteVideo(code.clone(), path.clone()),
                        ));
                    }
                    Ok(metadata) if row.video_size != Some(metadata.len() as i64) => {
                        bytes += metadata.len();
                        findings.push(Finding::new(
                            issue(
                                "size_mismatch",
                                format!(
                                    "recorded {} bytes, the file has {}",
                                    row.video_size.unwrap_or(0),
                                    metadata.len()
                                ),
                            ),
                            Repair::VideoSize(code.clone(), metadata.len() as i64),
                        ));
                    }
                    Ok(metadata) => bytes += metadata.len(),
                }
                scan_progress(Progress {
                    stage: "checking",
                    done: index as u64 + 1,
                    total,
                    bytes: Some(bytes),
                });
            }
            // Files in the directory the rows do not record.
            let unrecorded: HashSet<&str> = rows
                .iter()
                .filter(|row| row.video_file.is_none())
                .map(|row| row.code.as_str())
                .collect();
            let known: HashSet<&str> = rows.iter().map(|row| row.code.as_str()).collect();
            let [_, video_dir, _] = media.directories();
            for entry in files::list(&video_dir)? {
                let Some(stem) = entry
                    .name
                    .strip_suffix(".mp4")
                    .or_else(|| entry.name.strip_suffix(".ts"))
                else {
                    continue;
                };
                let Some(code) = canonical(stem) else {
                    continue;
                };
                let path = video_dir.join(&entry.name);
                if entry.is_dir
                    || entry.modified_ms >= young_after_ms
                    || !media.video_names(&code)?.contains(&path)
                {
                    continue;
                }
                let relative = media.relative(&path).unwrap_or_default();
                if !known.contains(stem) {
                    findings.push(Finding::new(
                        Issue::new("orphan_file", "a video of no resource")
                            .code(stem)
                            .file(relative),
                        Repair::DeleteMedia(path),
                    ));
                } else if unrecorded.contains(stem) {
                    findings.push(if video_problem(&path, ffprobe.as_deref()).is_none() {
                        Finding::new(
                            Issue::new("unrecorded_video", "a video file the row does not record")
                                .code(stem)
                                .file(relative.clone()),
                            Repair::RecordVideo(code, relative, entry.size as i64),
                        )
                    } else {
                        Finding::new(
                            Issue::new("corrupt_video", "an unrecorded file that is no video")
                                .code(stem)
                                .file(relative),
                            Repair::DeleteMedia(path),
                        )
                    });
                }
            }
            let checked = [
                ("videos_recorded", recorded_total as u64),
                ("videos_checked", total),
                ("bytes_checked", bytes),
            ];
            Ok((findings, checked))
        })
        .await?;
        report.summary.checked = checked
            .into_iter()
            .map(|(name, count)| (name.to_owned(), count))
            .collect();
        report.issues = self
            .repair_all(findings, options, cancel, &progress)
            .await?;
        self.save_report(&mut report, options.report_copy.as_deref())
            .await?;
        Ok(report)
    }
}

/// The code when `text` is one in canonical form (legacy rows are fix-codes' business).
fn canonical(text: &str) -> Option<Code> {
    normalize(text).ok().filter(|code| code.as_str() == text)
}

/// Why the file at `path` is no video, if it is not: its first bytes are no video's, or
/// `ffprobe` (when given) finds no video stream in it (a header over garbage, a file
/// cut before its index).
fn video_problem(path: &Path, ffprobe: Option<&Path>) -> Option<String> {
    if !looks_like_video(path) {
        return Some("they do not start like a video".to_owned());
    }
    let ffprobe = ffprobe?;
    let probed = std::process::Command::new(ffprobe)
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=codec_type", "-of", "csv=p=0"])
        .arg(path)
        .stdin(std::process::Stdio::null())
        .output();
    match probed {
        // One line per listing of the stream (MPEG-TS lists it under its program too).
        Ok(out)
            if out.status.success()
                && String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .any(|line| line.trim() == "video") =>
        {
            None
        }
        Ok(out) => {
            let message = String::from_utf8_lossy(&out.stderr);
            let last = message
                .lines()
                .map(str::trim)
                .rfind(|line| !line.is_empty());
            Some(match last {
                Some(line) => format!("ffprobe finds no video stream ({line})"),
                None => "ffprobe finds no video stream".to_owned(),
            })
        }
        // ffprobe could not run: the byte test stands.
        Err(_) => None,
    }
}

/// A file that starts like a video: MP4/MOV boxes, MPEG-TS sync bytes, Matroska/WebM.
pub(super) fn looks_like_video(path: &Path) -> bool {
    crate::media::container_of(path).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffprobe_tells_a_video_from_a_header_over_garbage() {
        let (Some(ffprobe), Some(ffmpeg)) = (
            crate::util::find_program("ffprobe"),
            crate::util::find_program("ffmpeg"),
        ) else {
            eprintln!("skipped: ffmpeg and ffprobe are not installed");
            return;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let real = dir.path().join("real.mp4");
        let made = std::process::Command::new(ffmpeg)
            .args([
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=1:size=64x64",
            ])
            .args(["-c:v", "mpeg4", "-y"])
            .arg(&real)
            .status()
            .expect("ffmpeg runs");
        assert!(made.success(), "ffmpeg made a test video");
        assert_eq!(video_problem(&real, Some(&ffprobe)), None);
        // A real start, then garbage: the first bytes pass, ffprobe does not.
        let mut fake = std::fs::read(&real).expect("video")[..32].to_vec();
        fake.extend((0..64 * 1024).map(|i| (i * 7 % 251) as u8));
        let broken = dir.path().join("broken.mp4");
        std::fs::write(&broken, &fake).expect("write");
        assert!(looks_like_video(&broken));
        let problem = video_problem(&broken, Some(&ffprobe)).expect("no video");
        assert!(problem.contains("ffprobe"), "{problem}");
        // Without ffprobe the byte test stands.
        assert_eq!(video_problem(&broken, None), None);
        assert!(video_problem(Path::new("/nonexistent"), None).is_some());
    }
}
