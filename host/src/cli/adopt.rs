//! `kura import nassav --resources DIR`: adopts the replaced system's media tree,
//! `DIR/resource/cover/{AVID}.jpg` and `DIR/resource/video/{AVID}.mp4`, into Kura's
//! layout under normalised codes. Files are copied (or hard-linked with `--link`) into
//! the media directory, written whole or not at all; nothing in DIR changes. A code not
//! in the library becomes a resource holding its files, with an `add_resource` task to
//! fetch its metadata; a resource already there gets the files it lacks. A file Kura
//! already has is kept, so running it again changes nothing. Thumbnails are made at
//! the end.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::code::{Code, normalize};
use crate::config::Config;
use crate::fsio;
use crate::media::MediaStore;
use crate::store::{Enqueued, ImportedState, ImportedVideo, NewTask, ResourceWrite, Store};
use crate::types::Priority;

/// What an adoption did.
#[derive(Debug, Default)]
pub(super) struct Adopted {
    pub(super) covers: usize,
    pub(super) videos: usize,
    /// Files Kura already had (left as they were).
    pub(super) kept: usize,
    pub(super) created: usize,
    pub(super) queued: usize,
    /// File names that are no code, with the reason.
    pub(super) invalid: Vec<(String, String)>,
    pub(super) thumbnails: usize,
}

/// One code's files in the old tree.
#[derive(Debug, Default)]
struct Found {
    cover: Option<PathBuf>,
    video: Option<PathBuf>,
}

/// Adopts `dir`'s tree into the library of `config`.
pub(super) async fn adopt(
    config: &Config,
    store: &Store,
    dir: &Path,
    link: bool,
) -> anyhow::Result<Adopted> {
    let media = super::library::open_media(config)?;
    let mut adopted = Adopted::default();
    let mut found: BTreeMap<Code, Found> = BTreeMap::new();
    for (sub, extension) in [("resource/cover", "jpg"), ("resource/video", "mp4")] {
        let folder = dir.join(sub);
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => {
                return Err(error).with_context(|| format!("cannot list {}", folder.display()));
            }
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", folder.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(&format!(".{extension}")) else {
                continue;
            };
            if !entry.file_type().is_ok_and(|kind| kind.is_file()) {
                continue;
            }
            match normalize(stem) {
                Ok(code) => {
                    let slot = found.entry(code).or_default();
                    if extension == "jpg" {
                        slot.cover = Some(entry.path());
                    } else {
                        slot.video = Some(entry.path());
                    }
                }
                Err(error) => adopted
                    .invalid
                    .push((format!("{sub}/{name}"), error.to_string())),
            }
        }
    }
    let known: BTreeSet<String> = store
        .all_codes()
        .await?
        .into_iter()
        .map(|(_, code)| code)
        .collect();
    for (code, files) in found {
        let is_new = !known.contains(code.as_str());
        let cover = match &files.cover {
            Some(source) => place(
                &media,
                source,
                &media.cover_target(&code)?,
                link,
                &mut adopted.kept,
            )
            .await?
            .inspect(|_| adopted.covers += 1),
            None => None,
        };
        let video = match &files.video {
            Some(source) => place(
                &media,
                source,
                &media.video_path(&code)?,
                link,
                &mut adopted.kept,
            )
            .await?
            .inspect(|_| adopted.videos += 1),
            None => None,
        };
        if is_new {
            let write = ResourceWrite {
                code: code.as_str().to_owned(),
                ..ResourceWrite::default()
            };
            let state = ImportedState {
                video: video.as_ref().map(|(file, size)| ImportedVideo {
                    file: file.clone(),
                    size: *size as i64,
                    saved_at: crate::store::now_ms(),
                }),
                translation_status: crate::store::TranslationStatus::Pending,
                title_translated: None,
            };
            store.import_resources(&[(write, state)]).await?;
            adopted.created += 1;
            if let Enqueued::Created(_) = queue_add(config, store, &code).await? {
                adopted.queued += 1;
            }
        } else if let Some((file, size)) = &video {
            store.set_video(code.as_str(), file, *size as i64).await?;
        }
        if let Some((file, _)) = &cover {
            store.set_cover_file(code.as_str(), file).await?;
        }
    }
    let thumbnails =
        crate::media::offload(move || media.regenerate_thumbnails(false, |_, _| {})).await??;
    adopted.thumbnails = thumbnails.generated;
    Ok(adopted)
}

/// Queues an `add_resource` task for `code` in the database (a server on it runs it), or
/// finds the one already queued or running.
pub(super) async fn queue_add(
    config: &Config,
    store: &Store,
    code: &Code,
) -> crate::store::Result<Enqueued> {
    let task = NewTask {
        kind: "add_resource".to_owned(),
        lane: crate::tasks::GENERAL_LANE.to_owned(),
        priority: Priority::Normal,
        dedup_key: Some(code.as_str().to_owned()),
        payload: serde_json::json!({ "code": code.as_str() }).to_string(),
        max_attempts: config.tasks.max_attempts,
        run_after: crate::store::now_ms(),
    };
    store.enqueue(&task).await
}

/// Copies (or hard-links) `source` to `target` unless Kura already has a file there;
/// the placed file as the store records it (relative path) and its size. A copy goes
/// through a synced temporary file that only takes the name when whole (and only when
/// it is still free); a hard link is whole at once.
async fn place(
    media: &MediaStore,
    source: &Path,
    target: &Path,
    link: bool,
    kept: &mut usize,
) -> anyhow::Result<Option<(String, u64)>> {
    if target.exists() {
        *kept += 1;
        return Ok(None);
    }
    let relative = media
        .relative(target)
        .with_context(|| format!("{} is outside the media directory", target.display()))?;
    let (source, target) = (source.to_owned(), target.to_owned());
    let size = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let dir = target.parent().context("a media file has a directory")?;
        std::fs::create_dir_all(dir)?;
        if link {
            std::fs::hard_link(&source, &target).with_context(|| {
                format!(
                    "cannot hard-link {} (another filesystem?)",
                    source.display()
                )
            })?;
        } else {
            let mut temporary = fsio::temp_file(dir, 0o644)?;
            let mut input = std::fs::File::open(&source)
                .with_context(|| format!("cannot read {}", source.display()))?;
            std::io::copy(&mut input, temporary.as_file_mut())
                .with_context(|| format!("cannot copy {}", source.display()))?;
            fsio::persist(
                temporary,
                &target,
                fsio::WriteOptions::new(0o644).create_new(),
            )
            .map_err(|failed| failed.error)
            .with_context(|| format!("cannot write {}", target.display()))?;
        }
        Ok(std::fs::metadata(&target)?.len())
    })
    .await??;
    Ok(Some((relative, size)))
}
