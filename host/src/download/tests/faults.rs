//! Downloads against the small test server: cancellation and resume, `Retry-After`,
//! expired URLs, missing and truncated segments, byte ranges, unremuxable streams.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::server::{Behaviour, TestServer};
use super::*;

#[tokio::test]
async fn cancellation_keeps_completed_segments_and_resumes() {
    let cancel = CancellationToken::new();
    let server = TestServer::start(
        8,
        Behaviour {
            hang_from: Some(4),
            cancel_on_hang: Some(cancel.clone()),
            ..Behaviour::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut first = request(&server.playlist_url(), dir.path());
    // One segment at a time, none requested ahead: the hang of seg-4 comes after
    // seg-0 to seg-3 are whole.
    first.concurrency = 1;
    first.request_ahead = 0;
    let (output, work_dir) = (first.output.clone(), first.work_dir.clone());
    let client = client();
    let jar = CookieJar::default();
    let error = run_with(&client, &jar, first.clone(), None, cancel)
        .await
        .expect_err("cancelled");
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
    server.hang_enabled.store(false, Ordering::SeqCst);
    let outcome = run_with(&client, &jar, first, None, CancellationToken::new())
        .await
        .expect("resumed");
    assert_eq!(outcome.reused_segments, 4);
    assert_eq!(std::fs::read(&output).expect("output"), server.joined());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = TestServer::start(
        5,
        Behaviour {
            too_many_once: [2].into(),
            ..Behaviour::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut request = request(&server.playlist_url(), dir.path());
    request.retry_delay = Duration::from_millis(1);
    let output = request.output.clone();
    run(request).await.expect("downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), server.joined());
    let times = server.request_times(2);
    assert_eq!(times.len(), 2, "one 429, one success");
    let waited = times[1] - times[0];
    assert!(
        waited >= Duration::from_millis(950) && waited < Duration::from_secs(5),
        "waited {waited:?}"
    );
}

#[tokio::test]
async fn an_expired_url_is_refreshed_and_the_download_goes_on() {
    let server = TestServer::start(
        10,
        Behaviour {
            expire_after: Some(3),
            ..Behaviour::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&server.playlist_url(), dir.path());
    let output = request.output.clone();
    let calls = Arc::new(AtomicU32::new(0));
    let refresh = {
        let (server, calls) = (server.clone(), calls.clone());
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            let url = server.playlist_url();
            async move {
                Ok(FreshStream {
                    playlist_url: url,
                    headers: Vec::new(),
                })
            }
        }
    };
    let outcome = run_with(
        &client(),
        &CookieJar::default(),
        request.clone(),
        Some(&refresh),
        CancellationToken::new(),
    )
    .await
    .expect("downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), server.joined());
    assert_eq!(outcome.refreshed_urls, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Without a refresh the expiry is the error, and what was fetched stays.
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(
        6,
        Behaviour {
            expire_after: Some(2),
            ..Behaviour::default()
        },
    )
    .await;
    let request = self::request(&server.playlist_url(), dir.path());
    let error = run(request).await.expect_err("expired");
    assert!(
        matches!(error, DownloadError::Expired { status: 403, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_segment_fails_and_publishes_nothing() {
    let server = TestServer::start(
        6,
        Behaviour {
            missing: [3].into(),
            ..Behaviour::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&server.playlist_url(), dir.path());
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
    assert_eq!(server.request_times(3).len(), 3);
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
    let server = TestServer::start(
        3,
        Behaviour {
            segment_urls: [(1, format!("{}/fault/truncated", site.base_url()))].into(),
            ..Behaviour::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&server.playlist_url(), dir.path());
    let output = request.output.clone();
    let error = run(request).await.expect_err("truncated");
    assert!(
        matches!(&error, DownloadError::Segment { name, .. } if name == "seg-1"),
        "{error}"
    );
    assert_eq!(site.hits("/fault/truncated"), 3);
    assert!(!output.exists());
}

#[tokio::test]
async fn redirected_segments_are_followed() {
    let site = fixture().await;
    let server = TestServer::start(3, Behaviour::default()).await;
    let target = format!("{}/s/1?token=1", server.base_url);
    let redirect = url::Url::parse_with_params(
        &format!("{}/fault/redirect", site.base_url()),
        [("to", target.as_str())],
    )
    .expect("valid");
    let server = TestServer::start(
        3,
        Behaviour {
            segment_urls: [(1, redirect.to_string())].into(),
            ..Behaviour::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&server.playlist_url(), dir.path());
    let output = request.output.clone();
    run(request).await.expect("downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), server.joined());
    assert_eq!(site.hits("/fault/redirect"), 1);
}

#[tokio::test]
async fn byte_ranges_with_and_without_server_support() {
    for honour_ranges in [true, false] {
        let server = TestServer::start(
            5,
            Behaviour {
                honour_ranges,
                ..Behaviour::default()
            },
        )
        .await;
        let dir = tempfile::tempdir().expect("temp dir");
        let request = request(&format!("{}/ranges.m3u8", server.base_url), dir.path());
        let output = request.output.clone();
        let outcome = run(request).await.expect("downloaded");
        assert_eq!(outcome.container, Container::Fmp4);
        assert_eq!(outcome.segments, 4);
        assert_eq!(
            std::fs::read(&output).expect("output"),
            server.joined(),
            "ranges honoured: {honour_ranges}"
        );
    }
}

#[tokio::test]
async fn a_stream_ffmpeg_cannot_read_keeps_its_container() {
    if assemble::find_ffmpeg().is_none() {
        return;
    }
    // The test server's segments are not video at all.
    let server = TestServer::start(3, Behaviour::default()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut request = request(&server.playlist_url(), dir.path());
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
    assert_eq!(std::fs::read(&output).expect("output"), server.joined());
}
