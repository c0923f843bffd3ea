//! The engine against faults armed on the fixture site's real streams (N-D1, K-8): every
//! fault of one segment, key, playlist or init section that a retry can fix ends with the
//! file byte for byte the stream; a stall (mid-body or before the headers) costs about one
//! `idle_timeout`; what no retry fixes fails, naming the part, and publishes nothing.

use fixture_site::{FOREVER, Fault};

use super::*;

/// Idle timeout of the stall cases: short, so the test is quick, and far above loopback
/// chunk gaps.
const IDLE: Duration = Duration::from_millis(400);

/// A request with a short idle timeout and three tries.
fn quick_request(site: &FixtureSite, n: u32, dir: &Path) -> DownloadRequest {
    let mut request = request(&stream_url(site, n), dir);
    request.idle_timeout = IDLE;
    request.concurrency = 3;
    request
}

#[tokio::test]
async fn every_recoverable_fault_ends_with_the_exact_stream() {
    let site = fixture().await;
    // (code, path, fault, times): segments of plain TS, AES-128 and fMP4 streams, the
    // key, the init section and the media playlist.
    let cases: [(u32, &str, Fault, u32); 10] = [
        (1, "/stream/DEMO-001/2/seg3.ts", Fault::Reset, 2),
        (2, "/stream/DEMO-002/2/seg0.ts", Fault::Short, 2),
        (4, "/stream/DEMO-004/2/seg5.ts", Fault::Stall, 1),
        (5, "/stream/DEMO-005/2/seg1.ts", Fault::Status(503), 2),
        (6, "/stream/DEMO-006/2/seg2.ts", Fault::NotFound, 1),
        (7, "/stream/DEMO-007/2/seg4.ts", Fault::Reset, 1),
        (17, "/stream/DEMO-017/key.bin", Fault::Status(500), 2),
        (11, "/stream/DEMO-011/2/init.mp4", Fault::Short, 1),
        (21, "/stream/DEMO-021/2/seg6.m4s", Fault::Stall, 1),
        (8, "/stream/DEMO-008/2/index.m3u8", Fault::Status(502), 2),
    ];
    for (n, path, fault, times) in cases {
        site.arm_fault(path, fault, times);
        let dir = tempfile::tempdir().expect("temp dir");
        let request = quick_request(&site, n, dir.path());
        let output = request.output.clone();
        let outcome = run(request)
            .await
            .unwrap_or_else(|error| panic!("{path} {fault:?}: {error}"));
        assert_eq!(
            std::fs::read(&output).expect("output"),
            site.full_stream(n, 2),
            "{path} {fault:?}"
        );
        assert_eq!(site.faults_left(path), 0, "{path}: every fault was met");
        assert_eq!(
            site.hits(path),
            u64::from(times) + 1,
            "{path} {fault:?}: one more try than faults"
        );
        assert_eq!(outcome.segments, site.segment_count(n));
    }
}

#[tokio::test]
async fn retry_after_is_waited_for_on_a_real_stream() {
    let site = fixture().await;
    let path = "/stream/DEMO-009/2/seg2.ts";
    site.arm_fault(path, Fault::TooMany { retry_after: 1 }, 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let request = quick_request(&site, 9, dir.path());
    let output = request.output.clone();
    let started = Instant::now();
    run(request).await.expect("downloaded");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(1),
        "the retry waited for Retry-After: {elapsed:?} (the backoff alone is 5 ms)"
    );
    assert_eq!(site.hits(path), 2);
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 9, 2));
}

