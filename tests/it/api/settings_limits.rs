//! `PUT /api/setting` is bounded: keys (count and length) and total bytes; a write over a
//! limit is refused with its code and stores nothing, what fits is stored.

use serde_json::{Map, Value, json};

use crate::support::{self, TestServer};

async fn put(server: &TestServer, body: &Value) -> (u16, Value) {
    let response = server
        .client
        .put(server.url("/api/setting"))
        .json(body)
        .send()
        .await
        .expect("put");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn many_keys(count: usize, prefix: &str) -> Value {
    let map: Map<String, Value> = (0..count)
        .map(|index| (format!("{prefix}{index}"), json!(index)))
        .collect();
    Value::Object(map)
}

#[tokio::test]
async fn settings_writes_over_the_limits_store_nothing() {
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &[]).await;
    let limits = kura::store::SETTINGS_LIMITS;
    let (status, _) = put(&server, &json!({ "theme": "dark", "page_size": 50 })).await;
    assert_eq!(status, 200);
    let before = server.get_json("/api/setting").await;

    let long_key = "k".repeat(limits.max_key_bytes + 1);
    let chunk = "x".repeat(60 * 1024);
    let cases = [
        (
            "a long key",
            json!({ long_key: 1, "other": 2 }),
            400,
            "bad_setting_key",
        ),
        ("an empty key", json!({ "": 1 }), 400, "bad_setting_key"),
        (
            "too many keys in one write",
            many_keys(limits.max_keys + 1, "k"),
            413,
            "too_many_settings",
        ),
        (
            "one value too large",
            json!({ "blob": "x".repeat(limits.max_total_bytes) }),
            413,
            "settings_too_large",
        ),
        (
            "values too large together",
            json!({ "a": chunk, "b": chunk, "c": chunk, "d": chunk, "e": chunk }),
            413,
            "settings_too_large",
        ),
    ];
    for (context, body, expected, code) in cases {
        let (status, answer) = put(&server, &body).await;
        assert_eq!(status, expected, "{context}: {answer}");
        assert_eq!(answer["code"], code, "{context}: {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{context}: {answer}"
        );
        assert_eq!(server.get_json("/api/setting").await, before, "{context}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_limits_count_what_is_already_stored() {
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &[]).await;
    let limits = kura::store::SETTINGS_LIMITS;
    // Up to the key cap in two writes is fine; one more key is not.
    let half = limits.max_keys / 2;
    assert_eq!(put(&server, &many_keys(half, "a")).await.0, 200);
    assert_eq!(
        put(&server, &many_keys(limits.max_keys - half, "b"))
            .await
            .0,
        200
    );
    let (status, answer) = put(&server, &json!({ "one_more": true })).await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["code"], "too_many_settings");
    // Replacing a key or removing one keeps within the cap.
    assert_eq!(put(&server, &json!({ "a0": "changed" })).await.0, 200);
    let (status, stored) = put(&server, &json!({ "a0": null, "one_more": true })).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored.as_object().map(Map::len), Some(limits.max_keys));
    assert_eq!(stored["one_more"], true);
    assert!(stored.get("a0").is_none());
    server.stop().await;
}
