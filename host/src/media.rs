//! Media files on disk: covers, their thumbnails, videos and avatars under one root (N-I1).
//!
//! Layout under the root: `resource/cover/{CODE}.jpg` with thumbnails beside it as
//! `{CODE}.small.jpg`, `.medium.jpg`, `.large.jpg`; `resource/video/{CODE}.mp4`;
//! `resource/avatar/{id}.jpg`. Every path is computed from a [`Code`] or a numeric id and
//! checked to stay under the root (`paths.rs`); nothing here takes a path from a request.
//!
//! Everything on [`MediaStore`] that touches the disk is blocking file I/O and image
//! work: async code runs it through [`MediaStore::blocking`] or [`offload`] (tokio's
//! blocking pool), never on an async worker; debug builds panic when it is (`offload.rs`).
//! Methods that only compute a path do not block. The API serves the files it names.

mod codec;
mod container;
mod files;
mod offload;
mod paths;
mod thumbnail;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::code::Code;

pub(crate) use container::{Container, VideoFile, container_of};
pub(crate) use offload::offload;
pub(crate) use thumbnail::ThumbnailSize;

/// Why a media operation failed; messages never show more of a path than the caller gave.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("unsupported image format {format} (JPEG, PNG or WebP expected)")]
    Unsupported { format: String },
    #[error("cannot decode the image: {reason}")]
    Decode { reason: String },
    #[error("image too large: {detail}")]
    TooLarge { detail: String },
    #[error("cannot encode the image as JPEG: {reason}")]
    Encode { reason: String },
    #[error("cannot resize the image: {reason}")]
    Resize { reason: String },
    #[error("person id {id} is not a positive number")]
    InvalidId { id: i64 },
    #[error("path {path} would leave the media root")]
    OutsideRoot { path: PathBuf },
    #[error("the blocking media work failed: {reason}")]
    Offload { reason: String },
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Results of this module.
pub(crate) type Result<T, E = MediaError> = std::result::Result<T, E>;

/// An image stored by [`MediaStore::save_cover`] or [`MediaStore::save_avatar`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct SavedImage {
    /// Path relative to the media root, with forward slashes: `resource/cover/ABC-123.jpg`.
    pub(crate) file: String,
    /// Width in pixels, as displayed (EXIF orientation applied).
    pub(crate) width: u32,
    /// Height in pixels, as displayed.
    pub(crate) height: u32,
    /// Size of the stored file.
    pub(crate) bytes: u64,
}

/// The media directory; cheap to clone (the root is shared).
#[derive(Debug, Clone)]
pub struct MediaStore {
    root: Arc<Path>,
}

impl MediaStore {
    /// Opens the media root, creating `resource/cover`, `resource/video` and
    /// `resource/avatar` under it when missing.
    pub fn new(root: PathBuf) -> Result<Self> {
        for dir in [paths::COVER_DIR, paths::VIDEO_DIR, paths::AVATAR_DIR] {
            let path = root.join(dir);
            std::fs::create_dir_all(&path).map_err(|source| MediaError::Io { path, source })?;
        }
        Ok(Self {
            root: Arc::from(root),
        })
    }

    /// The root every media path lies under.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Stores a cover: JPEG kept byte for byte, PNG and WebP re-encoded to JPEG; replaces
    /// the previous cover atomically and deletes its now stale thumbnails.
    pub(crate) fn save_cover(&self, code: &Code, bytes: &[u8]) -> Result<SavedImage> {
        offload::check_blocking_allowed("save_cover");
        let target = paths::cover(&self.root, code)?;
        let saved = self.save_image(&target, paths::cover_relative(code), bytes)?;
        // The thumbnails show the old picture; the next request makes new ones.
        for size in ThumbnailSize::ALL {
            files::remove_if_exists(&paths::thumbnail(&self.root, code, size)?)?;
        }
        tracing::debug!(code = %code, file = %saved.file, "cover stored");
        Ok(saved)
    }

