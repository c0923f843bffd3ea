//! The consistency checks against a real library (resources added and downloaded from
//! the fixture site) while its server runs (N-L4..N-L7, N-K3, N-K5, N-K6): a clean
//! library gives nothing; each injected fault is found; `--apply` repairs it, deleting a
//! media file only with `--delete-files`; reports are listed at `GET /api/reports`.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::{age_tree, expect_exit, expected, issues, kura_async, read_json, set_age, text};
use crate::library::{WAIT, add, start};
use crate::support::database::{TestDatabase, strings};
use crate::support::{self, TestServer};

/// Remux off: the files are the streams as they are (MPEG-TS).
fn no_remux() -> Value {
    json!({ "download": { "remux": false } })
}
/// Resources of the library; all downloaded.
const CODES: [&str; 3] = ["DEMO-001", "DEMO-002", "DEMO-004"];
/// How old the library is made to look: older than the checks' ten-minute grace.
const AGE: Duration = Duration::from_secs(3600);

/// A server with [`CODES`] added and downloaded, thumbnails made, every file aged, and
/// the same config written for the CLI.
async fn library(fixture: &fixture_site::FixtureSite) -> TestServer {
    let server = start(fixture, no_remux()).await;
    for code in CODES {
        add(&server, code).await;
        let (status, answer) = server
            .post_json(&format!("/api/downloads/{code}?{WAIT}"), json!({}))
            .await;
        assert_eq!(status, 201, "download {code}: {answer}");
    }
    let data = server.data.path();
    support::config(&fixture.base_url())
        .merge(no_remux())
        .write(&data.join("config.yaml"));
    expect_exit(&kura_async(data, &["thumbnails"]).await, 0, "thumbnails");
    age_tree(&data.join("resource"), AGE);
    server
}

/// Runs a check with `--report`; returns the exit code and the report.
async fn check(data: &Path, command: &str, flags: &[&str]) -> (i32, Value) {
    let report = data.join(format!("last-{command}.json"));
    let mut args = vec![command, "--report", report.to_str().expect("utf-8 path")];
    args.extend_from_slice(flags);
    let output = kura_async(data, &args).await;
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 2,
        "{command} {flags:?}: {}",
        text(&output)
    );
    let report = read_json(&report);
    assert_eq!(
        code == 0,
        report["summary"]["remaining"] == 0,
        "exit code and report agree: {}",
        text(&output)
    );
    (code, report)
}

