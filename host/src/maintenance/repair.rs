//! What the consistency checks found and how each finding is repaired: database fields
//! set or cleared, thumbnails made, partial and temporary files removed, and media files
//! deleted only when `--delete-files` asks for it.

use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use super::report::Issue;
use super::{CheckOptions, Maintenance, Progress, ProgressFn, Result, blocking, files};
use crate::code::Code;
use crate::media::ThumbnailSize;

/// One repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Repair {
    /// Nothing this command can do (the issue says what to run instead).
    Nothing,
    ClearCover(Code),
    RecordCover(Code, String),
    ClearVideo(Code),
    RecordVideo(Code, String, i64),
    /// The recorded size differs from the file's.
    VideoSize(Code, i64),
    Thumbnail(Code, ThumbnailSize),
    ClearAvatar(i64),
    RecordAvatar(i64, String),
    /// A partial, temporary or derived file (not media): removed by `--apply`.
    RemoveFile(PathBuf),
    /// A stale download work directory: removed by `--apply`.
    RemoveDir(PathBuf),
    /// A media file (orphan or broken): removed only with `--delete-files`.
    DeleteMedia(PathBuf),
    /// A recorded video that is broken: deleted and forgotten, only with
    /// `--delete-files` (the resource can then be downloaded again).
    DeleteVideo(Code, PathBuf),
}

impl Repair {
    fn describe(&self) -> String {
        match self {
            Self::Nothing => "none".to_owned(),
            Self::ClearCover(_) => "clear the cover in the database".to_owned(),
            Self::RecordCover(_, file) => format!("record {file} as the cover"),
            Self::ClearVideo(_) => "clear the video in the database".to_owned(),
            Self::RecordVideo(_, file, _) => format!("record {file} as the video"),
            Self::VideoSize(_, size) => format!("record the size {size}"),
            Self::Thumbnail(_, size) => format!("make the {} thumbnail", size.as_str()),
            Self::ClearAvatar(_) => "clear the avatar in the database".to_owned(),
            Self::RecordAvatar(_, file) => format!("record {file} as the avatar"),
            Self::RemoveFile(_) => "remove the file".to_owned(),
            Self::RemoveDir(_) => "remove the directory".to_owned(),
            Self::DeleteMedia(_) => "delete the file (--delete-files)".to_owned(),
            Self::DeleteVideo(..) => {
                "delete the file and clear the video in the database (--delete-files)".to_owned()
            }
        }
    }
}

/// An issue and its repair.
#[derive(Debug, Clone)]
pub(super) struct Finding {
    pub(crate) issue: Issue,
    pub(crate) repair: Repair,
}

impl Finding {
    pub(super) fn new(issue: Issue, repair: Repair) -> Self {
        Self { issue, repair }
    }
}

impl Maintenance {
    /// Without `apply`, notes on each issue what a repair would do; with it, repairs
    /// one finding at a time (stopping between them when cancelled).
    pub(super) async fn repair_all(
        &self,
        findings: Vec<Finding>,
        options: &CheckOptions,
        cancel: &CancellationToken,
        progress: &ProgressFn,
    ) -> Result<Vec<Issue>> {
        let total = findings.len() as u64;
        let mut issues = Vec::with_capacity(findings.len());
        for (index, Finding { mut issue, repair }) in findings.into_iter().enumerate() {
            if repair == Repair::Nothing {
                issues.push(issue);
                continue;
            }
            let needs_flag = matches!(repair, Repair::DeleteMedia(_) | Repair::DeleteVideo(..))
                && !options.delete_files;
            if !options.apply || needs_flag {
                issue.needs(repair.describe());
                issues.push(issue);
                continue;
            }
            super::check_cancelled(cancel)?;
            let outcome = self.repair(&repair).await;
            issue.outcome(repair.describe(), outcome);
            issues.push(issue);
            progress(Progress {
                stage: "repairing",
                done: index as u64 + 1,
                total,
                bytes: None,
            });
        }
        Ok(issues)
    }

    async fn repair(&self, repair: &Repair) -> Result<(), String> {
        let store = &self.store;
        let text = |error: &dyn std::fmt::Display| error.to_string();
        match repair {
            Repair::Nothing => Ok(()),
            Repair::ClearCover(code) => {
                // A cover saved since the scan is kept.
                let path = self.media.cover_target(code).map_err(|e| text(&e))?;
                if path.is_file() {
                    return Err("the file is there again; left as is".to_owned());
                }
                store
                    .clear_cover(code.as_str())
                    .await
                    .map(drop)
                    .map_err(|e| text(&e))
            }
            Repair::RecordCover(code, file) => store
                .set_cover_file(code.as_str(), file)
                .await
                .map(drop)
                .map_err(|e| text(&e)),
            Repair::ClearVideo(code) => {
                let names = self.media.video_names(code).map_err(|e| text(&e))?;
                if names.iter().any(|path| path.is_file()) {
                    return Err("the file is there again; left as is".to_owned());
                }
                store
                    .clear_video(code.as_str())
                    .await
                    .map(drop)
                    .map_err(|e| text(&e))
            }
            Repair::RecordVideo(code, file, size) => store
                .set_video(code.as_str(), file, *size)
                .await
                .map(drop)
                .map_err(|e| text(&e)),
            Repair::VideoSize(code, size) => store
                .set_video_size(code.as_str(), *size)
                .await
                .map(drop)
                .map_err(|e| text(&e)),
            Repair::DeleteVideo(code, path) => {
                let path = path.clone();
                blocking(move || files::remove_file(&path))
                    .await
                    .map_err(|e| text(&e))?;
                store
                    .clear_video(code.as_str())
                    .await
                    .map(drop)
                    .map_err(|e| text(&e))
            }
            Repair::Thumbnail(code, size) => {
                let (media, code, size) = (self.media.clone(), code.clone(), *size);
                blocking(move || Ok(media.thumbnail(&code, size)?))
                    .await
                    .map(drop)
                    .map_err(|e| text(&e))
            }
            Repair::ClearAvatar(id) => store
                .set_person_avatar(*id, None)
                .await
                .map(drop)
                .map_err(|e| text(&e)),
            Repair::RecordAvatar(id, file) => store
                .set_person_avatar(*id, Some(file))
                .await
                .map(drop)
                .map_err(|e| text(&e)),
            Repair::RemoveFile(path) | Repair::DeleteMedia(path) => {
                let path = path.clone();
                blocking(move || files::remove_file(&path))
                    .await
                    .map(drop)
                    .map_err(|e| text(&e))
            }
            Repair::RemoveDir(path) => {
                let path = path.clone();
                blocking(move || std::fs::remove_dir_all(&path).map_err(files::io_error(&path)))
                    .await
                    .map_err(|e| text(&e))
            }
        }
    }
}
