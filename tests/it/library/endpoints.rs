//! The read endpoints and the small ones: preview, metadata and cover with their
//! validators and 304s, `display_title`, settings, the video path with its prefix, and
//! request bodies that are malformed or too large (N-C7, N-D5, N-H4..N-H6, N-H11).

use fixture_site::catalog;
use serde_json::{Value, json};

use super::{WAIT, add, check_error, expect_error, get_bytes, header, start};
use crate::support::database::{TestDatabase, execute};

const MAX_BODY: usize = 64 * 1024;

/// `display_title: source`, a video path prefix, and a small body limit.
async fn start_configured(fixture: &fixture_site::FixtureSite) -> crate::support::TestServer {
    let config = crate::support::config(&fixture.base_url())
        .set("library.display_title", json!("source"))
        .set("library.file_path_prefix", json!("/mnt/media"))
        .set("server.max_json_body_bytes", json!(MAX_BODY));
    crate::support::TestServer::start(&config, &super::LIBRARY_PLUGINS).await
}

#[tokio::test]
async fn preview_metadata_and_cover_answer_with_validators() {
    let fixture = crate::support::fixture().await;
    let server = start_configured(&fixture).await;
    let code = catalog::code(1);
    add(&server, &code).await;
    // A translation exists, but this server is configured to show the source title.
    let writer = TestDatabase::sqlite()
        .connect(server.data.path(), true)
        .await;
    execute(
        &writer,
        format!("UPDATE resources SET title_translated = 'Translated' WHERE code = '{code}'"),
    )
    .await;
    writer.close().await;

    let (status, preview) = server
        .get_json(&format!("/api/resource/{code}/preview"))
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["code"], code.as_str());
    assert_eq!(
        preview["title"],
        catalog::title_ja(1),
        "display_title: source"
    );
    assert_eq!(preview["release_date"], catalog::release_date(1));
    assert_eq!(preview["has_video"], false);
    assert_eq!(preview["cover_url"], format!("/api/resource/{code}/cover"));
    assert_eq!(
        preview["thumbnail_url"],
        format!("/api/resource/{code}/cover?size=medium")
    );
    let people: Vec<&str> = preview["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default())
        .collect();
    let expected: Vec<String> = catalog::people(1)
        .iter()
        .map(|p| super::expected_name_and_alias(p.name).0)
        .collect();
    assert_eq!(people, expected);
    let (_, list) = server.get_json("/api/resources").await;
    assert_eq!(list["items"][0]["display_title"], catalog::title_ja(1));

    let metadata_path = format!("/api/resource/{code}/metadata");
    let (status, headers, bytes) = get_bytes(&server, &metadata_path, &[]).await;
    assert_eq!(status, 200);
    let metadata: Value = serde_json::from_slice(&bytes).expect("metadata json");
    assert_eq!(metadata["title_source"], catalog::title_ja(1));
    assert_eq!(metadata["title_translated"], "Translated");
    assert_eq!(metadata["display_title"], catalog::title_ja(1));
    assert_eq!(
        metadata["tags"].as_array().map(Vec::len),
        Some(catalog::tags(1).len())
    );
    let (etag, modified) = (header(&headers, "etag"), header(&headers, "last-modified"));
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");
    assert!(modified.ends_with(" GMT"), "{modified}");
    for (name, value, expected) in [
        ("if-none-match", etag.as_str(), 304),
        ("if-none-match", "\"something-else\"", 200),
        ("if-none-match", "*", 304),
        ("if-modified-since", modified.as_str(), 304),
        ("if-modified-since", "Thu, 01 Jan 2015 00:00:00 GMT", 200),
    ] {
        let (status, headers, body) = get_bytes(&server, &metadata_path, &[(name, value)]).await;
        assert_eq!(status, expected, "metadata {name}: {value}");
        assert_eq!(
            header(&headers, "etag"),
            etag,
            "validators come with a 304 too"
        );
        if expected == 304 {
            assert!(body.is_empty());
        }
    }
    // A changed record has a new tag, so a client's old copy is not reused.
    let (status, _) = server
        .post_json(
            &format!("/api/resource/refresh/{code}?{WAIT}"),
            json!({"refresh_m3u8": false, "refresh_metadata": false, "retranslate": true}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, headers, _) =
        get_bytes(&server, &metadata_path, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 200, "the old ETag no longer matches");
    assert_ne!(header(&headers, "etag"), etag);

    let cover_path = format!("/api/resource/{code}/cover");
    let (status, headers, original) = get_bytes(&server, &cover_path, &[]).await;
    assert_eq!(status, 200);
    let cover_etag = header(&headers, "etag");
    let (status, _, body) =
        get_bytes(&server, &cover_path, &[("if-none-match", &cover_etag)]).await;
    assert_eq!((status, body.len()), (304, 0));
    let modified = header(&headers, "last-modified");
    let (status, _, _) = get_bytes(&server, &cover_path, &[("if-modified-since", &modified)]).await;
    assert_eq!(status, 304);
    let (status, small_headers, small) =
        get_bytes(&server, &format!("{cover_path}?size=small"), &[]).await;
    assert_eq!(status, 200);
    assert!(small.len() < original.len());
    assert_ne!(
        header(&small_headers, "etag"),
        cover_etag,
        "a thumbnail has its own tag"
    );
    let (status, _, _) = get_bytes(
        &server,
        &format!("{cover_path}?size=small"),
        &[("if-none-match", &header(&small_headers, "etag"))],
    )
    .await;
    assert_eq!(status, 304);

    let absent = catalog::code(2);
    for (path, expected, error) in [
        (
            format!("/api/resource/{absent}/preview"),
            404,
            "resource_not_found",
        ),
        (
            format!("/api/resource/{absent}/metadata"),
            404,
            "resource_not_found",
        ),
        (
            format!("/api/resource/{absent}/cover"),
            404,
            "resource_not_found",
        ),
        (
            "/api/resource/not-a-code/preview".to_owned(),
            400,
            "bad_code",
        ),
        (
            "/api/resource/not-a-code/metadata".to_owned(),
            400,
            "bad_code",
        ),
        ("/api/resource/not-a-code/cover".to_owned(), 400, "bad_code"),
        (format!("{cover_path}?size=huge"), 400, "bad_request"),
        (format!("{cover_path}?width=10"), 400, "bad_request"),
        (
            "/api/actors/999999/avatar".to_owned(),
            404,
            "person_not_found",
        ),
        ("/api/actors/abc/avatar".to_owned(), 400, "bad_request"),
    ] {
        let (status, body) = server.get_json(&path).await;
        check_error(&path, status, &body, expected, error);
    }
    server.stop().await;

    // The earlier way, kept under its own key: the prefix in the media directory's place.
    let config = crate::support::config(&fixture.base_url())
        .set("library.file_path_prefix", json!("/mnt/media/"))
        .set("library.file_path_prefix_replaces_root", json!(true));
    let server = crate::support::TestServer::start(&config, &super::LIBRARY_PLUGINS).await;
    add(&server, &code).await;
    let (_, answer) = server
        .get_json(&format!("/api/downloads/abspath?code={code}"))
        .await;
    assert_eq!(
        answer["path"],
        format!("/mnt/media/resource/video/{code}.mp4"),
        "{answer}"
    );
    server.stop().await;
}

#[tokio::test]
async fn settings_merge_and_null_removes() {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, json!({})).await;
    let (status, empty) = server.get_json("/api/setting").await;
    assert_eq!((status, empty), (200, json!({})));
    let put = |body: Value| {
        let request = server.client.put(server.url("/api/setting")).json(&body);
        async move {
            let response = request.send().await.expect("put");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or_default())
        }
    };
    let first =
        json!({"theme": "dark", "page_size": 40, "columns": {"code": true, "title": ["a", "b"]}});
    assert_eq!(put(first.clone()).await, (200, first.clone()));
    let (status, merged) =
        put(json!({"theme": "light", "page_size": null, "language": "ja"})).await;
    let expected =
        json!({"theme": "light", "language": "ja", "columns": {"code": true, "title": ["a", "b"]}});
    assert_eq!(
        (status, merged),
        (200, expected.clone()),
        "keys merged, null removed"
    );
    assert_eq!(
        server.get_json("/api/setting").await,
        (200, expected.clone())
    );
    for (body, status_expected, code) in [
        (json!(["not", "an", "object"]), 422, "bad_body"),
        (json!("text"), 422, "bad_body"),
    ] {
        let (status, error) = put(body).await;
        check_error("put settings", status, &error, status_expected, code);
    }
    let malformed = server
        .client
        .put(server.url("/api/setting"))
        .header("content-type", "application/json")
        .body("{\"theme\":");
    expect_error("malformed settings", malformed, 400, "bad_body").await;
    assert_eq!(
        server.get_json("/api/setting").await,
        (200, expected),
        "failed writes change nothing"
    );
    server.stop().await;
}