/// One column of a resource, from the database file.
async fn column(data: &Path, column: &str, code: &str) -> String {
    let pool = TestDatabase::sqlite().connect(data, false).await;
    let value = strings(
        &pool,
        format!(
            "SELECT COALESCE(CAST({column} AS TEXT), 'NULL') FROM resources WHERE code = '{code}'"
        ),
    )
    .await;
    pool.close().await;
    value.into_iter().next().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_resources_finds_each_fault_and_apply_repairs_it() {
    let fixture = support::fixture().await;
    let server = library(&fixture).await;
    let data = server.data.path().to_owned();
    let (code, report) = check(&data, "check-resources", &[]).await;
    assert_eq!((code, issues(&report)), (0, vec![]), "clean: {report}");
    assert_eq!(report["summary"]["checked"]["resources"], 3, "{report}");

    // The faults: a cover gone (its thumbnails stay behind), a video gone, a thumbnail
    // gone, a cover of no resource, a partial download nobody resumes.
    let cover = data.join("resource/cover");
    let video = data.join("resource/video");
    std::fs::remove_file(cover.join("DEMO-004.jpg")).expect("cover");
    std::fs::remove_file(video.join("DEMO-002.ts")).expect("video");
    std::fs::remove_file(cover.join("DEMO-001.small.jpg")).expect("thumbnail");
    std::fs::copy(cover.join("DEMO-001.jpg"), cover.join("DEMO-099.jpg")).expect("orphan");
    set_age(&cover.join("DEMO-099.jpg"), AGE);
    std::fs::write(video.join("DEMO-004.mp4.part"), b"half a video").expect("part");
    set_age(
        &video.join("DEMO-004.mp4.part"),
        Duration::from_secs(2 * 86_400),
    );

    let (code, report) = check(&data, "check-resources", &[]).await;
    assert_eq!(code, 2);
    let found = expected(&[
        ("missing_cover", "resource/cover/DEMO-004.jpg"),
        ("orphan_file", "resource/cover/DEMO-004.small.jpg"),
        ("orphan_file", "resource/cover/DEMO-004.medium.jpg"),
        ("orphan_file", "resource/cover/DEMO-004.large.jpg"),
        ("missing_video", "resource/video/DEMO-002.ts"),
        ("missing_thumbnail", "resource/cover/DEMO-001.small.jpg"),
        ("orphan_file", "resource/cover/DEMO-099.jpg"),
        ("stale_part", "resource/video/DEMO-004.mp4.part"),
    ]);
    assert_eq!(issues(&report), found, "{report:#}");
    assert_eq!(report["summary"]["repaired"], 0);
    assert_eq!(report["applied"], false);

    // --apply repairs everything but the orphan cover: a media file.
    let (code, report) = check(&data, "check-resources", &["--apply"]).await;
    assert_eq!((code, issues(&report)), (2, found), "{report:#}");
    assert_eq!(report["summary"]["repaired"], 7, "{report:#}");
    assert_eq!(report["summary"]["remaining"], 1, "{report:#}");
    assert!(cover.join("DEMO-099.jpg").is_file(), "a media file is kept");
    assert_eq!(column(&data, "cover_file", "DEMO-004").await, "NULL");
    assert_eq!(column(&data, "video_file", "DEMO-002").await, "NULL");
    assert_eq!(
        column(&data, "video_file", "DEMO-001").await,
        "resource/video/DEMO-001.ts"
    );
    assert!(cover.join("DEMO-001.small.jpg").is_file());
    assert!(!cover.join("DEMO-004.small.jpg").exists());
    assert!(!video.join("DEMO-004.mp4.part").exists());

    let (code, report) = check(&data, "check-resources", &["--apply", "--delete-files"]).await;
    assert_eq!(
        (code, issues(&report)),
        (
            0,
            expected(&[("orphan_file", "resource/cover/DEMO-099.jpg")])
        )
    );
    assert!(!cover.join("DEMO-099.jpg").exists());
    let (code, report) = check(&data, "check-resources", &[]).await;
    assert_eq!((code, issues(&report)), (0, vec![]), "repaired: {report:#}");

    // The same check as a task, then the reports through the API.
    let (status, answer) = server
        .post_json(
            &format!("/api/tasks?{WAIT}"),
            json!({ "type": "check_resources", "data": { "apply": true } }),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["result"]["summary"]["issues"], 0, "{answer}");
    let task_report = answer["result"]["report"]
        .as_str()
        .expect("report name")
        .to_owned();
    check_reports_api(&server, &task_report).await;
    server.stop().await;
}

/// `GET /api/reports` lists every report newest first; one is read by name; a name
/// that is not a plain file name is a 404.
async fn check_reports_api(server: &TestServer, newest: &str) {
    let (status, list) = server.get_json("/api/reports").await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 6, "{list:#}");
    assert_eq!(items[0]["name"], newest, "{list:#}");
    let times: Vec<i64> = items
        .iter()
        .map(|item| item["started_at_ms"].as_i64().expect("time"))
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] >= pair[1]), "{times:?}");
    for item in items {
        assert_eq!(item["kind"], "check_resources");
        assert!(item["size"].as_u64().is_some_and(|size| size > 0), "{item}");
        assert!(
            item["time"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{item}"
        );
        assert!(item["summary"]["issues"].is_u64(), "{item}");
    }
    let with_issues = items
        .iter()
        .find(|item| item["summary"]["issues"] == 8)
        .expect("the report of the faults");
    let name = with_issues["name"].as_str().expect("name");
    let (status, report) = server.get_json(&format!("/api/reports/{name}")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["issues"].as_array().map(Vec::len),
        Some(8),
        "{report}"
    );
    let (status, _) = server.get_json("/api/reports?kind=check_videos").await;
    assert_eq!(status, 200);
    for bad in [
        "..%2Fkura.db",
        "..%2F..%2Fetc%2Fpasswd",
        "kura.db",
        "missing.json",
        "%2Ehidden.json",
    ] {
        let (status, body) = server.get_json(&format!("/api/reports/{bad}")).await;
        assert_eq!(status, 404, "{bad}: {body}");
        assert_eq!(body["code"], "report_not_found", "{bad}: {body}");
    }
    let (status, _) = server.get_json("/api/reports?limit=0").await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_videos_finds_missing_truncated_and_broken_files() {
    let fixture = support::fixture().await;
    let server = library(&fixture).await;
    let data = server.data.path().to_owned();
    let video = data.join("resource/video");
    let (code, report) = check(&data, "check-videos", &[]).await;
    assert_eq!((code, issues(&report)), (0, vec![]), "clean: {report:#}");
    assert_eq!(report["summary"]["checked"]["videos_checked"], 3);

    // Grown by a few bytes, replaced by an error page, gone.
    let mut grown = std::fs::read(video.join("DEMO-001.ts")).expect("video");
    grown.extend_from_slice(&[0; 100]);
    std::fs::write(video.join("DEMO-001.ts"), grown).expect("grow");
    std::fs::write(video.join("DEMO-002.ts"), b"<html>403 Forbidden</html>").expect("break");
    std::fs::remove_file(video.join("DEMO-004.ts")).expect("remove");
    let found = expected(&[
        ("size_mismatch", "resource/video/DEMO-001.ts"),
        ("corrupt_video", "resource/video/DEMO-002.ts"),
        ("missing_video", "resource/video/DEMO-004.ts"),
    ]);
    let (code, report) = check(&data, "check-videos", &[]).await;
    assert_eq!((code, issues(&report)), (2, found.clone()), "{report:#}");
    let (_, limited) = check(&data, "check-videos", &["--limit", "1"]).await;
    assert_eq!(
        limited["summary"]["checked"]["videos_checked"], 1,
        "{limited:#}"
    );
    assert_eq!(
        limited["summary"]["checked"]["videos_recorded"], 3,
        "{limited:#}"
    );

    let (code, report) = check(&data, "check-videos", &["--apply"]).await;
    assert_eq!((code, issues(&report)), (2, found), "{report:#}");
    assert_eq!(
        report["summary"]["remaining"], 1,
        "the broken file needs --delete-files"
    );
    assert!(video.join("DEMO-002.ts").is_file());
    let size = std::fs::metadata(video.join("DEMO-001.ts"))
        .expect("video")
        .len();
    assert_eq!(
        column(&data, "video_size", "DEMO-001").await,
        size.to_string()
    );
    assert_eq!(column(&data, "video_file", "DEMO-004").await, "NULL");

    let (code, _) = check(&data, "check-videos", &["--apply", "--delete-files"]).await;
    assert_eq!(code, 0);
    assert!(!video.join("DEMO-002.ts").exists());
    assert_eq!(column(&data, "video_file", "DEMO-002").await, "NULL");
    let (code, report) = check(&data, "check-videos", &[]).await;
    assert_eq!((code, issues(&report)), (0, vec![]), "{report:#}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_avatars_repairs_records_and_fetches_through_the_scrapers() {
    let fixture = support::fixture().await;
    let server = library(&fixture).await;
    let data = server.data.path().to_owned();
    let avatars = data.join("resource/avatar");
    let (code, report) = check(&data, "check-avatars", &[]).await;
    assert_eq!((code, issues(&report)), (0, vec![]), "clean: {report:#}");
    let stored = super::names(&avatars);
    assert!(stored.len() >= 2, "the adds fetched avatars: {stored:?}");

    let gone = avatars.join(&stored[0]);
    let broken = avatars.join(&stored[1]);
    std::fs::remove_file(&gone).expect("remove avatar");
    std::fs::write(&broken, b"not a picture").expect("break avatar");
    set_age(&broken, AGE);
    std::fs::write(avatars.join("99999.jpg"), b"\xFF\xD8\xFForphan").expect("orphan");
    set_age(&avatars.join("99999.jpg"), AGE);
    let relative = |path: &Path| {
        format!(
            "resource/avatar/{}",
            path.file_name().expect("name").to_string_lossy()
        )
    };
    let (code, report) = check(&data, "check-avatars", &[]).await;
    assert_eq!(code, 2);
    assert_eq!(
        issues(&report),
        expected(&[
            ("missing_avatar", &relative(&gone)),
            ("corrupt_avatar", &relative(&broken)),
            ("orphan_file", "resource/avatar/99999.jpg"),
        ]),
        "{report:#}"
    );

    // Repaired records, then both avatars fetched again through the scraper plugins.
    let (code, report) = check(&data, "check-avatars", &["--apply"]).await;
    assert_eq!(code, 2, "the orphan needs --delete-files: {report:#}");
    let fetched = &report["details"]["fetched_avatars"]["fetched"];
    assert!(fetched.as_u64().is_some_and(|n| n >= 2), "{report:#}");
    for path in [&gone, &broken] {
        let bytes = std::fs::read(path).expect("avatar fetched again");
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "{}", path.display());
    }
    assert!(avatars.join("99999.jpg").is_file());
    let (code, _) = check(&data, "check-avatars", &["--apply", "--delete-files"]).await;
    assert_eq!(code, 0);
    assert!(!avatars.join("99999.jpg").exists());

    // As a task, through the server's own plugins.
    let (status, answer) = server
        .post_json(
            &format!("/api/tasks?{WAIT}"),
            json!({ "type": "check_avatars", "data": { "apply": true } }),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["result"]["summary"]["issues"], 0, "{answer}");
    let (status, answer) = server
        .post_json(
            "/api/tasks",
            json!({ "type": "check_videos", "data": { "apply": "yes" } }),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = server
        .post_json(
            "/api/tasks",
            json!({ "type": "check_resources", "data": { "aply": true } }),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    server.stop().await;
}
