//! `analyze` on synthetic rows and listings: a clean library gives nothing; each fault
//! gives its finding and repair, and nothing else.

use std::path::PathBuf;

use super::*;

/// Old enough to be judged, newer than the stale line: t=10_000 lies between
/// `stale_before_ms` (5_000) and `young_after_ms` (20_000).
const T: i64 = 10_000;

fn entry(name: &str, modified_ms: i64) -> Entry {
    Entry {
        name: name.to_owned(),
        is_dir: false,
        size: 1000,
        modified_ms,
    }
}

fn row(code: &str, cover: bool, video: bool) -> ResourceFiles {
    ResourceFiles {
        code: code.to_owned(),
        cover_file: cover.then(|| format!("resource/cover/{code}.jpg")),
        video_file: video.then(|| format!("resource/video/{code}.mp4")),
        video_size: video.then_some(1000),
        video_saved_at: video.then_some(1),
    }
}

/// A resource's files as a clean library holds them.
fn clean_files(code: &str, covers: &mut Vec<Entry>, videos: &mut Vec<Entry>) {
    covers.push(entry(&format!("{code}.jpg"), T));
    for size in ["small", "medium", "large"] {
        covers.push(entry(&format!("{code}.{size}.jpg"), T));
    }
    videos.push(entry(&format!("{code}.mp4"), T));
}

struct Case {
    _dir: tempfile::TempDir,
    media: MediaStore,
    rows: Vec<ResourceFiles>,
    listing: Listing,
}

fn clean_case() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let media = MediaStore::new(dir.path().to_owned()).unwrap();
    let (mut covers, mut videos) = (Vec::new(), Vec::new());
    for code in ["ABC-001", "ABC-002"] {
        clean_files(code, &mut covers, &mut videos);
    }
    let listing = Listing {
        covers,
        videos,
        work: Vec::new(),
        work_root: dir.path().join("work/download"),
        stale_before_ms: 5_000,
        young_after_ms: 20_000,
    };
    Case {
        rows: vec![row("ABC-001", true, true), row("ABC-002", true, true)],
        media,
        listing,
        _dir: dir,
    }
}

fn found(case: &Case) -> Vec<(String, String, Repair)> {
    let root = case.media.root().to_owned();
    analyze(&case.media, &case.rows, &case.listing, &|_| true)
        .into_iter()
        .map(|finding| {
            let repair = match finding.repair {
                Repair::RemoveFile(path) => Repair::RemoveFile(strip(&root, path)),
                Repair::DeleteMedia(path) => Repair::DeleteMedia(strip(&root, path)),
                Repair::RemoveDir(path) => Repair::RemoveDir(strip(&root, path)),
                other => other,
            };
            let issue = finding.issue;
            (
                issue.kind,
                issue.file.or(issue.code).unwrap_or_default(),
                repair,
            )
        })
        .collect()
}

fn strip(root: &Path, path: PathBuf) -> PathBuf {
    path.strip_prefix(root).map(Path::to_owned).unwrap_or(path)
}

fn code(text: &str) -> Code {
    normalize(text).unwrap()
}

fn remove(entries: &mut Vec<Entry>, name: &str) {
    entries.retain(|entry| entry.name != name);
}

#[test]
fn a_clean_library_has_no_findings() {
    assert_eq!(found(&clean_case()), []);
}

