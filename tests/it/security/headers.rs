//! Every answer carries `X-Content-Type-Options: nosniff` and a `frame-ancestors` policy:
//! successes, errors of every kind, `/healthz`, refusals of the guards and the answers
//! the framework makes itself.

use reqwest::{Method, RequestBuilder};
use serde_json::json;

use crate::support::{self, TestServer};

fn assert_hardened(context: &str, response: &reqwest::Response) {
    let headers = response.headers();
    assert_eq!(
        headers
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff"),
        "{context}: {headers:?}"
    );
    let policy = headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{context}: {headers:?}"
    );
}

async fn check(context: &str, request: RequestBuilder, status: u16) {
    let response = request.send().await.expect("request");
    assert_eq!(response.status().as_u16(), status, "{context}");
    assert_hardened(context, &response);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url())
        .set("server.cors_origins", json!(["https://app.example"]));
    let server = TestServer::start(&config, &["test-swap-v1"]).await;
    let client = &server.client;
    let url = |path: &str| server.url(path);
    check("healthz", client.get(url("/healthz")), 200).await;
    check("a list", client.get(url("/api/plugins")), 200).await;
    check("the docs page", client.get(url("/api/docs")), 200).await;
    check(
        "the openapi document",
        client.get(url("/api/openapi.json")),
        200,
    )
    .await;
    check("no such route", client.get(url("/nope")), 404).await;
    check(
        "a bad code",
        client.get(url("/api/resource/%20/preview")),
        400,
    )
    .await;
    check(
        "a wrong method",
        client.request(Method::PATCH, url("/api/plugins")),
        405,
    )
    .await;
    check(
        "a foreign host",
        client.get(url("/api/plugins")).header("Host", "evil.test"),
        421,
    )
    .await;
    check(
        "a foreign origin",
        client
            .post(url("/api/plugins/test-swap/disable"))
            .header("Origin", "https://evil.test"),
        403,
    )
    .await;
    check(
        "a body that is not JSON",
        client
            .post(url("/api/resource"))
            .header("content-type", "application/json")
            .body("{"),
        400,
    )
    .await;
    check(
        "a CORS preflight",
        client
            .request(Method::OPTIONS, url("/api/plugins"))
            .header("Origin", "https://app.example")
            .header("Access-Control-Request-Method", "POST"),
        200,
    )
    .await;
    server.stop().await;
}

#[tokio::test]
async fn token_refusals_carry_the_security_headers() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).set("server.require_token", json!(true));
    let server = TestServer::start(&config, &[]).await;
    check(
        "no token",
        server.client.get(server.url("/api/plugins")),
        401,
    )
    .await;
    check("healthz", server.client.get(server.url("/healthz")), 200).await;
    server.stop().await;
}
