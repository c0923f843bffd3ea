//! Downloads end to end against the fixture site (real streams: plain TS, AES-128,
//! fMP4, variants, site protection, resume, progress, remux); `armed.rs` and `faults.rs`
//! arm the fixture's per-path faults on its real streams (`faults.rs`: cancellation,
//! expiry, redirects, byte ranges, unremuxable bytes).

mod armed;
mod corpus;
mod faults;
mod restart;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fixture_site::catalog;
use fixture_site::{FixtureConfig, FixtureSite};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::config::{Config, Overrides};

/// Longest a test download may take before the test fails instead of hanging.
const TEST_DEADLINE: Duration = Duration::from_secs(60);

fn config(allow_loopback: bool) -> Config {
    let text = if allow_loopback {
        "fetch:\n  allow_private_hosts: [\"127.0.0.1\"]\n"
    } else {
        ""
    };
    Config::parse(text, Path::new("t.yaml"), &Overrides::default()).expect("valid config")
}

fn client() -> FetchClient {
    FetchClient::new(&config(true).fetch).expect("client")
}

/// A request writing `out.ts` in `dir`, no remux, quick retries.
fn request(url: &str, dir: &Path) -> DownloadRequest {
    let output = dir.join("out.ts");
    let mut request = DownloadRequest::new(
        url,
        &output,
        work_dir_beside(&output),
        &config(true).download,
    );
    request.remux = false;
    request.retry_delay = Duration::from_millis(5);
    request.retries = 2;
    request
}

async fn run(request: DownloadRequest) -> Result<DownloadOutcome, DownloadError> {
    run_with(
        &client(),
        &CookieJar::default(),
        request,
        None,
        CancellationToken::new(),
    )
    .await
}

async fn run_with(
    client: &FetchClient,
    jar: &CookieJar,
    request: DownloadRequest,
    refresh: Option<&dyn StreamRefresh>,
    cancel: CancellationToken,
) -> Result<DownloadOutcome, DownloadError> {
    tokio::time::timeout(
        TEST_DEADLINE,
        download(client, jar, request, refresh, cancel, |_| {}),
    )
    .await
    .expect("download finished in time")
}

/// Runs `request` to the end with a refresh that answers `url` each time it is asked;
/// the outcome and how many times it was asked.
async fn run_refreshing(request: DownloadRequest, url: &str) -> (DownloadOutcome, u32) {
    let calls = std::sync::atomic::AtomicU32::new(0);
    let refresh = || {
        calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let url = url.to_owned();
        async move {
            Ok(FreshStream {
                playlist_url: url,
                headers: Vec::new(),
            })
        }
    };
    let outcome = run_with(
        &client(),
        &CookieJar::default(),
        request,
        Some(&refresh),
        CancellationToken::new(),
    )
    .await
    .expect("downloaded");
    (outcome, calls.load(std::sync::atomic::Ordering::SeqCst))
}

/// Runs `request` to the end; its outcome and every progress report it made.
async fn run_reporting(request: DownloadRequest) -> (DownloadOutcome, Vec<Progress>) {
    let mut reports: Vec<Progress> = Vec::new();
    let outcome = tokio::time::timeout(
        TEST_DEADLINE,
        download(
            &client(),
            &CookieJar::default(),
            request,
            None,
            CancellationToken::new(),
            |progress| reports.push(progress.clone()),
        ),
    )
    .await
    .expect("download finished in time")
    .expect("downloaded");
    (outcome, reports)
}

async fn fixture() -> FixtureSite {
    FixtureSite::start(FixtureConfig::default())
        .await
        .expect("fixture site")
}

fn stream_url(site: &FixtureSite, n: u32) -> String {
    format!(
        "{}/stream/{}/master.m3u8",
        site.base_url(),
        catalog::code(n)
    )
}

fn full(site: &FixtureSite, n: u32, variant: usize) -> Vec<u8> {
    catalog::full_stream(n, variant, site.config().segment_bytes)
}

