//! Cover thumbnails: made on first request, persisted beside the cover, and remade when the
//! cover is newer (N-I2); `kura thumbnails` regenerates them all.
//!
//! A thumbnail's modification time is set to that of the cover it was made from. So a
//! thumbnail is fresh when its time is not older than the cover's, and a thumbnail that a
//! slow request made from a cover replaced meanwhile still looks stale afterwards.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

use super::{MediaError, MediaStore, Result, codec, files, paths};
use crate::code::Code;

/// Thumbnails are small: a lower quality than stored covers saves bytes unnoticed.
const THUMBNAIL_QUALITY: u8 = 85;

/// The thumbnail sizes, by width; the height keeps the cover's aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ThumbnailSize {
    /// 160 pixels wide, for lists.
    Small,
    /// 320 pixels wide, for cards and previews.
    Medium,
    /// 640 pixels wide, for detail pages.
    Large,
}

impl ThumbnailSize {
    /// Every size, smallest first.
    pub(crate) const ALL: [ThumbnailSize; 3] = [Self::Small, Self::Medium, Self::Large];

    /// The name used in file names and the `size` query parameter.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
        }
    }

    /// The target width in pixels; a narrower cover is never enlarged.
    pub(crate) fn width(self) -> u32 {
        match self {
            Self::Small => 160,
            Self::Medium => 320,
            Self::Large => 640,
        }
    }
}

/// What [`MediaStore::regenerate_thumbnails`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ThumbnailReport {
    /// Cover files found.
    pub(crate) covers: usize,
    /// Thumbnails written.
    pub(crate) generated: usize,
    /// Thumbnails already fresh, left alone.
    pub(crate) skipped: usize,
    /// Covers whose thumbnails could not all be made.
    pub(crate) failed: Vec<ThumbnailFailure>,
}

/// A cover whose thumbnails failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ThumbnailFailure {
    /// The cover, relative to the media root: `resource/cover/ABC-123.jpg`.
    pub(crate) file: String,
    /// The error.
    pub(crate) reason: String,
}

impl MediaStore {
    /// The path of the code's thumbnail of `size`, made from the cover first when missing
    /// or older than the cover. Blocking (decodes and encodes images): call it through
    /// [`MediaStore::blocking`]. Concurrent calls are safe: each writes a temporary file and renames
    /// it over the target, so a reader sees one complete thumbnail or another.
    pub(crate) fn thumbnail(&self, code: &Code, size: ThumbnailSize) -> Result<PathBuf> {
        super::offload::check_blocking_allowed("thumbnail");
        let cover = paths::cover(&self.root, code)?;
        let target = paths::thumbnail(&self.root, code, size)?;
        let cover_modified = modified(&cover).map_err(|error| match error {
            MediaError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                MediaError::NotFound {
                    what: format!("cover of {code}"),
                }
            }
            other => other,
        })?;
        if is_fresh(&target, cover_modified) {
            return Ok(target);
        }
        let pixels = read_cover(&cover)?;
        write_thumbnail(&mut Resizer::new(), &pixels, size, &target, cover_modified)?;
        tracing::debug!(code = %code, size = size.as_str(), "thumbnail generated");
        Ok(target)
    }

    /// Makes every size for every cover in `resource/cover/`: all of them when `force`,
    /// else only the missing and stale ones. `progress(done, total)` is called after each
    /// cover. A cover that fails is reported and the others go on; only failing to list
    /// the directory is an error. Blocking.
    pub(crate) fn regenerate_thumbnails(
        &self,
        force: bool,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<ThumbnailReport> {
        super::offload::check_blocking_allowed("regenerate_thumbnails");
        let covers = self.cover_codes()?;
        let total = covers.len();
        let mut report = ThumbnailReport {
            covers: total,
            ..ThumbnailReport::default()
        };
        // One resizer for the whole run, so its buffers are reused.
        let mut resizer = Resizer::new();
        for (index, code) in covers.iter().enumerate() {
            match self.regenerate_one(&mut resizer, code, force) {
                Ok(generated) => {
                    report.generated += generated;
                    report.skipped += ThumbnailSize::ALL.len() - generated;
                }
                Err(error) => {
                    tracing::warn!(code = %code, %error, "thumbnails not regenerated");
                    report.failed.push(ThumbnailFailure {
                        file: paths::cover_relative(code),
                        reason: error.to_string(),
                    });
                }
            }
            progress(index + 1, total);
        }
        Ok(report)
    }

    /// The codes of the cover files, sorted; thumbnails and stray files are left out.
    fn cover_codes(&self) -> Result<Vec<Code>> {
        let dir = self.root.join(paths::COVER_DIR);
        let io_error = |source| MediaError::Io {
            path: dir.clone(),
            source,
        };
        let mut codes = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            // Symbolic links are not files this module wrote and could lead outside the root.
            if !entry.file_type().map_err(io_error)?.is_file() {
                continue;
            }
            if let Some(code) = entry
                .file_name()
                .to_str()
                .and_then(paths::code_of_cover_file)
            {
                codes.push(code);
            }
        }
        codes.sort();
        Ok(codes)
    }

    /// Makes the needed thumbnails of one cover; returns how many were written.
    fn regenerate_one(&self, resizer: &mut Resizer, code: &Code, force: bool) -> Result<usize> {
        let cover = paths::cover(&self.root, code)?;
        let cover_modified = modified(&cover)?;
        let mut needed = Vec::new();
        for size in ThumbnailSize::ALL {
            let target = paths::thumbnail(&self.root, code, size)?;
            if force || !is_fresh(&target, cover_modified) {
                needed.push((size, target));
            }
        }
        if needed.is_empty() {
            return Ok(0);
        }
        // Decoded once for the three sizes: decoding dominates the cost.
        let pixels = read_cover(&cover)?;
        for (size, target) in &needed {
            write_thumbnail(resizer, &pixels, *size, target, cover_modified)?;
        }
        Ok(needed.len())
    }
}

