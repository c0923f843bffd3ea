//! The fault matrix through the real server: faults armed on one path of a resource's
//! stream, then `POST /api/downloads/{code}`.

use std::time::{Duration, Instant};

use fixture_site::{FOREVER, Fault};
use serde_json::json;

use super::{
    BEST_VARIANT, add, finished, full_stream, number, segment_path, server, submit_download,
    video_path,
};
use crate::support;

/// One recoverable case: the fault armed on `path` of `code`'s stream, `times` times.
struct Case {
    code: &'static str,
    path: String,
    fault: Fault,
    times: u32,
    /// Requests the path gets in all (faulted ones included).
    hits: u64,
    /// The download waits at least this long (a `Retry-After`, an idle timeout): a
    /// lower bound, which a busy machine cannot break.
    at_least: Duration,
}

fn case(code: &'static str, path: String, fault: Fault, times: u32) -> Case {
    Case {
        code,
        path,
        fault,
        times,
        hits: u64::from(times) + 1,
        at_least: Duration::ZERO,
    }
}

#[tokio::test]
async fn recoverable_faults_end_with_the_file_byte_identical_to_the_stream() {
    let fixture = support::fixture().await;
    let server = server(&fixture, json!({})).await;
    let idle = Duration::from_millis(1000);
    let cases = [
        // Alpha (Referer) streams unless noted; DEMO-003 is beta's (session cookie).
        case(
            "DEMO-001",
            segment_path("DEMO-001", 3, "ts"),
            Fault::Reset,
            2,
        ),
        case(
            "DEMO-002",
            segment_path("DEMO-002", 0, "ts"),
            Fault::Short,
            2,
        ),
        Case {
            at_least: idle,
            ..case(
                "DEMO-003",
                segment_path("DEMO-003", 2, "ts"),
                Fault::Stall,
                1,
            )
        },
        Case {
            at_least: idle,
            ..case(
                "DEMO-004",
                segment_path("DEMO-004", 1, "ts"),
                Fault::Hang,
                1,
            )
        },
        case(
            "DEMO-005",
            segment_path("DEMO-005", 4, "ts"),
            Fault::Status(503),
            3,
        ),
        // AES-128: a 429 is retried after its Retry-After, not the 20 ms backoff.
        Case {
            at_least: Duration::from_secs(2),
            ..case(
                "DEMO-007",
                segment_path("DEMO-007", 1, "ts"),
                Fault::TooMany { retry_after: 2 },
                1,
            )
        },
        case(
            "DEMO-008",
            segment_path("DEMO-008", 5, "ts"),
            Fault::NotFound,
            1,
        ),
        // Five 404s outlast one attempt's four tries: the task's second attempt resumes
        // and meets the last one.
        case(
            "DEMO-010",
            segment_path("DEMO-010", 2, "ts"),
            Fault::NotFound,
            5,
        ),
        // fMP4's init section, AES-128's key, the media playlist.
        case(
            "DEMO-011",
            format!("/stream/DEMO-011/{BEST_VARIANT}/init.mp4"),
            Fault::Reset,
            1,
        ),
        case(
            "DEMO-017",
            "/stream/DEMO-017/key.bin".to_owned(),
            Fault::Status(500),
            2,
        ),
        case(
            "DEMO-019",
            format!("/stream/DEMO-019/{BEST_VARIANT}/index.m3u8"),
            Fault::Short,
            1,
        ),
        // Expired: the source plugin resolves the stream again and the download goes on.
        case(
            "DEMO-013",
            segment_path("DEMO-013", 2, "ts"),
            Fault::Status(403),
            1,
        ),
        case(
            "DEMO-014",
            format!("/stream/DEMO-014/{BEST_VARIANT}/index.m3u8"),
            Fault::Status(410),
            1,
        ),
    ];
    for case in cases {
        let label = format!(
            "{} {} {:?} x{}",
            case.code, case.path, case.fault, case.times
        );
        add(&server, case.code).await;
        fixture.arm_fault(&case.path, case.fault, case.times);
        let started = Instant::now();
        let (status, body) = server
            .post_json(&format!("/api/downloads/{}?wait=120", case.code), json!({}))
            .await;
        let elapsed = started.elapsed();
        assert_eq!(status, 201, "{label}: {body}");
        let written = std::fs::read(video_path(&server, case.code)).expect("video file");
        assert!(
            written == full_stream(&fixture, case.code).await,
            "{label}: the file is the stream"
        );
        assert_eq!(number(&body["result"]["bytes"]), written.len() as u64);
        assert_eq!(
            fixture.faults_left(&case.path),
            0,
            "{label}: every fault met"
        );
        assert_eq!(fixture.hits(&case.path), case.hits, "{label}");
        assert!(
            elapsed >= case.at_least,
            "{label}: took {elapsed:?}, expected at least {:?}",
            case.at_least
        );
        let attempts = number(&body["task"]["attempts"]);
        let refreshed = number(&body["result"]["refreshed_urls"]);
        match case.fault {
            Fault::Status(403 | 410) => assert!(refreshed >= 1, "{label}: {body}"),
            _ => assert_eq!(refreshed, 0, "{label}: {body}"),
        }
        let expected_attempts = if case.times > 3 { 2 } else { 1 };
        assert_eq!(attempts, expected_attempts, "{label}: {body}");
        if attempts > 1 {
            assert!(
                number(&body["result"]["reused_segments"]) > 0,
                "{label}: the second attempt resumed: {body}"
            );
        }
        assert!(
            !server
                .data
                .path()
                .join("work/download")
                .join(case.code)
                .exists(),
            "{label}: work dir removed"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn unrecoverable_faults_end_failed_with_a_reason_and_no_file() {
    let fixture = support::fixture().await;
    let server = server(&fixture, json!({})).await;
    let cases = [
        ("DEMO-016", 2, Fault::NotFound, "HTTP 404"),
        ("DEMO-022", 1, Fault::Status(503), "HTTP 503"),
        ("DEMO-020", 3, Fault::Status(403), "expired"),
    ];
    let mut tasks = Vec::new();
    for (code, index, fault, reason) in cases {
        add(&server, code).await;
        let path = segment_path(code, index, "ts");
        fixture.arm_fault(&path, fault, FOREVER);
        let id = submit_download(&server, code, "normal").await;
        tasks.push((code, path, fault, reason, id));
    }
    for (code, path, fault, reason, id) in tasks {
        let task = finished(&server, id, Duration::from_secs(120)).await;
        let label = format!("{code} {path} {fault:?}");
        assert_eq!(task.status, kura::store::TaskStatus::Failed, "{label}");
        let error = task.error.clone().unwrap_or_default();
        assert!(error.contains(reason), "{label}: {error}");
        assert_eq!(
            task.attempts, task.max_attempts,
            "{label}: every attempt was tried"
        );
        if !matches!(fault, Fault::Status(403)) {
            // Each attempt tried the segment 1 + `retries` (3) times, no more.
            assert_eq!(
                fixture.hits(&path),
                u64::from(task.max_attempts) * 4,
                "{label}"
            );
        }
        assert!(!video_path(&server, code).exists(), "{label}: no file");
        let mut part = video_path(&server, code).into_os_string();
        part.push(".part");
        assert!(
            !std::path::Path::new(&part).exists(),
            "{label}: no part file"
        );
        let (_, meta) = server
            .get_json(&format!("/api/resource/{code}/metadata"))
            .await;
        assert!(meta["video_file"].is_null(), "{label}: {meta}");
        // The other segments were fetched once each and wait for a later download.
        let work = server.data.path().join("work/download").join(code);
        assert!(
            kura::download::saved_parts(&work).contains("seg-0"),
            "{label}: parts kept"
        );
    }
    server.stop().await;
}
