//! The UI's page and every file it names are served, with tags and a strict policy.

use crate::support::{self, TestServer};

/// The `/ui/...` URLs a page names in `src=`, `href=` and its import map.
fn named_files(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for piece in page.split('"') {
        if piece.starts_with("/ui/") && !found.iter().any(|f| f == piece) {
            found.push(piece.to_owned());
        }
    }
    found
}

#[tokio::test]
async fn the_page_and_every_file_it_names_are_served_with_tags() {
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &[]).await;
    let client = &server.client;
    let page = client.get(server.url("/")).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-cache");
    let policy = headers["content-security-policy"].to_str().expect("text");
    assert!(
        policy.starts_with("default-src 'self'; script-src 'self' 'sha256-"),
        "{policy}"
    );
    assert!(!policy.contains("unsafe"), "{policy}");
    let etag = headers["etag"].clone();
    let text = page.text().await.expect("html");
    let files = named_files(&text);
    for module in [
        "/ui/app.js",
        "/ui/vendor/preact.mjs",
        "/ui/vendor/hooks.mjs",
        "/ui/vendor/htm.mjs",
        "/ui/style.css",
    ] {
        assert!(
            files.iter().any(|f| f == module),
            "the page names {module}: {files:?}"
        );
    }
    for file in &files {
        let response = client.get(server.url(file)).send().await.expect("file");
        assert_eq!(response.status(), 200, "{file}");
        let tag = response.headers()["etag"].clone();
        let again = client
            .get(server.url(file))
            .header("If-None-Match", tag)
            .send()
            .await
            .expect("again");
        assert_eq!(again.status(), 304, "{file}");
    }
    let again = client
        .get(server.url("/"))
        .header("If-None-Match", etag)
        .send()
        .await
        .expect("page again");
    assert_eq!(again.status(), 304);
    let script = client
        .get(server.url("/ui/app.js"))
        .send()
        .await
        .expect("app");
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    for missing in [
        "/ui/missing.js",
        "/ui/../kura.db",
        "/ui/%2e%2e/kura.db",
        "/ui/vendor/VENDOR.md",
    ] {
        let response = client
            .get(server.url(missing))
            .send()
            .await
            .expect("missing");
        assert_eq!(response.status(), 404, "{missing}");
        let body: serde_json::Value = response.json().await.expect("error body");
        assert_eq!(body["code"], "not_found", "{missing}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_web_dir_overrides_the_embedded_files_and_falls_back_to_them() {
    let fixture = support::fixture().await;
    let web = tempfile::tempdir().expect("web dir");
    std::fs::write(web.path().join("app.js"), "export const edited = true;\n").expect("write");
    let config = support::config(&fixture.base_url()).set(
        "server.web_dir",
        serde_json::json!(web.path().display().to_string()),
    );
    let server = TestServer::start(&config, &[]).await;
    let client = &server.client;
    let edited = client
        .get(server.url("/ui/app.js"))
        .send()
        .await
        .expect("app");
    assert_eq!(edited.status(), 200);
    assert_eq!(
        edited.text().await.expect("text"),
        "export const edited = true;\n"
    );
    let embedded = client
        .get(server.url("/ui/vendor/preact.mjs"))
        .send()
        .await
        .expect("preact");
    assert_eq!(
        embedded.status(),
        200,
        "files the folder lacks come from the binary"
    );
    let page = client.get(server.url("/")).send().await.expect("page");
    assert_eq!(page.status(), 200);
    server.stop().await;
}