/// The size of the thumbnail of a `width` x `height` cover: `target_width` wide (never
/// more than the cover), the height rounded to keep the aspect ratio, at least 1.
fn thumbnail_dimensions(width: u32, height: u32, target_width: u32) -> (u32, u32) {
    let new_width = target_width.min(width).max(1);
    let scaled =
        (u64::from(height) * u64::from(new_width) + u64::from(width) / 2) / u64::from(width.max(1));
    let new_height = u32::try_from(scaled).unwrap_or(u32::MAX).max(1);
    (new_width, new_height)
}

fn read_cover(cover: &Path) -> Result<RgbImage> {
    let bytes = std::fs::read(cover).map_err(|source| MediaError::Io {
        path: cover.to_owned(),
        source,
    })?;
    Ok(codec::to_rgb(codec::decode(&bytes)?.image))
}

fn write_thumbnail(
    resizer: &mut Resizer,
    cover: &RgbImage,
    size: ThumbnailSize,
    target: &Path,
    cover_modified: SystemTime,
) -> Result<()> {
    let (width, height) = thumbnail_dimensions(cover.width(), cover.height(), size.width());
    let jpeg = if (width, height) == cover.dimensions() {
        codec::encode_jpeg(cover, THUMBNAIL_QUALITY)?
    } else {
        let mut resized = RgbImage::new(width, height);
        // Lanczos3 keeps text on covers readable at small sizes.
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        resizer
            .resize(cover, &mut resized, &options)
            .map_err(|error| MediaError::Resize {
                reason: error.to_string(),
            })?;
        codec::encode_jpeg(&resized, THUMBNAIL_QUALITY)?
    };
    files::write_atomic(target, &jpeg, Some(cover_modified))
}

fn modified(path: &Path) -> Result<SystemTime> {
    std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .map_err(|source| MediaError::Io {
            path: path.to_owned(),
            source,
        })
}

