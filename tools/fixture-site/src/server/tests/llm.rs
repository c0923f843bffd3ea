//! The Ollama-compatible endpoint over real HTTP.

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{client, start};
use crate::catalog;
use crate::llm::llm_answer;

async fn post(url: String, request: Value) -> reqwest::Response {
    client()
        .post(url)
        .json(&request)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn generate_and_chat_translate_catalog_titles() {
    let site = start().await;
    let base = site.base_url();
    for n in [1, 2, 7, 11] {
        let prompt = format!(
            "Translate this Japanese title into English. Title: {}",
            catalog::title_ja(n)
        );
        let request = json!({ "model": "qwen", "prompt": prompt, "stream": false, "options": { "temperature": 0 } });
        let answer: Value = post(format!("{base}/api/generate"), request)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(answer["response"], llm_answer(n));
        assert_eq!(answer["done"], true);
        assert_eq!(answer["done_reason"], "stop");
        assert_eq!(answer["model"], "qwen");
        let messages = json!([
            { "role": "system", "content": "You translate titles." },
            { "role": "user", "content": catalog::title_ja(n) },
        ]);
        let request = json!({ "model": "qwen", "messages": messages, "stream": false });
        let answer: Value = post(format!("{base}/api/chat"), request)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(answer["message"]["role"], "assistant");
        assert_eq!(answer["message"]["content"], llm_answer(n));
    }
}

#[tokio::test]
async fn streams_ndjson_by_default() {
    let site = start().await;
    let base = site.base_url();
    let response = post(
        format!("{base}/api/generate"),
        json!({ "model": "m", "prompt": "夏の海辺" }),
    )
    .await;
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let text = response.text().await.expect("text");
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON per line"))
        .collect();
    assert!(lines.len() > 2);
    let joined: String = lines
        .iter()
        .filter_map(|line| line["response"].as_str())
        .collect();
    assert_eq!(joined, llm_answer(1));
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|line| line["done"] == false)
    );
    assert_eq!(lines[lines.len() - 1]["done"], true);

    let request = json!({ "model": "m", "messages": [{ "role": "user", "content": "冬の駅" }], "stream": true });
    let text = post(format!("{base}/api/chat"), request)
        .await
        .text()
        .await
        .expect("text");
    let joined: String = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("json line"))
        .filter_map(|line| line["message"]["content"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(joined, llm_answer(2));
}

#[tokio::test]
async fn special_models_misbehave() {
    let site = start().await;
    let base = site.base_url();
    let request = |model: &str| json!({ "model": model, "prompt": "夏の海辺", "stream": false });
    let failed = post(format!("{base}/api/generate"), request("fail")).await;
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(failed.json::<Value>().await.expect("json")["error"].is_string());
    let broken = post(format!("{base}/api/generate"), request("broken")).await;
    assert_eq!(broken.status(), StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&broken.text().await.expect("text")).is_err());
    let started = Instant::now();
    let slow: Value = post(format!("{base}/api/generate"), request("slow:latest"))
        .await
        .json()
        .await
        .expect("json");
    assert!(started.elapsed().as_millis() >= 50, "waits llm_slow_ms");
    assert_eq!(slow["response"], llm_answer(1));
    let missing = post(format!("{base}/api/generate"), json!({ "prompt": "x" })).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let tags: Value = client()
        .get(format!("{base}/api/tags"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(tags["models"].as_array().map(Vec::len), Some(4));
}