#[tokio::test]
async fn stalls_are_retried_after_one_idle_timeout() {
    let site = fixture().await;
    // Mid-body (the first half arrived) and before the headers.
    for (n, fault) in [(12, Fault::Stall), (13, Fault::Hang)] {
        let path = format!("/stream/{}/2/seg1.ts", catalog::code(n));
        site.arm_fault(&path, fault, 1);
        let dir = tempfile::tempdir().expect("temp dir");
        let request = quick_request(&site, n, dir.path());
        let output = request.output.clone();
        let started = Instant::now();
        run(request)
            .await
            .unwrap_or_else(|error| panic!("{fault:?}: {error}"));
        let elapsed = started.elapsed();
        assert!(
            elapsed >= IDLE,
            "{fault:?}: {elapsed:?} for an idle timeout of {IDLE:?}"
        );
        assert_eq!(site.hits(&path), 2, "{fault:?}");
        assert_eq!(
            std::fs::read(&output).expect("output"),
            full(&site, n, 2),
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn an_expired_segment_is_refreshed_and_the_stream_completes() {
    let site = fixture().await;
    let path = "/stream/DEMO-014/2/seg3.ts";
    site.arm_fault(path, Fault::Status(410), 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let request = quick_request(&site, 14, dir.path());
    let output = request.output.clone();
    let (outcome, calls) = run_refreshing(request, &stream_url(&site, 14)).await;
    assert_eq!(outcome.refreshed_urls, 1);
    assert_eq!(calls, 1);
    assert_eq!(site.hits(path), 2);
    // The playlist was read again from the fresh URL.
    assert_eq!(site.hits("/stream/DEMO-014/2/index.m3u8"), 2);
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 14, 2));
}

/// A stream whose audio is a rendition of its own, the video's and the audio's URLs
/// both expired: the tracks share one fresh URL, asked of the caller once.
#[tokio::test]
async fn tracks_that_find_the_url_expired_share_one_refresh() {
    let files = tempfile::tempdir().expect("files dir");
    std::fs::write(
        files.path().join("demuxed.m3u8"),
        "#EXTM3U\n#EXT-X-VERSION:4\n\
         #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,URI=\"../stream/DEMO-005/0/index.m3u8\"\n\
         #EXT-X-STREAM-INF:BANDWIDTH=2500000,CODECS=\"avc1.42c028,mp4a.40.2\",AUDIO=\"aud\"\n\
         ../stream/DEMO-001/2/index.m3u8\n",
    )
    .expect("master");
    let site = FixtureSite::start(FixtureConfig {
        files: Some(files.path().to_owned()),
        ..FixtureConfig::default()
    })
    .await
    .expect("fixture site");
    let (video, audio) = ("/stream/DEMO-001/2/seg3.ts", "/stream/DEMO-005/0/seg2.ts");
    site.arm_fault(video, Fault::Status(410), 1);
    site.arm_fault(audio, Fault::Status(403), 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("{}/files/demuxed.m3u8", site.base_url());
    let mut request = request(&url, dir.path());
    request.idle_timeout = IDLE;
    let (outcome, calls) = run_refreshing(request, &url).await;
    assert_eq!(calls, 1, "one refresh for both tracks");
    assert_eq!(outcome.refreshed_urls, 1);
    assert_eq!((site.hits(video), site.hits(audio)), (2, 2));
    assert_eq!(outcome.tracks.len(), 1, "{:?}", outcome.tracks);
    let audio_file = outcome.tracks[0]
        .file
        .as_ref()
        .expect("audio beside the video");
    assert_eq!(
        std::fs::read(audio_file).expect("audio"),
        full(&site, 5, 0),
        "the audio track whole after its refresh"
    );
    assert_eq!(
        std::fs::read(&outcome.output).expect("video"),
        full(&site, 1, 2)
    );
}

#[tokio::test]
async fn unrecoverable_faults_fail_naming_the_part_and_publish_nothing() {
    let site = fixture().await;
    for (n, fault, expected) in [
        (15, Fault::NotFound, "HTTP 404"),
        (16, Fault::Status(503), "HTTP 503"),
        (18, Fault::Reset, "tries"),
        (19, Fault::Status(403), "expired"),
    ] {
        let path = format!("/stream/{}/2/seg2.ts", catalog::code(n));
        site.arm_fault(&path, fault, FOREVER);
        let dir = tempfile::tempdir().expect("temp dir");
        let request = quick_request(&site, n, dir.path());
        let (output, work_dir) = (request.output.clone(), request.work_dir.clone());
        let error = run(request).await.expect_err("cannot succeed");
        let text = error.to_string();
        assert!(text.contains(expected), "{fault:?}: {text}");
        match (&error, fault) {
            (DownloadError::Expired { status: 403, .. }, Fault::Status(403)) => {}
            (DownloadError::Segment { name, .. }, _) => assert_eq!(name, "seg-2", "{text}"),
            _ => panic!("{fault:?}: unexpected {text}"),
        }
        assert!(!output.exists() && !assemble::part_path(&output).exists());
        assert!(
            part_files(&work_dir)
                .iter()
                .all(|name| !name.ends_with(".part")),
            "no partial file left"
        );
        if !matches!(fault, Fault::Status(403)) {
            // Three tries (retries = 2), no more.
            assert_eq!(site.hits(&path), 3, "{fault:?}");
        }
        site.disarm_faults();
    }
}
