//! Security defaults: the Host allowlist, the Origin check, the bearer token off
//! loopback, CORS off unless configured; connection deadlines and the connection cap,
//! HTTP/2's authority, body limits, security headers, private file modes, and no
//! filesystem path taken from a request.

mod bodies;
mod connections;
mod file_modes;
mod headers;
mod http2;
mod request_paths;

use serde_json::json;

use crate::support::{self, TestServer};

#[tokio::test]
async fn foreign_host_and_origin_are_refused() {
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &["test-swap-v1"]).await;
    let client = &server.client;
    for host in [
        "evil.test",
        "evil.test:8380",
        "127.0.0.1.evil.test",
        "localhost.evil.test",
    ] {
        let response = client
            .get(server.url("/api/plugins"))
            .header("Host", host)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 421, "{host}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["code"], "forbidden_host");
    }
    // Another port of the same host is another origin (another local app).
    let other_port = "http://127.0.0.1:1".to_owned();
    for origin in [
        "https://evil.test",
        "null",
        "http://127.0.0.1.evil.test",
        &other_port,
    ] {
        let response = client
            .post(server.url("/api/plugins/test-swap/disable"))
            .header("Origin", origin)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 403, "{origin}");
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
    }
    let (_, list) = server.get_json("/api/plugins").await;
    assert_eq!(
        list["plugins"][0]["enabled"], true,
        "refused requests changed nothing"
    );
    // Same-host origins (the server's own pages) are fine; reads with any Origin are too,
    // but no CORS header lets a foreign page read the answer.
    let local = client
        .post(server.url("/api/plugins/test-swap/disable"))
        .header("Origin", server.base.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(local.status(), 200);
    let read = client
        .get(server.url("/api/plugins"))
        .header("Origin", "https://evil.test")
        .send()
        .await
        .expect("get");
    assert_eq!(read.status(), 200);
    assert!(
        read.headers().get("access-control-allow-origin").is_none(),
        "CORS must be off by default"
    );
    server.stop().await;
}

#[tokio::test]
async fn token_is_required_when_configured_and_kept_hashed() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).set("server.require_token", json!(true));
    let server = TestServer::start(&config, &["test-swap-v1"]).await;
    let token_file = server.data.path().join("api-token");
    let token = std::fs::read_to_string(&token_file)
        .expect("token written")
        .trim()
        .to_owned();
    assert_eq!(token.len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let hash = std::fs::read_to_string(server.data.path().join("api-token.sha256")).expect("hash");
    assert!(
        !hash.contains(&token),
        "the token itself must not be stored as the hash"
    );
    let client = &server.client;
    assert_eq!(
        client
            .get(server.url("/healthz"))
            .send()
            .await
            .expect("h")
            .status(),
        200
    );
    for auth in [
        None,
        Some("Bearer wrong"),
        Some(format!("Basic {token}").as_str()),
        Some("Bearer "),
    ] {
        let mut request = client.get(server.url("/api/plugins"));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 401, "{auth:?}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["code"], "unauthorized");
    }
    let ok = client
        .post(server.url("/api/plugins/test-swap/call"))
        .bearer_auth(&token)
        .json(&json!({"input": "DEMO-001"}))
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url())
        .set("server.cors_origins", json!(["https://app.example"]));
    let server = TestServer::start(&config, &[]).await;
    for (origin, allowed) in [
        ("https://app.example", true),
        ("https://evil.test", false),
        ("null", false),
    ] {
        let response = server
            .client
            .request(reqwest::Method::OPTIONS, server.url("/api/plugins"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .expect("preflight");
        let acao = response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        assert_eq!(
            acao.as_deref() == Some(origin),
            allowed,
            "{origin}: {acao:?}"
        );
        assert_ne!(acao.as_deref(), Some("*"));
    }
    server.stop().await;
}