    /// Stores a person's avatar under the same rules as a cover.
    pub(crate) fn save_avatar(&self, person_id: i64, bytes: &[u8]) -> Result<SavedImage> {
        offload::check_blocking_allowed("save_avatar");
        let target = paths::avatar(&self.root, person_id)?;
        let relative = paths::avatar_relative(person_id)?;
        self.save_image(&target, relative, bytes)
    }

    /// Deletes the cover, its thumbnails, the video and a partial download of it; files
    /// already missing are fine. Every file is attempted; the first error is returned.
    pub(crate) fn delete_all(&self, code: &Code) -> Result<()> {
        offload::check_blocking_allowed("delete_all");
        let mut targets = vec![
            paths::cover(&self.root, code)?,
            paths::video_part(&self.root, code)?,
        ];
        targets.extend(paths::video_names(&self.root, code)?);
        for size in ThumbnailSize::ALL {
            targets.push(paths::thumbnail(&self.root, code, size)?);
        }
        let mut first_error = None;
        for target in &targets {
            if let Err(error) = files::remove_if_exists(target) {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Deletes the video, under either of its names; true when a file was removed.
    pub(crate) fn delete_video(&self, code: &Code) -> Result<bool> {
        offload::check_blocking_allowed("delete_video");
        let mut removed = false;
        for path in paths::video_names(&self.root, code)? {
            removed |= files::remove_if_exists(&path)?;
        }
        Ok(removed)
    }

    /// The path of a track file recorded for `code`'s video; [`MediaError::NotFound`]
    /// when it is gone, [`MediaError::OutsideRoot`] when the record names another file.
    pub(crate) fn video_track_path(&self, code: &Code, relative: &str) -> Result<PathBuf> {
        offload::check_blocking_allowed("video_track_path");
        existing(paths::video_track(&self.root, code, relative)?, || {
            format!("track {relative} of {code}")
        })
    }

    /// Deletes the recorded track files of `code`'s video, every one it can (a record
    /// naming another file is refused, not followed); how many were removed, or the first
    /// error once all were tried.
    pub(crate) fn delete_video_tracks(&self, code: &Code, relative: &[String]) -> Result<usize> {
        offload::check_blocking_allowed("delete_video_tracks");
        let mut removed = 0;
        let mut first_error = None;
        for file in relative {
            match paths::video_track(&self.root, code, file)
                .and_then(|path| files::remove_if_exists(&path))
            {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(removed), Err)
    }

    /// Whether a file name in the video directory is a track file of `code`'s form
    /// (`{CODE}.{tag}.{ext}`); the code it belongs to.
    pub(crate) fn code_of_track_file(name: &str) -> Option<Code> {
        paths::code_of_track_file(name)
    }

    /// The cover's path; [`MediaError::NotFound`] when there is none.
    pub(crate) fn cover_path(&self, code: &Code) -> Result<PathBuf> {
        offload::check_blocking_allowed("cover_path");
        existing(paths::cover(&self.root, code)?, || {
            format!("cover of {code}")
        })
    }

    /// The container and size of the video file recorded for `code` (`relative`, as the
    /// record has it); [`MediaError::NotFound`] when it is gone,
    /// [`MediaError::OutsideRoot`] when the record names another file.
    pub(crate) fn video_file(&self, code: &Code, relative: &str) -> Result<VideoFile> {
        offload::check_blocking_allowed("video_file");
        container::probe(&self.recorded_video_path(code, relative)?, || {
            format!("video of {code}")
        })
    }

    /// Where a download of the video is asked to write: `resource/video/{CODE}.mp4` (a
    /// stream kept as MPEG-TS is published beside it as `{CODE}.ts`).
    pub(crate) fn video_path(&self, code: &Code) -> Result<PathBuf> {
        paths::video(&self.root, code)
    }

    /// The path of the video file recorded for `code` (`relative`, as the record has it:
    /// `resource/video/{CODE}.mp4` or `{CODE}.ts`); [`MediaError::OutsideRoot`] when the
    /// record names another file. It may not exist.
    pub(crate) fn recorded_video_path(&self, code: &Code, relative: &str) -> Result<PathBuf> {
        paths::recorded_video(&self.root, code, relative)
    }

    /// Every name the video of `code` can have: `{CODE}.mp4`, then `{CODE}.ts` (a stream
    /// kept as MPEG-TS).
    pub(crate) fn video_names(&self, code: &Code) -> Result<[PathBuf; 2]> {
        paths::video_names(&self.root, code)
    }

    /// The avatar's path; [`MediaError::NotFound`] when there is none.
    pub(crate) fn avatar_path(&self, person_id: i64) -> Result<PathBuf> {
        offload::check_blocking_allowed("avatar_path");
        existing(paths::avatar(&self.root, person_id)?, || {
            format!("avatar of person {person_id}")
        })
    }

    /// Where the cover is or would be stored (it may not exist).
    pub(crate) fn cover_target(&self, code: &Code) -> Result<PathBuf> {
        paths::cover(&self.root, code)
    }

    /// Where the thumbnail of `size` is or would be stored (it may not exist).
    pub(crate) fn thumbnail_target(&self, code: &Code, size: ThumbnailSize) -> Result<PathBuf> {
        paths::thumbnail(&self.root, code, size)
    }

    /// Where the avatar is or would be stored (it may not exist).
    pub(crate) fn avatar_target(&self, person_id: i64) -> Result<PathBuf> {
        paths::avatar(&self.root, person_id)
    }

    /// The directories the maintenance checks list: covers with their thumbnails,
    /// videos, avatars.
    pub(crate) fn directories(&self) -> [PathBuf; 3] {
        [paths::COVER_DIR, paths::VIDEO_DIR, paths::AVATAR_DIR].map(|dir| self.root.join(dir))
    }

    /// A path under the root as the store records it: relative, forward slashes.
    pub(crate) fn relative(&self, path: &Path) -> Option<String> {
        let rest = path.strip_prefix(&self.root).ok()?;
        Some(rest.to_string_lossy().replace('\\', "/"))
    }

    fn save_image(&self, target: &Path, relative: String, bytes: &[u8]) -> Result<SavedImage> {
        let prepared = codec::prepare_jpeg(bytes)?;
        files::write_atomic(target, &prepared.bytes, None)?;
        Ok(SavedImage {
            file: relative,
            width: prepared.width,
            height: prepared.height,
            bytes: prepared.bytes.len() as u64,
        })
    }
}

fn existing(path: PathBuf, what: impl FnOnce() -> String) -> Result<PathBuf> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(MediaError::NotFound { what: what() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::normalize;
    use crate::media::codec::tests::{encode, sample};
    use image::ImageFormat;

    fn store() -> (tempfile::TempDir, MediaStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::new(dir.path().join("media")).unwrap();
        (dir, store)
    }

    #[test]
    fn new_creates_the_layout() {
        let (_dir, store) = store();
        for dir in ["resource/cover", "resource/video", "resource/avatar"] {
            assert!(store.root().join(dir).is_dir(), "{dir}");
        }
    }

    #[test]
    fn save_cover_keeps_jpeg_and_reencodes_others() {
        let (_dir, store) = store();
        let code = normalize("abc-123").unwrap();
        let check = |format: ImageFormat, kept_as_is: bool| {
            let input = encode(&sample(300, 200), format);
            let saved = store.save_cover(&code, &input).unwrap();
            assert_eq!(saved.file, "resource/cover/ABC-123.jpg");
            assert_eq!((saved.width, saved.height), (300, 200), "{format:?}");
            let path = store.cover_path(&code).unwrap();
            let stored = std::fs::read(&path).unwrap();
            assert_eq!(saved.bytes, stored.len() as u64);
            assert_eq!(stored == input, kept_as_is, "{format:?}");
            assert_eq!(image::guess_format(&stored).unwrap(), ImageFormat::Jpeg);
        };
        check(ImageFormat::Jpeg, true);
        check(ImageFormat::Png, false);
        check(ImageFormat::WebP, false);
    }

    #[test]
    fn save_refuses_garbage_and_unsupported_formats() {
        let (_dir, store) = store();
        let code = normalize("ABC-123").unwrap();
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
        let mut truncated = encode(&sample(64, 64), ImageFormat::Png);
        truncated.truncate(60);
        for (name, bytes) in [
            ("empty", Vec::new()),
            ("text", b"<html>not an image</html>".to_vec()),
            ("gif", gif),
            ("truncated png", truncated),
        ] {
            let error = store.save_cover(&code, &bytes).unwrap_err();
            assert!(
                matches!(
                    error,
                    MediaError::Decode { .. } | MediaError::Unsupported { .. }
                ),
                "{name}: {error}"
            );
        }
        assert!(matches!(
            store.cover_path(&code),
            Err(MediaError::NotFound { .. })
        ));
        let error = store.save_avatar(7, b"garbage").unwrap_err();
        assert!(matches!(error, MediaError::Decode { .. }), "{error}");
    }

    #[test]
    fn avatars_need_a_positive_id() {
        let (_dir, store) = store();
        let png = encode(&sample(40, 50), ImageFormat::Png);
        for id in [0, -1, i64::MIN] {
            let error = store.save_avatar(id, &png).unwrap_err();
            assert!(matches!(error, MediaError::InvalidId { .. }), "{id}");
            assert!(store.avatar_path(id).is_err(), "{id}");
        }
        assert!(matches!(
            store.avatar_path(42),
            Err(MediaError::NotFound { .. })
        ));
        let saved = store.save_avatar(42, &png).unwrap();
        assert_eq!(saved.file, "resource/avatar/42.jpg");
        assert_eq!((saved.width, saved.height), (40, 50));
        assert_eq!(
            store.avatar_path(42).unwrap(),
            store.root().join("resource/avatar/42.jpg")
        );
    }

    #[test]
    fn delete_all_removes_every_file_of_the_code() {
        let (_dir, store) = store();
        let code = normalize("ABC-123").unwrap();
        let other = normalize("ABC-124").unwrap();
        let jpeg = encode(&sample(400, 300), ImageFormat::Jpeg);
        store.save_cover(&code, &jpeg).unwrap();
        store.save_cover(&other, &jpeg).unwrap();
        for size in ThumbnailSize::ALL {
            store.thumbnail(&code, size).unwrap();
        }
        std::fs::write(store.video_path(&code).unwrap(), b"video").unwrap();
        std::fs::write(paths::video_part(store.root(), &code).unwrap(), b"vid").unwrap();

        store.delete_all(&code).unwrap();
        let cover_dir = store.root().join("resource/cover");
        let left: Vec<_> = std::fs::read_dir(&cover_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, ["ABC-124.jpg"]);
        assert!(!store.video_path(&code).unwrap().exists());
        assert!(!paths::video_part(store.root(), &code).unwrap().exists());
        // Nothing left is fine too.
        store.delete_all(&code).unwrap();
    }

    #[test]
    fn delete_video_says_whether_it_removed_a_file() {
        let (_dir, store) = store();
        let code = normalize("ABC-123").unwrap();
        let path = store.video_path(&code).unwrap();
        assert_eq!(path, store.root().join("resource/video/ABC-123.mp4"));
        assert!(!store.delete_video(&code).unwrap());
        std::fs::write(&path, b"video").unwrap();
        assert!(store.delete_video(&code).unwrap());
        // A stream kept as MPEG-TS is `{CODE}.ts`: read where its record says, and
        // deleted with the other name.
        let ts = store.root().join("resource/video/ABC-123.ts");
        std::fs::write(&ts, b"ts").unwrap();
        std::fs::write(&path, b"mp4").unwrap();
        let file = store
            .video_file(&code, "resource/video/ABC-123.ts")
            .unwrap();
        assert_eq!(file.size, 2);
        assert!(store.delete_video(&code).unwrap());
        assert!(!ts.exists() && !path.exists());
        // A record naming any other file is refused, not followed.
        for other in [
            "resource/video/ABC-124.ts",
            "resource/video/../ABC-123.ts",
            "resource/cover/ABC-123.mp4",
            "ABC-123.mp4",
            "resource/video/ABC-123.en.ts",
        ] {
            assert!(
                matches!(
                    store.recorded_video_path(&code, other),
                    Err(MediaError::OutsideRoot { .. })
                ),
                "{other}"
            );
        }
        assert!(!path.exists());
    }
}
