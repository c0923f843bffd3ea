//! Downloads as tasks, end to end (N-D1, N-D3, N-D4, K-8): a resource added through the
//! source plugins is downloaded with that source's headers and cookies to
//! `resource/video/{CODE}.mp4` (`{CODE}.ts` for MPEG-TS kept as it is), byte for byte
//! the stream; an expired stream URL is resolved again through the source; deleting the
//! video keeps the resource.

use serde_json::{Value, json};

use crate::support::{self, TestServer};

/// The file a download task's answer says it published.
fn published(server: &TestServer, body: &Value) -> std::path::PathBuf {
    let file = body["result"]["file"].as_str().expect("a published file");
    server.data.path().join(file)
}

/// Remux off, so the file can be compared byte for byte with the fixture's stream.
fn no_remux() -> Value {
    json!({ "download": { "remux": false } })
}

async fn server(fixture: &fixture_site::FixtureSite, settings: Value) -> TestServer {
    let config = support::config(&fixture.base_url()).merge(settings);
    TestServer::start(&config, &["fixture-alpha", "fixture-beta", "fixture-meta"]).await
}

async fn add(server: &TestServer, code: &str) {
    let (status, body) = server
        .post_json("/api/resource?wait=60", json!({ "code": code }))
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Points a stored resource at another stream (one the fixture site serves from files,
/// which no source plugin resolves to), as a source would have recorded it.
async fn point_at(server: &TestServer, code: &str, stream_url: &str) {
    let url = format!("sqlite://{}", server.data.path().join("kura.db").display());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.expect("db");
    sqlx::query("UPDATE resources SET stream_url = $1, stream_headers = '{}' WHERE code = $2")
        .bind(stream_url)
        .bind(code)
        .execute(&pool)
        .await
        .expect("point at the stream");
    pool.close().await;
}

async fn expected_bytes(fixture: &fixture_site::FixtureSite, code: &str) -> Vec<u8> {
    // The best variant (2) is what the default rule picks.
    let url = format!("{}/stream/{code}/2/full", fixture.base_url());
    reqwest::get(url)
        .await
        .expect("full")
        .bytes()
        .await
        .expect("bytes")
        .to_vec()
}

/// `DEMO-118`'s media playlists carry two SCTE-35 ad breaks. With the ad-cue filter
/// enabled the download is the content byte for byte and names the filter; disabled, the
/// same stream downloads with its ads (two segments more), so the filter did the work.
#[tokio::test]
async fn a_playlist_filter_drops_ad_breaks_before_the_segments_are_fetched() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).merge(no_remux());
    let server = TestServer::start(&config, &["fixture-alpha", "ad-cue-filter"]).await;
    let code = "DEMO-118";
    add(&server, code).await;
    let content = expected_bytes(&fixture, code).await;
    let segments = fixture_site::catalog::segment_count(118);

    let (status, body) = server
        .post_json(&format!("/api/downloads/{code}?wait=120"), json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["result"]["playlist_filters"],
        json!(["ad-cue-filter"]),
        "{body}"
    );
    assert_eq!(body["result"]["segments"], segments, "{body}");
    let file = published(&server, &body);
    assert!(
        std::fs::read(&file).expect("video") == content,
        "the file is the content, without ads"
    );

    let response = server
        .client
        .delete(server.url(&format!("/api/downloads/{code}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), 200);
    let (status, _) = server
        .post_json("/api/plugins/ad-cue-filter/disable", json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = server
        .post_json(&format!("/api/downloads/{code}?wait=120"), json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["result"]["playlist_filters"], json!([]), "{body}");
    assert_eq!(body["result"]["segments"], segments + 2, "{body}");
    assert_eq!(published(&server, &body), file, "{body}");
    let with_ads = std::fs::read(&file).expect("video");
    assert!(with_ads.len() > content.len(), "the ads are in the file");
    server.stop().await;
}

#[tokio::test]
async fn downloads_match_the_stream_for_every_kind_of_stream() {
    let fixture = support::fixture().await;
    let server = server(&fixture, no_remux()).await;
    // Alpha needs its Referer, beta its session cookie; 7 is AES-128, 11 is fMP4.
    for code in ["DEMO-001", "DEMO-003", "DEMO-007", "DEMO-011"] {
        add(&server, code).await;
        let (status, body) = server
            .post_json(&format!("/api/downloads/{code}?wait=120"), json!({}))
            .await;
        assert_eq!(status, 201, "{code}: {body}");
        let result = &body["result"];
        // Named after its container: MPEG-TS kept as it is, fMP4 as MP4.
        let extension = if result["container"] == "ts" {
            "ts"
        } else {
            "mp4"
        };
        assert_eq!(
            result["file"],
            format!("resource/video/{code}.{extension}"),
            "{body}"
        );
        let file = published(&server, &body);
        let written = std::fs::read(&file).expect("video file");
        assert!(
            written == expected_bytes(&fixture, code).await,
            "{code}: the file is the stream"
        );
        assert_eq!(result["bytes"], written.len(), "{body}");
        assert!(
            !server.data.path().join("work/download").join(code).exists(),
            "work dir removed"
        );
    }
    let (_, list) = server
        .get_json("/api/resources?downloaded=true&sort=video_time")
        .await;
    assert_eq!(list["total"], 4, "{list}");
    let (_, path) = server
        .get_json("/api/downloads/abspath?code=DEMO-007")
        .await;
    assert_eq!(path["exists"], true, "{path}");

    // Deleting the video keeps the resource.
    let response = server
        .client
        .delete(server.url("/api/downloads/DEMO-007"))
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.expect("json");
    assert_eq!(answer["video_removed"], true, "{answer}");
    for name in ["DEMO-007.mp4", "DEMO-007.ts"] {
        assert!(
            !server
                .data
                .path()
                .join("resource/video")
                .join(name)
                .exists()
        );
    }
    let (status, meta) = server.get_json("/api/resource/DEMO-007/metadata").await;
    assert_eq!(status, 200);
    assert!(meta["video_file"].is_null(), "{meta}");
    server.stop().await;
}

#[tokio::test]
async fn an_expired_stream_url_is_resolved_again_through_the_source() {
    let fixture = support::fixture().await;
    let server = server(&fixture, no_remux()).await;
    add(&server, "DEMO-002").await;
    // The stored URL loses the Referer alpha requires, as an expired signed URL would
    // stop working: the stream answers 403.
    let url = format!("sqlite://{}", server.data.path().join("kura.db").display());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.expect("db");
    sqlx::query("UPDATE resources SET stream_headers = '{}' WHERE code = 'DEMO-002'")
        .execute(&pool)
        .await
        .expect("expire");
    pool.close().await;
    let (status, body) = server
        .post_json("/api/downloads/DEMO-002?wait=120", json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        body["result"]["refreshed_urls"].as_u64().unwrap_or(0) >= 1,
        "{body}"
    );
    let written = std::fs::read(published(&server, &body)).expect("file");
    assert!(written == expected_bytes(&fixture, "DEMO-002").await);
    let (_, meta) = server.get_json("/api/resource/DEMO-002/metadata").await;
    assert!(
        meta["stream_headers"]["Referer"].is_string(),
        "the fresh headers are stored: {meta}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_stream_ffmpeg_cannot_remux_is_kept_whole_and_says_why() {
    // DEMO-004's stream never sends its picture parameter set: ffmpeg refuses to remux
    // it, and the download keeps the TS container rather than failing or publishing a
    // broken MP4.
    let fixture = support::fixture().await;
    let server = server(&fixture, json!({})).await;
    add(&server, "DEMO-004").await;
    let (status, body) = server
        .post_json("/api/downloads/DEMO-004?wait=120", json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    let result = &body["result"];
    // With or without ffmpeg the stream stays TS; with it, the refusal is reported.
    assert_eq!(result["remuxed"], false, "{body}");
    assert_eq!(result["container"], "ts", "{body}");
    assert_eq!(
        result["remux_error"].is_string(),
        which_ffmpeg().is_some(),
        "{body}"
    );
    // Kept as MPEG-TS, so named so; no `.mp4` claims otherwise.
    assert_eq!(result["file"], "resource/video/DEMO-004.ts", "{body}");
    let videos = server.data.path().join("resource/video");
    assert!(!videos.join("DEMO-004.mp4").exists());
    let written = std::fs::read(videos.join("DEMO-004.ts")).expect("file");
    assert!(written == expected_bytes(&fixture, "DEMO-004").await);
    server.stop().await;
}

fn which_ffmpeg() -> Option<()> {
    std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .ok()
        .map(drop)
}

#[tokio::test]
async fn a_real_stream_is_remuxed_to_mp4_when_ffmpeg_is_installed() {
    if which_ffmpeg().is_none() {
        eprintln!("ffmpeg is not installed: remux test skipped");
        return;
    }
    // A real HLS stream made by ffmpeg itself, in a local directory.
    let hls = tempfile::tempdir().expect("hls dir");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=6:size=320x240:rate=25",
        ])
        .args([
            "-c:v",
            "mpeg2video",
            "-f",
            "hls",
            "-hls_time",
            "2",
            "-hls_list_size",
            "0",
        ])
        .arg(hls.path().join("index.m3u8"))
        .output()
        .expect("ffmpeg");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // The fixture site serves the directory at /files, beside the sites the plugins read.
    let fixture = fixture_site::FixtureSite::start(fixture_site::FixtureConfig {
        files: Some(hls.path().to_path_buf()),
        ..fixture_site::FixtureConfig::default()
    })
    .await
    .expect("fixture site starts");
    let server = server(&fixture, json!({})).await;
    add(&server, "DEMO-005").await;
    let stream = format!("{}/files/index.m3u8", fixture.base_url());
    point_at(&server, "DEMO-005", &stream).await;
    let (status, body) = server
        .post_json("/api/downloads/DEMO-005?wait=120", json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["result"]["container"], "mp4", "{body}");
    assert_eq!(body["result"]["remuxed"], true, "{body}");
    let written =
        std::fs::read(server.data.path().join("resource/video/DEMO-005.mp4")).expect("file");
    assert_eq!(&written[4..8], b"ftyp", "an MP4 starts with its ftyp box");
    server.stop().await;
}

/// A stream with its audio in two renditions of their own and WebVTT subtitles, as
/// ffmpeg's HLS muxer makes it (the fixture's corpus): the task's result lists each
/// track, the MP4 holds the video and both languages, the subtitles are recorded with
/// the resource, listed in its metadata and served for a player's `<track>`; deleting
/// the video removes them too.
#[tokio::test]
async fn demuxed_audio_and_subtitles_reach_the_library() {
    if which_ffmpeg().is_none() {
        eprintln!("ffmpeg is not installed: skipped");
        return;
    }
    let files = tempfile::tempdir().expect("files dir");
    let fixture = fixture_site::FixtureSite::start(fixture_site::FixtureConfig {
        files: Some(files.path().to_path_buf()),
        ..fixture_site::FixtureConfig::default()
    })
    .await
    .expect("fixture site starts");
    let (root, files_url) = (
        files.path().to_path_buf(),
        format!("{}/files", fixture.base_url()),
    );
    tokio::task::spawn_blocking(move || fixture_site::corpus::build(&root, &files_url))
        .await
        .expect("corpus task")
        .expect("corpus built");
    let server = server(&fixture, json!({ "download": { "audio": "all" } })).await;
    add(&server, "DEMO-005").await;
    let stream = format!("{}/files/ts-demuxed/master.m3u8", fixture.base_url());
    point_at(&server, "DEMO-005", &stream).await;

    let (status, body) = server
        .post_json("/api/downloads/DEMO-005?wait=120", json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    let tracks = body["result"]["tracks"].as_array().expect("tracks");
    let summary: Vec<String> = tracks
        .iter()
        .map(|t| format!("{} {} {}", t["kind"], t["language"], t["muxed"]))
        .collect();
    assert_eq!(
        summary,
        [
            "\"audio\" \"en\" true",
            "\"audio\" \"ja\" true",
            "\"subtitles\" null false"
        ],
        "{body}"
    );
    let video = server.data.path().join("resource/video/DEMO-005.mp4");
    let probed = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-of", "csv=p=0", "-show_entries"])
        .arg("stream=codec_type:stream_tags=language")
        .arg(&video)
        .output()
        .expect("ffprobe");
    let streams = String::from_utf8_lossy(&probed.stdout).replace('\n', " ");
    assert_eq!(streams.trim(), "video,und audio,eng audio,jpn", "{streams}");

    let (status, metadata) = server.get_json("/api/resource/DEMO-005/metadata").await;
    assert_eq!(status, 200, "{metadata}");
    let subtitles = &metadata["video"]["subtitles"];
    assert_eq!(subtitles.as_array().map(Vec::len), Some(1), "{metadata}");
    let vtt_url = subtitles[0]["url"].as_str().expect("url").to_owned();
    let response = server
        .client
        .get(server.url(&vtt_url))
        .send()
        .await
        .expect("subtitles");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/vtt; charset=utf-8"
    );
    let text = response.text().await.expect("text");
    assert!(
        text.starts_with("WEBVTT\n") && text.contains("第二句"),
        "{text}"
    );
    let (status, missing) = server.get_json("/api/resource/DEMO-005/subtitles/xx").await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (404, Some("no_subtitles"))
    );
    let vtt_file = server.data.path().join(
        metadata["video_tracks"][0]["file"]
            .as_str()
            .expect("recorded file"),
    );
    assert!(vtt_file.is_file(), "{}", vtt_file.display());

    let response = server
        .client
        .delete(server.url("/api/downloads/DEMO-005"))
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), 200);
    assert!(!vtt_file.exists(), "the subtitles went with the video");
    let (_, metadata) = server.get_json("/api/resource/DEMO-005/metadata").await;
    assert_eq!(metadata["video_tracks"], json!([]), "{metadata}");
    server.stop().await;
}
