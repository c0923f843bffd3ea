//! `kura check-resources [--apply] [--delete-files] [--report PATH]` (N-L4, N-K3): every
//! resource row against the media directory, and every file there against the rows.
//!
//! Found: a recorded cover or video whose file is gone (`missing_cover`,
//! `missing_video`: `--apply` clears the field), a file the row does not record
//! (`unrecorded_cover`, `unrecorded_video`: recorded), a missing or stale thumbnail
//! (`missing_thumbnail`: made), an orphan file (`orphan_file`: a thumbnail of no cover
//! is removed, media files only with `--delete-files`), a stale `.part` file, temporary
//! file or download work directory (`stale_part`: removed), an unplayable unrecorded
//! video (`corrupt_video`), and a code that predates normalisation
//! (`non_canonical_code`: run `kura fix-codes`). Files younger than a few minutes are
//! not judged: a server on the same data directory may be writing them.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use tokio_util::sync::CancellationToken;

use super::files::{self, Entry, YOUNG_MS};
use super::repair::{Finding, Repair};
use super::report::{Issue, Report};
use super::videos::looks_like_video;
use super::{CheckOptions, Maintenance, Progress, ProgressFn, Result, blocking, now_ms};
use crate::code::{Code, normalize};
use crate::media::{MediaStore, ThumbnailSize};
use crate::store::ResourceFiles;

/// The directory listings a check reads, with the times that decide what is stale.
pub(super) struct Listing {
    pub(crate) covers: Vec<Entry>,
    pub(crate) videos: Vec<Entry>,
    /// Entries of `<media_dir>/work/download`.
    pub(crate) work: Vec<Entry>,
    pub(crate) work_root: std::path::PathBuf,
    /// Partial and temporary files older than this are stale.
    pub(crate) stale_before_ms: i64,
    /// Files newer than this are not judged.
    pub(crate) young_after_ms: i64,
}

impl Maintenance {
    /// Runs the check; repairs with `options.apply`; writes the report.
    pub(crate) async fn check_resources(
        &self,
        options: &CheckOptions,
        cancel: &CancellationToken,
        progress: ProgressFn,
    ) -> Result<Report> {
        let mut report = Report::start("check_resources", options.apply);
        progress(Progress {
            stage: "scanning",
            done: 0,
            total: 0,
            bytes: None,
        });
        let rows = self.store.all_resource_files().await?;
        let media = self.media.clone();
        let work_root = self.download_work_dir.to_path_buf();
        let stale_before_ms = now_ms() - self.settings.stale_part.as_millis() as i64;
        let young_after_ms = report.started_at_ms - YOUNG_MS;
        let (findings, checked) = blocking(move || {
            let [cover_dir, video_dir, _] = media.directories();
            let listing = Listing {
                covers: files::list(&cover_dir)?,
                videos: files::list(&video_dir)?,
                work: files::list(&work_root)?,
                work_root,
                stale_before_ms,
                young_after_ms,
            };
            let findings = analyze(&media, &rows, &listing, &|path| looks_like_video(path));
            let checked = [
                ("resources", rows.len()),
                ("cover_dir_files", listing.covers.len()),
                ("video_dir_files", listing.videos.len()),
                ("download_work_dirs", listing.work.len()),
            ];
            Ok((findings, checked))
        })
        .await?;
        report.summary.checked = checked
            .into_iter()
            .map(|(name, count)| (name.to_owned(), count as u64))
            .collect();
        let findings = self.without_active_downloads(findings).await?;
        report.issues = self
            .repair_all(findings, options, cancel, &progress)
            .await?;
        self.save_report(&mut report, options.report_copy.as_deref())
            .await?;
        Ok(report)
    }

    /// Drops stale-part findings of codes whose download is pending or running.
    pub(super) async fn without_active_downloads(
        &self,
        findings: Vec<Finding>,
    ) -> Result<Vec<Finding>> {
        let mut kept = Vec::with_capacity(findings.len());
        for finding in findings {
            if finding.issue.kind == "stale_part"
                && let Some(code) = &finding.issue.code
                && self.store.active_task("download", code).await?.is_some()
            {
                continue;
            }
            kept.push(finding);
        }
        Ok(kept)
    }
}