#[test]
fn each_fault_is_found_with_its_repair() {
    let check = |change: &dyn Fn(&mut Case), expected: (&str, &str, Repair)| {
        let mut case = clean_case();
        change(&mut case);
        let findings = found(&case);
        assert_eq!(
            findings,
            [(expected.0.to_owned(), expected.1.to_owned(), expected.2)]
        );
    };
    check(
        // Thumbnails of a gone cover are orphans (see below); here they are gone too.
        &|case| {
            case.listing
                .covers
                .retain(|entry| !entry.name.starts_with("ABC-001."))
        },
        (
            "missing_cover",
            "resource/cover/ABC-001.jpg",
            Repair::ClearCover(code("ABC-001")),
        ),
    );
    check(
        &|case| remove(&mut case.listing.videos, "ABC-002.mp4"),
        (
            "missing_video",
            "resource/video/ABC-002.mp4",
            Repair::ClearVideo(code("ABC-002")),
        ),
    );
    check(
        &|case| remove(&mut case.listing.covers, "ABC-001.medium.jpg"),
        (
            "missing_thumbnail",
            "resource/cover/ABC-001.medium.jpg",
            Repair::Thumbnail(code("ABC-001"), ThumbnailSize::Medium),
        ),
    );
    check(
        &|case| {
            let cover = case
                .listing
                .covers
                .iter_mut()
                .find(|e| e.name == "ABC-002.jpg");
            cover.unwrap().modified_ms = T + 1;
            for entry in case
                .listing
                .covers
                .iter_mut()
                .filter(|e| e.name.starts_with("ABC-002."))
            {
                if entry.name != "ABC-002.jpg" && entry.name != "ABC-002.small.jpg" {
                    entry.modified_ms = T + 1;
                }
            }
        },
        (
            "missing_thumbnail",
            "resource/cover/ABC-002.small.jpg",
            Repair::Thumbnail(code("ABC-002"), ThumbnailSize::Small),
        ),
    );
    check(
        &|case| case.listing.covers.push(entry("ZZZ-999.jpg", T)),
        (
            "orphan_file",
            "resource/cover/ZZZ-999.jpg",
            Repair::DeleteMedia(PathBuf::from("resource/cover/ZZZ-999.jpg")),
        ),
    );
    check(
        &|case| case.listing.videos.push(entry("ZZZ-999.mp4", T)),
        (
            "orphan_file",
            "resource/video/ZZZ-999.mp4",
            Repair::DeleteMedia(PathBuf::from("resource/video/ZZZ-999.mp4")),
        ),
    );
    check(
        &|case| case.listing.covers.push(entry("ZZZ-999.large.jpg", T)),
        (
            "orphan_file",
            "resource/cover/ZZZ-999.large.jpg",
            Repair::RemoveFile(PathBuf::from("resource/cover/ZZZ-999.large.jpg")),
        ),
    );
    check(
        &|case| case.listing.covers.push(entry("notes.txt", T)),
        (
            "orphan_file",
            "resource/cover/notes.txt",
            Repair::DeleteMedia(PathBuf::from("resource/cover/notes.txt")),
        ),
    );
    check(
        &|case| case.listing.videos.push(entry("ABC-001.mp4.part", 1_000)),
        (
            "stale_part",
            "resource/video/ABC-001.mp4.part",
            Repair::RemoveFile(PathBuf::from("resource/video/ABC-001.mp4.part")),
        ),
    );
    check(
        &|case| case.listing.covers.push(entry(".tmp-AbC123", 1_000)),
        (
            "stale_part",
            "resource/cover/.tmp-AbC123",
            Repair::RemoveFile(PathBuf::from("resource/cover/.tmp-AbC123")),
        ),
    );
    check(
        &|case| {
            case.listing.work.push(Entry {
                is_dir: true,
                ..entry("ABC-003", 1_000)
            })
        },
        (
            "stale_part",
            "work/download/ABC-003",
            Repair::RemoveDir(PathBuf::from("work/download/ABC-003")),
        ),
    );
    check(
        &|case| case.rows[0].cover_file = None,
        (
            "unrecorded_cover",
            "resource/cover/ABC-001.jpg",
            Repair::RecordCover(code("ABC-001"), "resource/cover/ABC-001.jpg".into()),
        ),
    );
    check(
        &|case| case.rows[1].video_file = None,
        (
            "unrecorded_video",
            "resource/video/ABC-002.mp4",
            Repair::RecordVideo(code("ABC-002"), "resource/video/ABC-002.mp4".into(), 1000),
        ),
    );
    check(
        &|case| case.rows.push(row("abc_45", false, false)),
        ("non_canonical_code", "abc_45", Repair::Nothing),
    );
}

#[test]
fn thumbnails_of_a_missing_cover_are_orphans() {
    let mut case = clean_case();
    remove(&mut case.listing.covers, "ABC-001.jpg");
    let findings = found(&case);
    let kinds: Vec<&str> = findings.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        kinds,
        ["missing_cover", "orphan_file", "orphan_file", "orphan_file"]
    );
    assert!(
        findings[1..]
            .iter()
            .all(|f| matches!(f.2, Repair::RemoveFile(_))),
        "{findings:?}"
    );
}

#[test]
fn young_files_and_fresh_parts_are_not_judged() {
    let mut case = clean_case();
    let young = 25_000;
    case.listing.covers.push(entry("ZZZ-999.jpg", young));
    case.listing.videos.push(entry("ZZZ-999.mp4", young));
    case.listing.videos.push(entry("ABC-001.mp4.part", T));
    case.rows[0].cover_file = None;
    case.listing
        .covers
        .iter_mut()
        .find(|e| e.name == "ABC-001.jpg")
        .unwrap()
        .modified_ms = young;
    // The thumbnails are now older than the young cover: only they are found.
    let kinds: Vec<String> = found(&case).into_iter().map(|f| f.0).collect();
    assert_eq!(kinds, ["missing_thumbnail"; 3]);
}

#[test]
fn files_of_legacy_codes_are_left_to_fix_codes() {
    let mut case = clean_case();
    case.rows.push(ResourceFiles {
        cover_file: Some("resource/cover/demo_07.jpg".into()),
        ..row("demo_07", false, false)
    });
    case.listing.covers.push(entry("demo_07.jpg", T));
    case.listing.covers.push(entry("demo_07.small.jpg", T));
    let kinds: Vec<String> = found(&case).into_iter().map(|f| f.0).collect();
    assert_eq!(kinds, ["non_canonical_code"]);
}
