//! `GET /api/resource/{code}/video`: byte ranges for seeking, conditional requests, the
//! type from the file's bytes, and a download named after the real container.

use serde_json::json;

use crate::support::{self, TestServer};

#[tokio::test]
async fn the_video_is_served_in_ranges_and_typed_by_its_bytes() {
    let fixture = support::fixture().await;
    let config =
        support::config(&fixture.base_url()).merge(json!({ "download": { "remux": false } }));
    let server =
        TestServer::start(&config, &["fixture-alpha", "fixture-beta", "fixture-meta"]).await;
    let client = &server.client;
    for code in ["DEMO-004", "DEMO-006"] {
        let (status, body) = server
            .post_json("/api/resource?wait=60", json!({ "code": code }))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = server.get_json("/api/resource/DEMO-006/video").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("no_video")),
        "{body}"
    );
    let (status, body) = server.get_json("/api/resource/NONE-999/video").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("resource_not_found")),
        "{body}"
    );

    let (status, body) = server
        .post_json("/api/downloads/DEMO-004?wait=120", json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    let file = server.data.path().join("resource/video/DEMO-004.ts");
    let bytes = std::fs::read(&file).expect("downloaded");
    let size = bytes.len();
    assert!(size > 1000);

    let whole = client
        .get(server.url("/api/resource/DEMO-004/video"))
        .send()
        .await
        .expect("whole");
    assert_eq!(whole.status(), 200);
    let headers = whole.headers().clone();
    assert_eq!(
        headers["content-type"], "video/mp2t",
        "kept as TS, typed as TS"
    );
    assert_eq!(headers["accept-ranges"], "bytes");
    assert!(headers.contains_key("last-modified"));
    assert_eq!(
        whole.bytes().await.expect("body").as_ref(),
        bytes.as_slice()
    );

    let range = |value: String| {
        client
            .get(server.url("/api/resource/DEMO-004/video"))
            .header("Range", value)
            .send()
    };
    let first = range("bytes=0-99".to_owned()).await.expect("first");
    assert_eq!(first.status(), 206);
    assert_eq!(
        first.headers()["content-range"],
        format!("bytes 0-99/{size}").as_str()
    );
    assert_eq!(first.bytes().await.expect("body").as_ref(), &bytes[..100]);
    let tail = range("bytes=-100".to_owned()).await.expect("tail");
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.bytes().await.expect("body").as_ref(),
        &bytes[size - 100..]
    );
    let middle = range(format!("bytes={}-", size / 2)).await.expect("middle");
    assert_eq!(middle.status(), 206);
    assert_eq!(
        middle.bytes().await.expect("body").as_ref(),
        &bytes[size / 2..]
    );
    let beyond = range(format!("bytes={size}-")).await.expect("beyond");
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{size}").as_str()
    );
    let body: serde_json::Value = beyond.json().await.expect("error body");
    assert_eq!(body["code"], "range_not_satisfiable");

    let etag = headers["etag"].clone();
    let conditional_range = client
        .get(server.url("/api/resource/DEMO-004/video"))
        .header("Range", "bytes=0-99")
        .header("If-Range", "\"some-older-file\"")
        .send()
        .await
        .expect("if-range");
    assert_eq!(
        conditional_range.status(),
        200,
        "If-Range gets the whole file"
    );
    assert_eq!(conditional_range.bytes().await.expect("body").len(), size);
    let unchanged = client
        .get(server.url("/api/resource/DEMO-004/video"))
        .header("If-None-Match", etag)
        .send()
        .await
        .expect("conditional");
    assert_eq!(unchanged.status(), 304);
    let head = client
        .head(server.url("/api/resource/DEMO-004/video"))
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], size.to_string().as_str());

    let download = client
        .get(server.url("/api/resource/DEMO-004/video?download=1"))
        .send()
        .await
        .expect("download");
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"DEMO-004.ts\""
    );
    let (status, _) = server.get_json("/api/resource/DEMO-004/video?dl=1").await;
    assert_eq!(status, 400, "unknown query keys are refused");

    let (_, meta) = server.get_json("/api/resource/DEMO-004/metadata").await;
    assert_eq!(
        meta["video"],
        json!({ "url": "/api/resource/DEMO-004/video", "container": "mpegts", "size": size, "playable": false, "subtitles": [] }),
        "{meta}"
    );

    // The type follows the bytes, whatever the name: an MP4 is offered as one.
    let mut mp4 = vec![0, 0, 0, 0x18];
    mp4.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    mp4.resize(4096, 0);
    std::fs::write(&file, &mp4).expect("replace");
    let typed = client
        .get(server.url("/api/resource/DEMO-004/video"))
        .send()
        .await
        .expect("mp4");
    assert_eq!(typed.headers()["content-type"], "video/mp4");
    let (_, meta) = server.get_json("/api/resource/DEMO-004/metadata").await;
    assert_eq!(meta["video"]["container"], "mp4");
    assert_eq!(meta["video"]["playable"], true);
    let (_, meta) = server.get_json("/api/resource/DEMO-006/metadata").await;
    assert!(meta.get("video").is_none(), "no video, no player: {meta}");
    server.stop().await;
}