/// The findings of one check, from the rows and the listings alone (no file access but
/// `is_video`, asked about unrecorded videos only).
pub(super) fn analyze(
    media: &MediaStore,
    rows: &[ResourceFiles],
    listing: &Listing,
    is_video: &dyn Fn(&Path) -> bool,
) -> Vec<Finding> {
    let [cover_dir, video_dir, _] = media.directories();
    let covers: HashMap<&str, &Entry> = files_by_name(&listing.covers);
    let videos: HashMap<&str, &Entry> = files_by_name(&listing.videos);
    let mut known: HashSet<Code> = HashSet::new();
    let mut legacy: HashSet<&str> = HashSet::new();
    let mut findings = Vec::new();
    let relative = |path: &Path| media.relative(path).unwrap_or_default();
    for row in rows {
        let Some(code) = normalize(&row.code)
            .ok()
            .filter(|code| code.as_str() == row.code)
        else {
            legacy.insert(row.code.as_str());
            findings.push(Finding::new(
                Issue::new(
                    "non_canonical_code",
                    "the stored code predates normalisation; run `kura fix-codes`",
                )
                .code(&row.code),
                Repair::Nothing,
            ));
            continue;
        };
        let Ok(cover_path) = media.cover_target(&code) else {
            continue;
        };
        let cover = covers.get(name_of(&cover_path)).copied();
        match (&row.cover_file, cover) {
            (Some(file), None) => findings.push(Finding::new(
                Issue::new("missing_cover", "recorded but missing")
                    .code(code.as_str())
                    .file(file.clone()),
                Repair::ClearCover(code.clone()),
            )),
            (None, Some(entry)) if entry.modified_ms < listing.young_after_ms => {
                let file = relative(&cover_path);
                findings.push(Finding::new(
                    Issue::new("unrecorded_cover", "a cover file the row does not record")
                        .code(code.as_str())
                        .file(file.clone()),
                    Repair::RecordCover(code.clone(), file),
                ));
            }
            _ => {}
        }
        if let Some(cover) = cover {
            for size in ThumbnailSize::ALL {
                let Ok(path) = media.thumbnail_target(&code, size) else {
                    continue;
                };
                let detail = match covers.get(name_of(&path)) {
                    None => "missing",
                    Some(thumbnail) if thumbnail.modified_ms < cover.modified_ms => {
                        "older than its cover"
                    }
                    Some(_) => continue,
                };
                findings.push(Finding::new(
                    Issue::new(
                        "missing_thumbnail",
                        format!("{} thumbnail {detail}", size.as_str()),
                    )
                    .code(code.as_str())
                    .file(relative(&path)),
                    Repair::Thumbnail(code.clone(), size),
                ));
            }
        }
        let Ok(names) = media.video_names(&code) else {
            continue;
        };
        // The `.mp4` unless only the `.ts` is there, as the media store reads it.
        let video_path = names
            .iter()
            .find(|path| videos.contains_key(name_of(path)))
            .unwrap_or(&names[0])
            .clone();
        match (&row.video_file, videos.get(name_of(&video_path)).copied()) {
            (Some(file), None) => findings.push(Finding::new(
                Issue::new("missing_video", "recorded but missing")
                    .code(code.as_str())
                    .file(file.clone()),
                Repair::ClearVideo(code.clone()),
            )),
            (None, Some(entry)) if entry.modified_ms < listing.young_after_ms => {
                let file = relative(&video_path);
                findings.push(if is_video(&video_path) {
                    Finding::new(
                        Issue::new("unrecorded_video", "a video file the row does not record")
                            .code(code.as_str())
                            .file(file.clone()),
                        Repair::RecordVideo(code.clone(), file, entry.size as i64),
                    )
                } else {
                    Finding::new(
                        Issue::new("corrupt_video", "an unrecorded file that is no video")
                            .code(code.as_str())
                            .file(file),
                        Repair::DeleteMedia(video_path.clone()),
                    )
                });
            }
            _ => {}
        }
        known.insert(code);
    }
    let context = Strays {
        media,
        known: &known,
        legacy: &legacy,
        listing,
    };
    context.cover_dir(&cover_dir, &covers, &mut findings);
    context.video_dir(&video_dir, &mut findings);
    context.work_dirs(&mut findings);
    findings
}

/// What the rows do not explain in the directories.
struct Strays<'a> {
    media: &'a MediaStore,
    known: &'a HashSet<Code>,
    legacy: &'a HashSet<&'a str>,
    listing: &'a Listing,
}

