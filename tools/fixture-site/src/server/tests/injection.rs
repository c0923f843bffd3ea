//! Armed faults, long streams and added latency over real HTTP.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::{body, client, get, start};
use crate::{FOREVER, Fault, FixtureConfig, FixtureSite, catalog};

/// The chunks of a body until it ends (`Ok`) or breaks (`Err`, with what arrived before).
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, Vec<u8>> {
    let mut received = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => return Ok(received),
            Err(_) => return Err(received),
        }
    }
}

#[tokio::test]
async fn status_faults_answer_the_next_requests_then_the_path_heals() {
    let site = start().await;
    let base = site.base_url();
    let path = "/stream/DEMO-001/2/seg3.ts";
    let expected = catalog::served_segment(1, 2, 3, site.config().segment_bytes);
    site.arm_fault(path, Fault::Status(503), 2);
    site.arm_fault(path, Fault::TooMany { retry_after: 3 }, 1);
    site.arm_fault(path, Fault::NotFound, 1);
    assert_eq!(site.faults_left(path), 4);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = get(&format!("{base}{path}")).await;
        statuses.push(response.status().as_u16());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(response.headers()["retry-after"], "3");
        }
        if response.status() == StatusCode::OK {
            assert_eq!(body(response).await, expected);
        }
    }
    assert_eq!(statuses, [503, 503, 429, 404, 200]);
    assert_eq!(site.faults_left(path), 0);
    assert_eq!(site.hits(path), 5, "faulted requests count too");
    // Another segment of the same stream never noticed.
    let other = get(&format!("{base}/stream/DEMO-001/2/seg2.ts")).await;
    assert_eq!(other.status(), StatusCode::OK);
    // Forever until disarmed; an impossible status is a 500.
    site.arm_fault(path, Fault::Status(42), FOREVER);
    for _ in 0..3 {
        assert_eq!(get(&format!("{base}{path}")).await.status().as_u16(), 500);
    }
    assert_eq!(site.faults_left(path), FOREVER);
    site.disarm_faults();
    assert_eq!(get(&format!("{base}{path}")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn body_faults_send_the_first_half_then_break() {
    let site = start().await;
    let base = site.base_url();
    let path = "/stream/DEMO-007/2/seg1.ts";
    let url = format!("{base}{path}");
    let expected = catalog::served_segment(7, 2, 1, site.config().segment_bytes);
    let half = &expected[..expected.len() / 2];

    site.arm_fault(path, Fault::Reset, 1);
    let reset = get(&url).await;
    assert_eq!(reset.status(), StatusCode::OK);
    assert_eq!(reset.content_length(), None, "chunked");
    assert_eq!(read_body(reset).await.expect_err("aborted"), half);

    site.arm_fault(path, Fault::Short, 1);
    let short = get(&url).await;
    assert_eq!(short.content_length(), Some(expected.len() as u64));
    assert_eq!(read_body(short).await.expect_err("closed early"), half);

    site.arm_fault(path, Fault::Stall, 1);
    let mut stalled = get(&url).await;
    assert_eq!(stalled.content_length(), Some(expected.len() as u64));
    let mut received = Vec::new();
    while received.len() < half.len() {
        let chunk = stalled.chunk().await.expect("first half").expect("a chunk");
        received.extend_from_slice(&chunk);
    }
    assert_eq!(received, half);
    let started = Instant::now();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), stalled.chunk())
            .await
            .is_err(),
        "nothing more arrives"
    );
    assert!(started.elapsed() >= Duration::from_millis(300));

    site.arm_fault(path, Fault::Hang, 1);
    let hung = client()
        .get(&url)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(hung.is_err_and(|error| error.is_timeout()), "no headers");

    // Used up: the next request is whole.
    assert_eq!(body(get(&url).await).await, expected);
    assert_eq!(site.hits(path), 5);
}