fn part_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn plain_ts_equals_the_full_stream() {
    let site = fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 1), dir.path());
    let (output, work_dir) = (request.output.clone(), request.work_dir.clone());
    let outcome = run(request).await.expect("downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 1, 2));
    assert_eq!(outcome.segments, catalog::segment_count(1));
    assert_eq!(outcome.container, Container::Ts);
    assert!(!outcome.remuxed);
    assert_eq!((outcome.reused_segments, outcome.refreshed_urls), (0, 0));
    assert_eq!(outcome.bytes, outcome.downloaded_bytes);
    assert!(!work_dir.exists(), "work dir removed on success");
    assert!(!assemble::part_path(&output).exists());
}

#[tokio::test]
async fn aes_128_segments_are_decrypted() {
    let site = fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 7), dir.path());
    let output = request.output.clone();
    run(request).await.expect("downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 7, 2));
    // One key for all segments: fetched once.
    assert_eq!(site.hits("/stream/DEMO-007/key.bin"), 1);
}

#[tokio::test]
async fn a_missing_key_fails_once_for_every_part_waiting_for_it() {
    let site = fixture().await;
    site.arm_fault(
        "/stream/DEMO-007/key.bin",
        fixture_site::Fault::NotFound,
        fixture_site::FOREVER,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 7), dir.path());
    let (output, tries) = (request.output.clone(), u64::from(request.retries) + 1);
    let error = run(request).await.expect_err("no key");
    assert!(
        matches!(&error, DownloadError::Key { reason, .. } if reason.contains("404")),
        "{error}"
    );
    // Several parts asked for it at once; one fetch, with its retries, answered all.
    assert_eq!(site.hits("/stream/DEMO-007/key.bin"), tries);
    assert!(!output.exists());
}

#[tokio::test]
async fn fmp4_starts_with_its_init_section() {
    let site = fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 11), dir.path());
    let output = request.output.clone();
    let outcome = run(request).await.expect("downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 11, 2));
    assert_eq!(outcome.container, Container::Fmp4);
}

#[tokio::test]
async fn variant_rules_pick_the_variant() {
    let site = fixture().await;
    for (rule, variant) in [
        (VariantRule::Worst, 0),
        (VariantRule::MaxBandwidth(1_500_000), 1),
        (VariantRule::MaxBandwidth(1), 0),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut request = request(&stream_url(&site, 2), dir.path());
        request.variant = rule;
        let output = request.output.clone();
        run(request).await.expect("downloaded");
        assert_eq!(
            std::fs::read(&output).expect("output"),
            full(&site, 2, variant),
            "{rule}"
        );
    }
    assert_eq!(site.hits("/stream/DEMO-002/2/index.m3u8"), 0);
}

