//! HTTP/2 carries the authority in the URI (`:authority`), not in a `Host` header: the
//! Host guard reads it, so allowed names are served over HTTP/2 and foreign ones get 421.

use std::net::SocketAddr;

use serde_json::Value;

use serde_json::json;

use crate::support::{self, TestServer};

/// An HTTP/2-only client that sends `name` to the server's address.
fn h2_client(name: &str, addr: SocketAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .http2_prior_knowledge()
        .resolve(name, addr)
        .build()
        .expect("client")
}

fn addr(server: &TestServer) -> SocketAddr {
    server
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("server address")
}

#[tokio::test]
async fn http2_requests_are_judged_by_their_authority() {
    let fixture = support::fixture().await;
    let config =
        support::config(&fixture.base_url()).set("server.allowed_hosts", json!(["kura.lan"]));
    let server = TestServer::start(&config, &["test-swap-v1"]).await;
    let addr = addr(&server);
    let port = addr.port();
    for name in ["localhost", "kura.lan", "KURA.lan"] {
        let client = h2_client(name, addr);
        let response = client
            .get(format!("http://{name}:{port}/api/plugins"))
            .send()
            .await
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(response.version(), reqwest::Version::HTTP_2, "{name}");
        assert_eq!(response.status(), 200, "{name}");
    }
    let direct = h2_client("unused.invalid", addr);
    let response = direct
        .get(server.url("/api/plugins"))
        .send()
        .await
        .expect("h2 by address");
    assert_eq!(response.status(), 200);
    for name in ["evil.test", "kura.lan.evil.test", "127.0.0.1.evil.test"] {
        let client = h2_client(name, addr);
        let response = client
            .get(format!("http://{name}:{port}/api/plugins"))
            .send()
            .await
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(response.version(), reqwest::Version::HTTP_2, "{name}");
        assert_eq!(response.status(), 421, "{name}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["code"], "forbidden_host", "{name}");
    }
    server.stop().await;
}

#[tokio::test]
async fn http2_state_changes_check_the_origin_against_the_authority() {
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &["test-swap-v1"]).await;
    let client = h2_client("unused.invalid", addr(&server));
    let foreign = client
        .post(server.url("/api/plugins/test-swap/disable"))
        .header("Origin", "https://evil.test")
        .send()
        .await
        .expect("request");
    assert_eq!(foreign.status(), 403);
    let own = client
        .post(server.url("/api/plugins/test-swap/disable"))
        .header("Origin", server.base.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(own.status(), 200);
    let healthz = client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(healthz.version(), reqwest::Version::HTTP_2);
    assert_eq!(healthz.status(), 200);
    server.stop().await;
}