#[tokio::test]
async fn video_path_carries_the_configured_prefix() {
    let fixture = crate::support::fixture().await;
    let server = start_configured(&fixture).await;
    let code = catalog::code(2);
    add(&server, &code).await;
    let (status, answer) = server
        .get_json(&format!(
            "/api/downloads/abspath?code={}",
            code.to_lowercase()
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["code"], code.as_str(), "the code is normalised");
    // The prefix goes before the absolute path, as a WSL share is reached from Windows.
    let absolute = std::path::absolute(
        server
            .data
            .path()
            .join(format!("resource/video/{code}.mp4")),
    )
    .expect("absolute");
    assert_eq!(
        answer["absolute"],
        absolute.display().to_string(),
        "{answer}"
    );
    assert_eq!(
        answer["path"],
        format!("/mnt/media{}", absolute.display()),
        "{answer}"
    );
    assert_eq!(answer["exists"], false);
    for (path, expected, error) in [
        ("/api/downloads/abspath".to_owned(), 400, "bad_request"),
        (
            "/api/downloads/abspath?code=DEMO-004".to_owned(),
            404,
            "resource_not_found",
        ),
        (
            "/api/downloads/abspath?code=..%2Fetc".to_owned(),
            400,
            "bad_code",
        ),
        (
            format!("/api/downloads/abspath?code={code}&extra=1"),
            400,
            "bad_request",
        ),
    ] {
        let (status, body) = server.get_json(&path).await;
        check_error(&path, status, &body, expected, error);
    }
    server.stop().await;

    // Without a prefix the real path under the data directory is shown.
    let server = start(&fixture, json!({})).await;
    add(&server, &code).await;
    let (_, answer) = server
        .get_json(&format!("/api/downloads/abspath?code={code}"))
        .await;
    let shown = std::path::PathBuf::from(answer["path"].as_str().unwrap_or_default());
    assert!(shown.is_absolute(), "{answer}");
    assert_eq!(answer["path"], answer["absolute"]);
    assert_eq!(
        shown.file_name().and_then(|n| n.to_str()),
        Some(format!("{code}.mp4").as_str())
    );
    assert_eq!(
        shown.parent().and_then(|dir| dir.canonicalize().ok()),
        server
            .data
            .path()
            .join("resource/video")
            .canonicalize()
            .ok(),
        "{answer}"
    );
    server.stop().await;
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused() {
    let fixture = crate::support::fixture().await;
    let server = start_configured(&fixture).await;
    let post = |path: &str, content_type: &str, body: Vec<u8>| {
        server
            .client
            .post(server.url(path))
            .header("content-type", content_type)
            .body(body)
    };
    for path in [
        "/api/resource",
        "/api/resources/batch",
        "/api/source/cookie",
        "/api/resource/refresh/DEMO-001",
    ] {
        // Syntax errors only: a body that parses but does not fit is a 422 (below).
        for body in ["{", "{,}", "not json", "nul", ""] {
            expect_error(
                &format!("{path} {body:?}"),
                post(path, "application/json", body.into()),
                400,
                "bad_body",
            )
            .await;
        }
    }
    expect_error(
        "add without JSON content type",
        post(
            "/api/resource",
            "text/plain",
            b"{\"code\":\"DEMO-001\"}".to_vec(),
        ),
        415,
        "unsupported_media_type",
    )
    .await;
    expect_error(
        "add with an unknown field",
        post(
            "/api/resource",
            "application/json",
            b"{\"code\":\"DEMO-001\",\"force\":true}".to_vec(),
        ),
        422,
        "bad_body",
    )
    .await;
    expect_error(
        "add with a number",
        post(
            "/api/resource",
            "application/json",
            b"{\"code\":1}".to_vec(),
        ),
        422,
        "bad_body",
    )
    .await;
    let padding = "x".repeat(MAX_BODY + 1024);
    let oversized = format!("{{\"code\":\"DEMO-001\",\"padding\":\"{padding}\"}}").into_bytes();
    for path in ["/api/resource", "/api/resources/batch"] {
        expect_error(
            &format!("{path} oversized"),
            post(path, "application/json", oversized.clone()),
            413,
            "body_too_large",
        )
        .await;
    }
    let big_settings = format!("{{\"blob\":\"{padding}\"}}");
    let request = server
        .client
        .put(server.url("/api/setting"))
        .header("content-type", "application/json")
        .body(big_settings);
    expect_error("settings oversized", request, 413, "body_too_large").await;
    let (_, list) = server.get_json("/api/resources").await;
    assert_eq!(list["total"], 0, "nothing refused was added: {list}");
    assert_eq!(server.get_json("/api/setting").await, (200, json!({})));
    server.stop().await;
}