#[tokio::test]
async fn site_headers_and_cookies_are_sent() {
    let site = fixture().await;
    let client = client();
    // Alpha wants its page as Referer.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut alpha = request(&format!("{}?site=alpha", stream_url(&site, 1)), dir.path());
    alpha.headers = vec![(
        "Referer".to_owned(),
        format!("{}/alpha/v/DEMO-001", site.base_url()),
    )];
    let output = alpha.output.clone();
    run(alpha).await.expect("alpha downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 1, 2));
    // Without it: 403, and with no way to refresh that is an expiry.
    let bare = request(&format!("{}?site=alpha", stream_url(&site, 1)), dir.path());
    let error = run(bare).await.expect_err("refused");
    assert!(
        matches!(error, DownloadError::Expired { status: 403, .. }),
        "{error}"
    );
    // Beta wants the session cookie its item page sets: the caller's jar carries it.
    let jar = CookieJar::default();
    let policy = EgressPolicy::any_public();
    let scope = crate::fetch::FetchScope {
        caller: "test",
        policy: &policy,
        cookies: &jar,
        deadline: None,
    };
    let page = crate::fetch::FetchRequest::get(format!("{}/beta/item/3", site.base_url()));
    client.fetch(&scope, page).await.expect("item page");
    let dir = tempfile::tempdir().expect("temp dir");
    let beta = request(&format!("{}?site=beta", stream_url(&site, 3)), dir.path());
    let output = beta.output.clone();
    run_with(&client, &jar, beta, None, CancellationToken::new())
        .await
        .expect("beta downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 3, 2));
}

#[tokio::test]
async fn private_addresses_stay_refused_without_the_config() {
    let site = fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let client = FetchClient::new(&config(false).fetch).expect("client");
    let request = request(&stream_url(&site, 1), dir.path());
    let error = run_with(
        &client,
        &CookieJar::default(),
        request,
        None,
        CancellationToken::new(),
    )
    .await
    .expect_err("refused");
    assert!(
        matches!(&error, DownloadError::Playlist { reason, .. } if reason.contains("denied")),
        "{error}"
    );
}

#[tokio::test]
async fn resume_reuses_complete_segments_only() {
    let site = fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 1), dir.path());
    let (output, work_dir) = (request.output.clone(), request.work_dir.clone());
    std::fs::create_dir_all(&work_dir).expect("work dir");
    let size = site.config().segment_bytes;
    for index in [0, 1] {
        let bytes = catalog::served_segment(1, 2, index, size);
        std::fs::write(work_dir.join(format!("seg-{index}")), bytes).expect("segment");
    }
    std::fs::write(work_dir.join("seg-2.part"), b"garbage from a crash").expect("part");
    std::fs::write(work_dir.join("seg-3"), b"").expect("empty");
    let outcome = run(request).await.expect("downloaded");
    assert_eq!(outcome.reused_segments, 2);
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 1, 2));
    assert_eq!(site.hits("/stream/DEMO-001/2/seg0.ts"), 0);
    assert_eq!(site.hits("/stream/DEMO-001/2/seg1.ts"), 0);
    assert_eq!(site.hits("/stream/DEMO-001/2/seg2.ts"), 1);
    assert_eq!(site.hits("/stream/DEMO-001/2/seg3.ts"), 1);
}

#[tokio::test]
async fn progress_is_throttled_and_ends_at_the_total() {
    let site = fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 4), dir.path());
    let output = request.output.clone();
    let started = Instant::now();
    let (_, reports) = run_reporting(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    let last = reports.last().expect("at least the final report");
    assert_eq!(last.segments_done, last.segments_total);
    assert_eq!(last.segments_total, catalog::segment_count(4));
    assert_eq!(
        last.bytes,
        std::fs::metadata(&output).expect("output").len()
    );
    assert_eq!(last.eta_seconds, Some(0.0));
    assert!(
        reports.len() as f64 <= elapsed * 4.0 + 2.0,
        "{} reports in {elapsed} s",
        reports.len()
    );
    assert!(
        reports
            .windows(2)
            .all(|w| w[0].segments_done <= w[1].segments_done)
    );
}

#[tokio::test]
async fn remux_gives_mp4_when_ffmpeg_is_installed() {
    let Some(_) = assemble::find_ffmpeg() else {
        eprintln!("ffmpeg not installed: remux not tested");
        return;
    };
    let site = fixture().await;
    for n in [1, 11] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut request = request(&stream_url(&site, n), dir.path());
        request.output = dir.path().join("out.mp4");
        request.remux = true;
        let output = request.output.clone();
        let outcome = run(request).await.expect("downloaded");
        assert_eq!(outcome.container, Container::Mp4);
        assert!(outcome.remuxed);
        let bytes = std::fs::read(&output).expect("output");
        assert_eq!(&bytes[4..8], b"ftyp", "DEMO-{n:03}");
        if let Some(codec) = probe_codec(&output) {
            assert_eq!(codec, "h264", "DEMO-{n:03}");
        }
    }
}

fn probe_codec(path: &Path) -> Option<String> {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=codec_name", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn work_dir_sits_beside_the_output() {
    assert_eq!(
        work_dir_beside(Path::new("/v/a.mp4")),
        PathBuf::from("/v/a.mp4.parts")
    );
}

#[test]
fn the_download_future_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let (client, jar) = (client(), CookieJar::default());
    let refresh = || async { Err::<FreshStream, String>("none".to_owned()) };
    let dir = tempfile::tempdir().expect("temp dir");
    let future = download(
        &client,
        &jar,
        request("http://example.test/a.m3u8", dir.path()),
        Some(&refresh),
        CancellationToken::new(),
        |_| {},
    );
    assert_send(&future);
}
