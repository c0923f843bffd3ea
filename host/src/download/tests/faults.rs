//! Downloads against faults armed on the fixture site's streams that `armed.rs` does not
//! cover: cancellation and resume, expired URLs, missing and truncated segments,
//! redirects, byte ranges with and without server support, unremuxable streams.

use fixture_site::{FOREVER, Fault};
use tokio_util::sync::CancellationToken;

use super::*;

/// The path of segment `index` of variant 2 of `n`'s stream.
fn segment_path(n: u32, index: usize) -> String {
    let extension = catalog::stream_kind(n).segment_extension();
    format!("/stream/{}/2/seg{index}.{extension}", catalog::code(n))
}

#[tokio::test]
async fn cancellation_keeps_completed_segments_and_resumes() {
    let site = fixture().await;
    let n = 3;
    for index in 4..site.segment_count(n) {
        site.arm_fault(&segment_path(n, index), Fault::Hang, FOREVER);
    }
    let cancel = CancellationToken::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut first = request(&stream_url(&site, n), dir.path());
    // One segment at a time, none requested ahead: the hang of seg-4 comes after
    // seg-0 to seg-3 are whole.
    first.concurrency = 1;
    first.request_ahead = 0;
    let (output, work_dir) = (first.output.clone(), first.work_dir.clone());
    let client = client();
    let jar = CookieJar::default();
    let cancel_at_the_hang = async {
        let reached = site
            .wait_for_hits(&segment_path(n, 4), 1, TEST_DEADLINE)
            .await;
        cancel.cancel();
        reached
    };
    let (result, reached) = tokio::join!(
        run_with(&client, &jar, first.clone(), None, cancel.clone()),
        cancel_at_the_hang
    );
    assert!(reached, "seg-4 was asked for");
    let error = result.expect_err("cancelled");
    assert!(matches!(error, DownloadError::Cancelled), "{error}");
    assert_eq!(
        saved_parts(&work_dir),
        ["seg-0", "seg-1", "seg-2", "seg-3"]
            .map(String::from)
            .into()
    );
    assert!(
        part_files(&work_dir)
            .iter()
            .all(|name| !name.ends_with(".part")),
        "no partial file left"
    );
    assert!(!output.exists() && !assemble::part_path(&output).exists());
    site.disarm_faults();
    let outcome = run_with(&client, &jar, first, None, CancellationToken::new())
        .await
        .expect("resumed");
    assert_eq!(outcome.reused_segments, 4);
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, n, 2));
}

#[tokio::test]
async fn an_expired_url_is_refreshed_and_the_download_goes_on() {
    let site = fixture().await;
    site.arm_fault(&segment_path(4, 3), Fault::Status(403), 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 4), dir.path());
    let output = request.output.clone();
    let (outcome, calls) = run_refreshing(request, &stream_url(&site, 4)).await;
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 4, 2));
    assert_eq!(outcome.refreshed_urls, 1);
    assert_eq!(calls, 1);
    // Without a refresh the expiry is the error.
    site.arm_fault(&segment_path(6, 2), Fault::Status(403), FOREVER);
    let dir = tempfile::tempdir().expect("temp dir");
    let request = self::request(&stream_url(&site, 6), dir.path());
    let error = run(request).await.expect_err("expired");
    assert!(
        matches!(error, DownloadError::Expired { status: 403, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_segment_fails_and_publishes_nothing() {
    let site = fixture().await;
    let path = segment_path(5, 3);
    site.arm_fault(&path, Fault::NotFound, FOREVER);
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 5), dir.path());
    let (output, work_dir) = (request.output.clone(), request.work_dir.clone());
    let error = run(request).await.expect_err("missing segment");
    match &error {
        DownloadError::Segment { name, reason, .. } => {
            assert_eq!(name, "seg-3");
            assert!(
                reason.contains("404") && reason.contains("3 tries"),
                "{reason}"
            );
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(site.hits(&path), 3);
    assert!(!output.exists() && !assemble::part_path(&output).exists());
    assert!(
        part_files(&work_dir)
            .iter()
            .all(|name| !name.ends_with(".part"))
    );
}

#[tokio::test]
async fn a_truncated_segment_is_retried_then_fails() {
    let site = fixture().await;
    // The full Content-Length, half the body, then the connection closes.
    let path = segment_path(2, 1);
    site.arm_fault(&path, Fault::Short, FOREVER);
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 2), dir.path());
    let output = request.output.clone();
    let error = run(request).await.expect_err("truncated");
    assert!(
        matches!(&error, DownloadError::Segment { name, .. } if name == "seg-1"),
        "{error}"
    );
    assert_eq!(site.hits(&path), 3);
    assert!(!output.exists());
}

#[tokio::test]
async fn redirected_segments_are_followed() {
    let site = fixture().await;
    let path = segment_path(1, 1);
    site.arm_fault(&path, Fault::Redirect, 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 1), dir.path());
    let output = request.output.clone();
    run(request).await.expect("downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 1, 2));
    assert_eq!(site.faults_left(&path), 0, "the redirect was answered");
    assert_eq!(site.hits(&path), 2, "the redirect, then its target");
}

#[tokio::test]
async fn byte_ranges_with_and_without_server_support() {
    let site = fixture().await;
    let single_file = "/stream/DEMO-011/2/all.mp4";
    for honour_ranges in [true, false] {
        if !honour_ranges {
            site.arm_fault(single_file, Fault::IgnoreRange, FOREVER);
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("{}/stream/DEMO-011/2/ranges.m3u8", site.base_url());
        let request = request(&url, dir.path());
        let output = request.output.clone();
        let outcome = run(request).await.expect("downloaded");
        assert_eq!(outcome.container, Container::Fmp4);
        assert_eq!(outcome.segments, site.segment_count(11));
        assert_eq!(
            std::fs::read(&output).expect("output"),
            full(&site, 11, 2),
            "ranges honoured: {honour_ranges}"
        );
    }
}

#[tokio::test]
async fn a_stream_ffmpeg_cannot_read_keeps_its_container() {
    if assemble::find_ffmpeg().is_none() {
        return;
    }
    // Every segment arrives with its bytes inverted: not video at all.
    let site = fixture().await;
    let n = 1;
    for index in 0..site.segment_count(n) {
        site.arm_fault(&segment_path(n, index), Fault::Corrupt, FOREVER);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut request = request(&stream_url(&site, n), dir.path());
    request.remux = true;
    let output = request.output.clone();
    let outcome = run(request).await.expect("downloaded");
    assert_eq!(outcome.container, Container::Ts);
    assert!(!outcome.remuxed);
    assert!(
        outcome
            .remux_error
            .is_some_and(|reason| reason.contains("ffmpeg"))
    );
    let inverted: Vec<u8> = full(&site, n, 2).iter().map(|byte| !byte).collect();
    assert_eq!(std::fs::read(&output).expect("output"), inverted);
}
