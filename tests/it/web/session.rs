//! A browser signs in once with the token and then carries an `HttpOnly` cookie; the UI's
//! files and the session routes are open so the login page can load.

use serde_json::json;

use crate::support::{self, TestServer};

/// `GET path`, with `cookie` as the `Cookie` header when given.
async fn get(
    server: &TestServer,
    path: &str,
    cookie: Option<&str>,
) -> reqwest::Result<reqwest::Response> {
    let mut request = server.client.get(server.url(path));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    request.send().await
}

/// `POST /api/session` with `token`.
async fn sign_in(client: &reqwest::Client, server: &TestServer, token: &str) -> reqwest::Response {
    client
        .post(server.url("/api/session"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .expect("sign in")
}

#[tokio::test]
async fn a_session_cookie_stands_in_for_the_token() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).set("server.require_token", json!(true));
    let server = TestServer::start(&config, &["test-swap-v1"]).await;
    let token = std::fs::read_to_string(server.data.path().join("api-token"))
        .expect("token written")
        .trim()
        .to_owned();
    let client = &server.client;
    assert_eq!(
        get(&server, "/", None).await.expect("page").status(),
        200,
        "the page loads"
    );
    assert_eq!(
        get(&server, "/ui/app.js", None)
            .await
            .expect("app")
            .status(),
        200
    );
    assert_eq!(
        get(&server, "/api/resources", None)
            .await
            .expect("list")
            .status(),
        401
    );
    let state: serde_json::Value = get(&server, "/api/session", None)
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    assert_eq!(state, json!({ "token_required": true, "signed_in": false }));

    let wrong = client
        .post(server.url("/api/session"))
        .json(&json!({ "token": "0".repeat(64) }))
        .send()
        .await
        .expect("wrong");
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());

    let signed = sign_in(client, &server, &token).await;
    assert_eq!(signed.status(), 204);
    let set_cookie = signed.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "not without server.secure_cookie: {set_cookie}"
    );
    assert!(!set_cookie.contains(&token), "the cookie is not the token");
    let cookie = set_cookie.split(';').next().expect("name=value").to_owned();

    assert_eq!(
        get(&server, "/api/resources", Some(&cookie))
            .await
            .expect("list")
            .status(),
        200
    );
    let state: serde_json::Value = get(&server, "/api/session", Some(&cookie))
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    assert_eq!(state["signed_in"], true);
    let (name, value) = cookie.split_once('=').expect("pair");
    let mut altered = value.to_owned();
    let last = if altered.ends_with('0') { '1' } else { '0' };
    altered.pop();
    altered.push(last);
    let forged = format!("{name}={altered}");
    assert_eq!(
        get(&server, "/api/resources", Some(&forged))
            .await
            .expect("forged")
            .status(),
        401
    );

    // A change through the cookie alone must come from this server's own pages.
    let disable = |origin: Option<String>| {
        let mut request = client
            .post(server.url("/api/plugins/test-swap/disable"))
            .header("Cookie", &cookie);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        request.send()
    };
    for origin in [
        None,
        Some("http://127.0.0.1:1".to_owned()),
        Some("https://evil.test".to_owned()),
    ] {
        let refused = disable(origin.clone()).await.expect("refused");
        assert_eq!(refused.status(), 403, "{origin:?}");
        let body: serde_json::Value = refused.json().await.expect("json");
        assert_eq!(body["code"], "forbidden_origin");
    }
    let own = disable(Some(server.base.clone())).await.expect("own page");
    assert_eq!(own.status(), 200);
    // Sent as written (a client library would resolve the dots first).
    for target in [
        "/ui/../api/resources",
        "/ui/%2e%2e/api/resources",
        "/ui/..%2fapi/resources",
    ] {
        let escape = crate::support::raw_http::request(&server.base, "GET", target, None).await;
        assert_eq!(
            escape.status, 404,
            "{target}: an open path never reaches the API"
        );
    }

    let out = client
        .delete(server.url("/api/session"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("sign out");
    assert_eq!(out.status(), 204);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .expect("text")
            .contains("Max-Age=0")
    );

    // The same cookie still works after a restart: sessions are signed, not remembered.
    let data = server.stop_keeping_data().await;
    let server = TestServer::start_in(data, &config, &[]).await;
    let after = get(&server, "/api/resources", Some(&cookie))
        .await
        .expect("after restart");
    assert_eq!(after.status(), 200);

    // A new token ends every session signed for the old one.
    let data = server.stop_keeping_data().await;
    for file in ["api-token", "api-token.sha256"] {
        std::fs::remove_file(data.path().join(file)).ok();
    }
    let server = TestServer::start_in(data, &config, &[]).await;
    let stale = get(&server, "/api/resources", Some(&cookie))
        .await
        .expect("after a new token");
    assert_eq!(stale.status(), 401);
    server.stop().await;
}

#[tokio::test]
async fn the_effective_configuration_is_shown_with_its_secrets_hidden() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url())
        .set("proxy.url", json!("http://user:pr0xy-pass@127.0.0.1:9/"))
        .set(
            "sources.fixture-alpha.settings",
            json!({ "api_key": "k3y-value", "region": "eu" }),
        );
    let server = TestServer::start(&config, &[]).await;
    let (status, shown) = server.get_json("/api/config").await;
    assert_eq!(status, 200, "{shown}");
    let text = shown.to_string();
    for secret in ["pr0xy-pass", "k3y-value"] {
        assert!(!text.contains(secret), "{secret} is shown: {text}");
    }
    assert_eq!(shown["proxy"]["url"], "http://user:(hidden)@127.0.0.1:9/");
    assert_eq!(
        shown["sources"]["fixture-alpha"]["settings"]["region"],
        "eu"
    );
    assert_eq!(shown["server"]["port"], 0, "the port the test asked for");
    assert!(
        shown["download"]["concurrency"].is_number(),
        "defaults are filled in"
    );
    server.stop().await;
}

/// With `server.secure_cookie`, the session cookie, and the one clearing it, carry
/// `Secure` (a server behind a TLS-terminating proxy).
#[tokio::test]
async fn the_session_cookie_is_secure_when_configured() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url())
        .set("server.require_token", json!(true))
        .set("server.secure_cookie", json!(true));
    let server = TestServer::start(&config, &["test-swap-v1"]).await;
    let token = std::fs::read_to_string(server.data.path().join("api-token"))
        .expect("token")
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    let signed = sign_in(&client, &server, &token).await;
    assert_eq!(signed.status(), 204);
    let set_cookie = signed.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(set_cookie.ends_with("; Secure"), "{set_cookie}");
    let cleared = client
        .delete(server.url("/api/session"))
        .send()
        .await
        .expect("sign out");
    let set_cookie = cleared.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        set_cookie.contains("Max-Age=0") && set_cookie.contains("Secure"),
        "{set_cookie}"
    );
    server.stop().await;
}