fn is_fresh(thumbnail: &Path, cover_modified: SystemTime) -> bool {
    modified(thumbnail).is_ok_and(|made| made >= cover_modified)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use image::ImageFormat;

    use super::*;
    use crate::code::normalize;
    use crate::media::codec::tests::{encode, sample};

    fn store() -> (tempfile::TempDir, MediaStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::new(dir.path().to_owned()).unwrap();
        (dir, store)
    }

    fn dimensions(path: &Path) -> (u32, u32) {
        image::image_dimensions(path).unwrap()
    }

    #[test]
    fn dimensions_keep_the_ratio_and_never_upscale() {
        let check = |cover: (u32, u32), size: ThumbnailSize, expected: (u32, u32)| {
            let got = thumbnail_dimensions(cover.0, cover.1, size.width());
            assert_eq!(got, expected, "{cover:?} {size:?}");
        };
        check((800, 600), ThumbnailSize::Small, (160, 120));
        check((800, 600), ThumbnailSize::Medium, (320, 240));
        check((800, 600), ThumbnailSize::Large, (640, 480));
        check((800, 538), ThumbnailSize::Small, (160, 108));
        check((400, 300), ThumbnailSize::Large, (400, 300));
        check((1000, 1), ThumbnailSize::Small, (160, 1));
        check((1, 8000), ThumbnailSize::Small, (1, 8000));
    }

    #[test]
    fn thumbnails_have_the_size_they_claim() {
        let (_dir, store) = store();
        let code = normalize("ABC-123").unwrap();
        store
            .save_cover(&code, &encode(&sample(800, 538), ImageFormat::Jpeg))
            .unwrap();
        let expected = [(160, 108), (320, 215), (640, 430)];
        for (size, expected) in ThumbnailSize::ALL.into_iter().zip(expected) {
            let path = store.thumbnail(&code, size).unwrap();
            let name = format!("ABC-123.{}.jpg", size.as_str());
            assert_eq!(path, store.root().join("resource/cover").join(name));
            assert_eq!(dimensions(&path), expected, "{size:?}");
        }
    }

    #[test]
    fn a_missing_cover_is_not_found() {
        let (_dir, store) = store();
        let code = normalize("ABC-123").unwrap();
        let error = store.thumbnail(&code, ThumbnailSize::Small).unwrap_err();
        assert_eq!(error.to_string(), "cover of ABC-123 not found");
    }

    #[test]
    fn a_fresh_thumbnail_is_reused() {
        let (_dir, store) = store();
        let code = normalize("ABC-123").unwrap();
        store
            .save_cover(&code, &encode(&sample(800, 600), ImageFormat::Jpeg))
            .unwrap();
        let path = store.thumbnail(&code, ThumbnailSize::Small).unwrap();
        // A marker the generator would never write: reuse must not touch the file.
        std::fs::write(&path, b"marker").unwrap();
        store.thumbnail(&code, ThumbnailSize::Small).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"marker");
    }

    #[test]
    fn a_replaced_cover_gets_new_thumbnails() {
        let (_dir, store) = store();
        let code = normalize("ABC-123").unwrap();
        store
            .save_cover(&code, &encode(&sample(800, 600), ImageFormat::Jpeg))
            .unwrap();
        let path = store.thumbnail(&code, ThumbnailSize::Medium).unwrap();
        assert_eq!(dimensions(&path), (320, 240));

        // Through the store: the old thumbnails are deleted at once.
        store
            .save_cover(&code, &encode(&sample(600, 900), ImageFormat::Png))
            .unwrap();
        assert!(!path.exists());
        let path = store.thumbnail(&code, ThumbnailSize::Medium).unwrap();
        assert_eq!(dimensions(&path), (320, 480));

        // Behind the store's back: the newer cover makes the thumbnail stale.
        let cover = store.cover_path(&code).unwrap();
        std::fs::write(&cover, encode(&sample(1000, 500), ImageFormat::Jpeg)).unwrap();
        let later = SystemTime::now() + Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&cover)
            .unwrap()
            .set_modified(later)
            .unwrap();
        let path = store.thumbnail(&code, ThumbnailSize::Medium).unwrap();
        assert_eq!(dimensions(&path), (320, 160));
        let stamped = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert_eq!(stamped, later);
    }

    #[test]
    fn regenerate_counts_generated_skipped_and_failed() {
        let (_dir, store) = store();
        let jpeg = encode(&sample(500, 400), ImageFormat::Jpeg);
        for code in ["ABC-001", "ABC-002", "XYZ-100"] {
            store.save_cover(&normalize(code).unwrap(), &jpeg).unwrap();
        }
        let cover_dir = store.root().join("resource/cover");
        // A broken cover, and files that are not covers at all.
        std::fs::write(cover_dir.join("BAD-001.jpg"), b"not a jpeg").unwrap();
        std::fs::write(cover_dir.join("abc-003.jpg"), &jpeg).unwrap();
        std::fs::write(cover_dir.join("notes.txt"), b"x").unwrap();
        std::fs::create_dir(cover_dir.join("DIR-001.jpg")).unwrap();
        store
            .thumbnail(&normalize("ABC-001").unwrap(), ThumbnailSize::Small)
            .unwrap();

        let mut calls = Vec::new();
        let report = store
            .regenerate_thumbnails(false, |done, total| calls.push((done, total)))
            .unwrap();
        assert_eq!(calls, [(1, 4), (2, 4), (3, 4), (4, 4)]);
        assert_eq!(report.covers, 4);
        assert_eq!(report.generated, 8);
        assert_eq!(report.skipped, 1);
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].file, "resource/cover/BAD-001.jpg");
        assert!(
            report.failed[0].reason.starts_with("cannot decode"),
            "{:?}",
            report.failed
        );
        assert!(cover_dir.join("XYZ-100.large.jpg").is_file());
        assert!(!cover_dir.join("abc-003.small.jpg").exists());

        let again = store.regenerate_thumbnails(false, |_, _| {}).unwrap();
        assert_eq!(
            (again.generated, again.skipped, again.failed.len()),
            (0, 9, 1)
        );

        let forced = store.regenerate_thumbnails(true, |_, _| {}).unwrap();
        assert_eq!(
            (forced.generated, forced.skipped, forced.failed.len()),
            (9, 0, 1)
        );
    }

    #[test]
    fn regenerate_on_an_empty_library_does_nothing() {
        let (_dir, store) = store();
        let report = store
            .regenerate_thumbnails(true, |_, _| panic!("no covers, no progress"))
            .unwrap();
        assert_eq!(report, ThumbnailReport::default());
    }
}