impl Strays<'_> {
    fn cover_dir(&self, dir: &Path, covers: &HashMap<&str, &Entry>, findings: &mut Vec<Finding>) {
        for entry in self.listing.covers.iter().filter(|e| !e.is_dir) {
            if self.temporary(dir, entry, None, findings) || self.too_young(entry) {
                continue;
            }
            let path = dir.join(&entry.name);
            let stem = entry.name.strip_suffix(".jpg").unwrap_or(&entry.name);
            if self.legacy.contains(stem) {
                continue;
            }
            // `{CODE}.jpg`, or `{CODE}.{size}.jpg` beside it.
            if let Some(code) =
                self.code_of(stem, |code| self.media.cover_target(code), &entry.name)
            {
                if !self.known.contains(&code) {
                    findings.push(orphan(
                        self.media,
                        &path,
                        Some(&code),
                        "a cover of no resource",
                    ));
                }
                continue;
            }
            let thumbnail_of = stem.rsplit_once('.').and_then(|(code_text, size_text)| {
                let size = ThumbnailSize::ALL
                    .into_iter()
                    .find(|size| size.as_str() == size_text)?;
                self.code_of(
                    code_text,
                    |code| self.media.thumbnail_target(code, size),
                    &entry.name,
                )
            });
            match thumbnail_of {
                Some(code) => {
                    let cover_there = self
                        .media
                        .cover_target(&code)
                        .is_ok_and(|cover| covers.contains_key(name_of(&cover)));
                    if !cover_there || !self.known.contains(&code) {
                        findings.push(Finding::new(
                            Issue::new("orphan_file", "a thumbnail of no cover")
                                .code(code.as_str())
                                .file(self.media.relative(&path).unwrap_or_default()),
                            Repair::RemoveFile(path),
                        ));
                    }
                }
                None if self.legacy.contains(thumbnail_base(stem)) => {}
                None => findings.push(orphan(self.media, &path, None, "not a cover or thumbnail")),
            }
        }
    }

    fn video_dir(&self, dir: &Path, findings: &mut Vec<Finding>) {
        for entry in self.listing.videos.iter().filter(|e| !e.is_dir) {
            if let Some(stem) = entry.name.strip_suffix(".mp4.part") {
                let code = normalize(stem).ok().filter(|code| code.as_str() == stem);
                self.temporary(dir, entry, Some(code.as_ref()), findings);
                continue;
            }
            if self.temporary(dir, entry, None, findings) || self.too_young(entry) {
                continue;
            }
            let path = dir.join(&entry.name);
            let stem = entry
                .name
                .strip_suffix(".mp4")
                .or_else(|| entry.name.strip_suffix(".ts"))
                .unwrap_or(&entry.name);
            if self.legacy.contains(stem) {
                continue;
            }
            // Subtitles and audio a download saved beside its video.
            if let Some(code) = MediaStore::code_of_track_file(&entry.name) {
                if !self.known.contains(&code) {
                    findings.push(orphan(
                        self.media,
                        &path,
                        Some(&code),
                        "a track of no resource's video",
                    ));
                }
                continue;
            }
            // The name of the code's video with this file's extension.
            let named = |code: &Code| {
                let [mp4, ts] = self.media.video_names(code)?;
                Ok(if entry.name.ends_with(".ts") { ts } else { mp4 })
            };
            match self.code_of(stem, named, &entry.name) {
                Some(code) if self.known.contains(&code) => {}
                Some(code) => findings.push(orphan(
                    self.media,
                    &path,
                    Some(&code),
                    "a video of no resource",
                )),
                None => findings.push(orphan(self.media, &path, None, "not a video of a resource")),
            }
        }
    }

    fn work_dirs(&self, findings: &mut Vec<Finding>) {
        for entry in self.listing.work.iter().filter(|e| e.is_dir) {
            if entry.modified_ms >= self.listing.stale_before_ms {
                continue;
            }
            let path = self.listing.work_root.join(&entry.name);
            let mut issue = Issue::new("stale_part", "a download work directory nobody resumed")
                .file(format!("work/download/{}", entry.name));
            if let Ok(code) = normalize(&entry.name) {
                issue = issue.code(code.as_str());
            }
            findings.push(Finding::new(issue, Repair::RemoveDir(path)));
        }
    }

    /// A `.part` or temporary file: reported when stale. `code` is Some for a video's
    /// `.part` (its download may still be queued). True when the entry was one.
    fn temporary(
        &self,
        dir: &Path,
        entry: &Entry,
        code: Option<Option<&Code>>,
        findings: &mut Vec<Finding>,
    ) -> bool {
        let temporary = code.is_some() || crate::fsio::is_temp_name(&entry.name);
        if temporary && entry.modified_ms < self.listing.stale_before_ms {
            let path = dir.join(&entry.name);
            let mut issue = Issue::new("stale_part", "a partial or temporary file left behind")
                .file(self.media.relative(&path).unwrap_or_default());
            if let Some(Some(code)) = code {
                issue = issue.code(code.as_str());
            }
            findings.push(Finding::new(issue, Repair::RemoveFile(path)));
        }
        temporary
    }

    fn too_young(&self, entry: &Entry) -> bool {
        entry.modified_ms >= self.listing.young_after_ms
    }

    /// The code whose file (by `target`) is exactly `name`.
    fn code_of(
        &self,
        text: &str,
        target: impl Fn(&Code) -> crate::media::Result<std::path::PathBuf>,
        name: &str,
    ) -> Option<Code> {
        let code = normalize(text).ok()?;
        let path = target(&code).ok()?;
        (name_of(&path) == name).then_some(code)
    }
}

fn orphan(media: &MediaStore, path: &Path, code: Option<&Code>, detail: &str) -> Finding {
    let mut issue =
        Issue::new("orphan_file", detail).file(media.relative(path).unwrap_or_default());
    if let Some(code) = code {
        issue = issue.code(code.as_str());
    }
    Finding::new(issue, Repair::DeleteMedia(path.to_owned()))
}

fn files_by_name(entries: &[Entry]) -> HashMap<&str, &Entry> {
    entries
        .iter()
        .filter(|entry| !entry.is_dir)
        .map(|entry| (entry.name.as_str(), entry))
        .collect()
}

/// `demo_07` of `demo_07.small`.
fn thumbnail_base(stem: &str) -> &str {
    stem.rsplit_once('.').map_or(stem, |(base, _)| base)
}

fn name_of(path: &Path) -> &str {
    path.file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
