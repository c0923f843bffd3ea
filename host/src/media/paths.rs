//! Every media path, computed from a code or an id and checked to stay under the root.
//!
//! A [`Code`] is `[A-Z0-9-]` and an id is a positive integer, so the file names built here
//! are single plain components by construction; [`confined`] checks it anyway, so that a
//! future change to either type cannot turn into a path traversal.

use std::path::{Component, Path, PathBuf};

use super::{MediaError, Result, ThumbnailSize};
use crate::code::{Code, normalize};

/// Directory of covers and their thumbnails, relative to the root.
pub(super) const COVER_DIR: &str = "resource/cover";
/// Directory of videos, relative to the root.
pub(super) const VIDEO_DIR: &str = "resource/video";
/// Directory of avatars, relative to the root.
pub(super) const AVATAR_DIR: &str = "resource/avatar";

/// `resource/cover/{CODE}.jpg`
pub(super) fn cover(root: &Path, code: &Code) -> Result<PathBuf> {
    confined(root, COVER_DIR, &cover_name(code))
}

/// The cover's path relative to the root, with forward slashes on every platform.
pub(super) fn cover_relative(code: &Code) -> String {
    format!("{COVER_DIR}/{}", cover_name(code))
}

/// `resource/cover/{CODE}.{size}.jpg`
pub(super) fn thumbnail(root: &Path, code: &Code, size: ThumbnailSize) -> Result<PathBuf> {
    let name = format!("{}.{}.jpg", code.as_str(), size.as_str());
    confined(root, COVER_DIR, &name)
}

/// `resource/video/{CODE}.mp4`
pub(super) fn video(root: &Path, code: &Code) -> Result<PathBuf> {
    confined(root, VIDEO_DIR, &format!("{}.mp4", code.as_str()))
}

/// `resource/video/{CODE}.mp4` and `resource/video/{CODE}.ts`: the names a video can
/// have, the first preferred (a download names its file after its container).
pub(super) fn video_names(root: &Path, code: &Code) -> Result<[PathBuf; 2]> {
    Ok([
        video(root, code)?,
        confined(root, VIDEO_DIR, &format!("{}.ts", code.as_str()))?,
    ])
}

/// The video file a record names (`resource/video/{CODE}.mp4` or `{CODE}.ts`), as stored
/// relative to the root: refused unless it is one of the video's names.
pub(super) fn recorded_video(root: &Path, code: &Code, relative: &str) -> Result<PathBuf> {
    let named = root.join(relative);
    match video_names(root, code)?
        .into_iter()
        .find(|path| *path == named)
    {
        Some(path) => Ok(path),
        None => Err(MediaError::OutsideRoot { path: named }),
    }
}

/// `resource/video/{CODE}.mp4.part`
pub(super) fn video_part(root: &Path, code: &Code) -> Result<PathBuf> {
    confined(root, VIDEO_DIR, &format!("{}.mp4.part", code.as_str()))
}

/// Extensions of the files a download saves beside a video (subtitles, audio kept apart).
const TRACK_EXTENSIONS: &[&str] = &["vtt", "ts", "m4a", "aac", "mp3", "ac3", "ec3"];

/// A track file recorded for `code` (`resource/video/{CODE}.{tag}.{ext}`), as stored
/// relative to the root: refused unless it is one of the video's track names.
pub(super) fn video_track(root: &Path, code: &Code, relative: &str) -> Result<PathBuf> {
    let name = relative
        .strip_prefix(VIDEO_DIR)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|name| code_of_track_file(name).as_ref() == Some(code));
    match name {
        Some(name) => confined(root, VIDEO_DIR, name),
        None => Err(MediaError::OutsideRoot {
            path: root.join(relative),
        }),
    }
}

/// The code a file in the video directory is a track of: `{CODE}.{tag}.{ext}` with a
/// canonical code, a tag of lowercase letters, digits and `-`, and a track extension.
pub(super) fn code_of_track_file(file_name: &str) -> Option<Code> {
    let (stem, extension) = file_name.rsplit_once('.')?;
    let (code, tag) = stem.rsplit_once('.')?;
    let tag_ok = !tag.is_empty()
        && tag
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !tag_ok || !TRACK_EXTENSIONS.contains(&extension) {
        return None;
    }
    normalize(code).ok().filter(|c| c.as_str() == code)
}

/// `resource/avatar/{id}.jpg`; ids are positive.
pub(super) fn avatar(root: &Path, person_id: i64) -> Result<PathBuf> {
    confined(root, AVATAR_DIR, &avatar_name(person_id)?)
}

/// The avatar's path relative to the root, with forward slashes.
pub(super) fn avatar_relative(person_id: i64) -> Result<String> {
    Ok(format!("{AVATAR_DIR}/{}", avatar_name(person_id)?))
}

/// The code a file in the cover directory is the cover of: `{CODE}.jpg` where `CODE` is
/// already canonical. Thumbnails, temporary files and anything else give `None`.
pub(super) fn code_of_cover_file(file_name: &str) -> Option<Code> {
    let stem = file_name.strip_suffix(".jpg")?;
    let code = normalize(stem).ok()?;
    // `abc-123.jpg` or `ABC_123.jpg` would normalise, but are not files this module wrote.
    (code.as_str() == stem).then_some(code)
}

fn cover_name(code: &Code) -> String {
    format!("{}.jpg", code.as_str())
}