#[tokio::test]
async fn long_streams_and_latency() {
    let site = FixtureSite::start(FixtureConfig {
        segment_bytes: 2048,
        stream_segments: Some(200),
        latency_ms: 40,
        cache_segments: true,
        ..FixtureConfig::default()
    })
    .await
    .expect("binds");
    let base = site.base_url();
    assert_eq!(site.segment_count(7), 200);
    let started = Instant::now();
    let playlist = get(&format!("{base}/stream/DEMO-007/1/index.m3u8?site=beta")).await;
    assert!(
        started.elapsed() >= Duration::from_millis(40),
        "latency added"
    );
    assert_eq!(playlist.status(), StatusCode::FORBIDDEN, "protection kept");
    let playlist =
        String::from_utf8(body(get(&format!("{base}/stream/DEMO-007/1/index.m3u8")).await).await)
            .expect("utf-8");
    assert_eq!(playlist.matches("#EXTINF:4.0,").count(), 200);
    assert!(
        playlist.ends_with("seg199.ts\n#EXT-X-ENDLIST\n"),
        "{playlist}"
    );
    // Twice: made, then from the cache (encrypted as served, plaintext in `full` below).
    for _ in 0..2 {
        let last = get(&format!("{base}/stream/DEMO-007/1/seg199.ts")).await;
        assert_eq!(body(last).await, catalog::served_segment(7, 1, 199, 2048));
    }
    let past = get(&format!("{base}/stream/DEMO-007/1/seg200.ts")).await;
    assert_eq!(past.status(), StatusCode::NOT_FOUND);
    for (n, variant) in [(7, 1), (11, 0), (7, 1)] {
        let full = get(&format!(
            "{base}/stream/{}/{variant}/full",
            catalog::code(n)
        ))
        .await;
        let full = body(full).await;
        assert_eq!(full, site.full_stream(n, variant));
        assert_eq!(
            full,
            catalog::full_stream_with_segments(n, variant, 2048, 200)
        );
    }
    // The default site keeps the catalog's counts.
    let default_site = start().await;
    assert_eq!(default_site.segment_count(7), catalog::segment_count(7));
    assert_eq!(
        default_site.full_stream(7, 1),
        catalog::full_stream(7, 1, 4096)
    );
    let refused = FixtureSite::start(FixtureConfig {
        stream_segments: Some(0),
        ..FixtureConfig::default()
    })
    .await;
    assert!(refused.is_err(), "an empty stream is refused");
}

#[tokio::test]
async fn redirect_and_corrupt_faults_reshape_the_real_answer() {
    let site = start().await;
    let base = site.base_url();
    let path = "/stream/DEMO-001/2/seg1.ts";
    let url = format!("{base}{path}?site=&x=1");
    let expected = catalog::served_segment(1, 2, 1, site.config().segment_bytes);

    site.arm_fault(path, Fault::Redirect, 2);
    for _ in 0..2 {
        let redirect = get(&url).await;
        assert_eq!(redirect.status(), StatusCode::FOUND);
        assert_eq!(redirect.headers()["location"], format!("{path}?site=&x=1"));
    }
    // A client that follows redirects gets the segment once they are used up.
    site.arm_fault(path, Fault::Redirect, 1);
    let followed = reqwest::get(format!("{base}{path}"))
        .await
        .expect("followed");
    assert_eq!(followed.status(), StatusCode::OK);
    assert_eq!(body(followed).await, expected);
    assert_eq!(site.hits(path), 4);

    site.arm_fault(path, Fault::Corrupt, 1);
    let corrupt = get(&format!("{base}{path}")).await;
    assert_eq!(corrupt.status(), StatusCode::OK);
    assert_eq!(corrupt.headers()["content-type"], "video/mp2t");
    let inverted: Vec<u8> = expected.iter().map(|byte| !byte).collect();
    assert_eq!(body(corrupt).await, inverted);
    assert_eq!(body(get(&format!("{base}{path}")).await).await, expected);
}

#[tokio::test]
async fn a_test_can_wait_for_a_request_to_a_path() {
    let site = start().await;
    let path = "/stream/DEMO-002/0/seg2.ts";
    let within = Duration::from_secs(30);
    assert!(
        !site.wait_for_hits(path, 1, Duration::from_millis(50)).await,
        "no request yet"
    );
    site.arm_fault(path, Fault::Hang, 1);
    let url = format!("{}{path}", site.base_url());
    let hung = tokio::spawn(async move { get(&url).await });
    assert!(site.wait_for_hits(path, 1, within).await);
    assert_eq!(site.hits(path), 1);
    // Already reached: at once.
    assert!(site.wait_for_hits(path, 1, within).await);
    hung.abort();
}
