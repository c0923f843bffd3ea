//! Request bodies: JSON routes take `server.max_json_body_bytes` (413 `body_too_large`
//! above it, announced or streamed), plugin uploads `server.max_body_bytes`, and the
//! bytes held at once stay within `server.max_body_memory_bytes` (uploads within
//! `server.max_upload_memory_bytes`, a budget of their own).

use serde_json::{Value, json};

use crate::support::{self, TestServer, plugin_wasm};

const JSON_LIMIT: usize = 16 * 1024;

/// A server with the JSON body limit and `server_settings` in its `server:` table.
async fn server(server_settings: Value) -> (TestServer, fixture_site::FixtureSite) {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url())
        .set("server.max_json_body_bytes", json!(JSON_LIMIT))
        .merge(json!({ "server": server_settings }));
    (TestServer::start(&config, &["test-swap-v1"]).await, fixture)
}

/// `{"items":[0,0,...]}` of at least `bytes` bytes.
fn zeros(bytes: usize) -> String {
    let count = bytes / 2 + 1;
    format!("{{\"items\":[{}0]}}", "0,".repeat(count))
}

async fn expect_too_large(context: &str, response: reqwest::Response) {
    assert_eq!(response.status(), 413, "{context}");
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(body["code"], "body_too_large", "{context}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{context}: {body}"
    );
}

#[tokio::test]
async fn json_routes_refuse_bodies_over_their_limit() {
    let (server, _fixture) = server(json!({})).await;
    let body = zeros(JSON_LIMIT + 1024);
    for (method, path) in [
        ("POST", "/api/resources/batch"),
        ("POST", "/api/resource"),
        ("POST", "/api/tasks"),
        ("PUT", "/api/setting"),
        ("POST", "/api/plugins/test-swap/call"),
        ("POST", "/api/source/cookie"),
        ("POST", "/api/downloads/batch_submit"),
        ("POST", "/api/quick/refresh-metadata"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = server
            .client
            .request(method.clone(), server.url(path))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("request");
        expect_too_large(&format!("{method} {path}"), response).await;
    }
    assert_eq!(server.get_json("/api/setting").await, (200, json!({})));
    let (_, tasks) = server.get_json("/api/tasks").await;
    assert_eq!(tasks["total"], 0, "nothing was queued: {tasks}");
    server.stop().await;
}

#[tokio::test]
async fn a_streamed_body_without_a_length_is_cut_at_the_limit() {
    let (server, _fixture) = server(json!({})).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..(JSON_LIMIT / 1024 + 4))
        .map(|index| {
            Ok(if index == 0 {
                b"{\"items\":[".to_vec()
            } else {
                "0,".repeat(512).into_bytes()
            })
        })
        .collect();
    let response = server
        .client
        .post(server.url("/api/resources/batch"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("request");
    expect_too_large("streamed batch", response).await;
    server.stop().await;
}

#[tokio::test]
async fn bodies_within_the_limit_are_served() {
    let (server, _fixture) = server(json!({})).await;
    let items: Vec<Value> = (1..=50)
        .map(|n| json!({"action": "delete", "code": format!("DEMO-{n:03}")}))
        .collect();
    let (status, answer) = server
        .post_json("/api/resources/batch", json!({ "items": items }))
        .await;
    assert_eq!(status, 202, "{answer}");
    let response = server
        .client
        .put(server.url("/api/setting"))
        .json(&json!({ "theme": "x".repeat(JSON_LIMIT / 2) }))
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn plugin_uploads_may_be_larger_than_the_json_limit() {
    let (server, _fixture) = server(json!({ "max_body_bytes": 262144 })).await;
    let wasm = std::fs::read(plugin_wasm("test-swap-v2")).expect("plugin file");
    assert!(
        wasm.len() > JSON_LIMIT,
        "the upload must be over the JSON limit"
    );
    let response = server
        .client
        .post(server.url("/api/plugins"))
        .header("content-type", "application/wasm")
        .body(wasm)
        .send()
        .await
        .expect("upload");
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], "swapped", "{body}");
    // Over the upload limit: refused with the same code.
    let too_big = vec![0u8; 262_144 + 1024];
    let response = server
        .client
        .post(server.url("/api/plugins"))
        .header("content-type", "application/wasm")
        .body(too_big)
        .send()
        .await
        .expect("upload");
    expect_too_large("oversized upload", response).await;
    server.stop().await;
}

#[tokio::test]
async fn bodies_wait_for_each_other_within_the_memory_bound() {
    // Room for one JSON body at a time: concurrent requests take turns, all are served.
    let (server, _fixture) = server(json!({
        "max_body_bytes": JSON_LIMIT,
        "max_body_memory_bytes": JSON_LIMIT,
    }))
    .await;
    let requests = (0..8).map(|index| {
        server
            .client
            .put(server.url("/api/setting"))
            .json(&json!({ format!("key{index}"): "v".repeat(JSON_LIMIT / 2) }))
            .send()
    });
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.expect("put").status(), 200);
    }
    let (_, settings) = server.get_json("/api/setting").await;
    assert_eq!(settings.as_object().map(|map| map.len()), Some(8));
    server.stop().await;
}

#[tokio::test]
async fn a_stalled_upload_does_not_hold_up_small_requests() {
    // The upload budget fits one upload, and an upload holds it while its body trickles in.
    let upload_limit = 256 * 1024;
    let (server, _fixture) = server(json!({
        "max_body_bytes": upload_limit,
        "max_upload_memory_bytes": upload_limit,
        "max_body_memory_bytes": JSON_LIMIT,
    }))
    .await;
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let chunks = futures_util::stream::unfold(
        (0, Some(released)),
        |(sent, released): (usize, Option<tokio::sync::oneshot::Receiver<()>>)| async move {
            match (sent, released) {
                (0, released) => Some((Ok::<_, std::io::Error>(vec![0u8; 1024]), (1, released))),
                (1, Some(released)) => {
                    // The rest of the body only once the test lets it go.
                    let _ = released.await;
                    Some((Ok(vec![0u8; 1024]), (2, None)))
                }
                _ => None,
            }
        },
    );
    let upload = tokio::spawn({
        let client = server.client.clone();
        let url = server.url("/api/plugins");
        async move {
            client
                .post(url)
                .header("content-type", "application/wasm")
                // No length announced: the upload reserves its whole limit, which is
                // the whole upload budget.
                .body(reqwest::Body::wrap_stream(chunks))
                .send()
                .await
        }
    });
    // Small requests are answered while the upload holds its budget.
    for index in 0..4 {
        let response = server
            .client
            .put(server.url("/api/setting"))
            .json(&json!({ format!("key{index}"): "v" }))
            .send()
            .await
            .expect("put");
        assert_eq!(response.status(), 200);
    }
    assert!(!upload.is_finished(), "the upload is still being read");
    let _ = release.send(());
    let response = upload.await.expect("task").expect("upload answered");
    // Not a component: refused as such, once it has been read whole.
    assert_eq!(response.status(), 422);
    server.stop().await;
}