fn avatar_name(person_id: i64) -> Result<String> {
    if person_id <= 0 {
        return Err(MediaError::InvalidId { id: person_id });
    }
    Ok(format!("{person_id}.jpg"))
}

/// `root/dir/name`, refused unless `name` is one plain component and the result is under
/// `root` with only plain components below it.
fn confined(root: &Path, dir: &str, name: &str) -> Result<PathBuf> {
    let path = root.join(dir).join(name);
    let plain_name =
        !name.is_empty() && !name.contains(['/', '\\', '\0', ':']) && name != "." && name != "..";
    let below_root = path
        .strip_prefix(root)
        .is_ok_and(|rest| rest.components().all(|c| matches!(c, Component::Normal(_))));
    if plain_name && below_root {
        Ok(path)
    } else {
        Err(MediaError::OutsideRoot { path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes that look dangerous before normalisation; whatever survives must stay inside.
    const HOSTILE_CODES: &[&str] = &[
        "ABC-123",
        "abc_45",
        "ＡＢＣ－１２３",
        "../ABC-123",
        "ABC-123/..",
        "..\\ABC-123",
        "ABC-123\0",
        "/etc/passwd",
        "C:ABC-123",
        "ABC..123",
        "FC2-123456",
        "T28-001",
        " ABC 123 ",
    ];

    #[test]
    fn every_path_stays_under_the_root() {
        let root = Path::new("/srv/kura/media");
        let mut accepted = 0;
        for input in HOSTILE_CODES {
            let Ok(code) = normalize(input) else { continue };
            accepted += 1;
            let mut paths = vec![
                cover(root, &code).unwrap(),
                video(root, &code).unwrap(),
                video_part(root, &code).unwrap(),
            ];
            for size in ThumbnailSize::ALL {
                paths.push(thumbnail(root, &code, size).unwrap());
            }
            for path in paths {
                assert!(path.starts_with(root), "{input:?} -> {}", path.display());
                let rest = path.strip_prefix(root).unwrap();
                assert_eq!(rest.components().count(), 3, "{input:?}");
            }
        }
        assert!(accepted >= 5, "the table should exercise real codes");
        for id in [1, 42, i64::MAX] {
            let path = avatar(root, id).unwrap();
            assert!(path.starts_with(root.join(AVATAR_DIR)), "{id}");
        }
        for id in [0, -1, i64::MIN] {
            assert!(matches!(
                avatar(root, id),
                Err(MediaError::InvalidId { .. })
            ));
        }
    }

    #[test]
    fn confined_refuses_names_that_are_not_one_component() {
        let root = Path::new("/srv/media");
        for name in [
            "",
            ".",
            "..",
            "../x.jpg",
            "a/b.jpg",
            "a\\b.jpg",
            "/etc/passwd",
        ] {
            let error = confined(root, COVER_DIR, name).unwrap_err();
            assert!(matches!(error, MediaError::OutsideRoot { .. }), "{name:?}");
        }
        assert_eq!(
            confined(root, COVER_DIR, "ABC-123.jpg").unwrap(),
            Path::new("/srv/media/resource/cover/ABC-123.jpg")
        );
    }

    #[test]
    fn track_files_belong_to_their_video_only() {
        let code = normalize("ABC-123").unwrap();
        let root = Path::new("/srv/media");
        assert_eq!(
            video_track(root, &code, "resource/video/ABC-123.zh-hans.vtt").unwrap(),
            Path::new("/srv/media/resource/video/ABC-123.zh-hans.vtt")
        );
        for bad in [
            "resource/video/ABC-124.en.vtt",
            "resource/video/ABC-123.mp4",
            "resource/video/ABC-123.en.exe",
            "resource/video/../ABC-123.en.vtt",
            "resource/cover/ABC-123.en.vtt",
            "resource/video/ABC-123.EN.vtt",
            "/etc/ABC-123.en.vtt",
        ] {
            assert!(video_track(root, &code, bad).is_err(), "{bad}");
        }
        assert_eq!(
            code_of_track_file("ABC-123.ja.m4a")
                .as_ref()
                .map(Code::as_str),
            Some("ABC-123")
        );
        assert_eq!(code_of_track_file("abc-123.ja.vtt"), None);
        assert_eq!(code_of_track_file("ABC-123.vtt"), None);
    }

    #[test]
    fn cover_files_are_recognised_by_canonical_name_only() {
        let check = |name: &str, expected: Option<&str>| {
            let code = code_of_cover_file(name);
            assert_eq!(code.as_ref().map(Code::as_str), expected, "{name}");
        };
        check("ABC-123.jpg", Some("ABC-123"));
        check("FC2-123456.jpg", Some("FC2-123456"));
        check("ABC-123.small.jpg", None);
        check("ABC-123.large.jpg", None);
        check("abc-123.jpg", None);
        check("ABC_123.jpg", None);
        check("ABC-123.png", None);
        check("ABC-123.JPG", None);
        check(".tmpXyZ12", None);
        check("notes.txt", None);
    }

    #[test]
    fn relative_names_use_forward_slashes() {
        let code = normalize("abc-123").unwrap();
        assert_eq!(cover_relative(&code), "resource/cover/ABC-123.jpg");
        assert_eq!(avatar_relative(9).unwrap(), "resource/avatar/9.jpg");
    }
}
