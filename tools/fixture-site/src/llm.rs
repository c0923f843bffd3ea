//! An Ollama-compatible endpoint (`/api/generate`, `/api/chat`, `/api/tags`) that "translates" catalog titles, and
//! the same as an OpenAI-compatible chat completion (`/v1/chat/completions`, unstreamed, with an optional API key).
//!
//! A prompt that asks for Chinese (`中文`, `Chinese`) gets the title in simplified Chinese with the same noise in
//! Chinese; any other gets English. Model `slow` waits `llm_slow_ms` first, `fail` answers 500, `broken` answers invalid JSON; any other name works.
//! Like Ollama, `stream` defaults to true.

mod noise;
mod translate;

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

pub use noise::NoisePattern;

use crate::catalog;
use crate::server::SharedState;

/// The fixed `created_at` of every answer, for deterministic bodies.
const CREATED_AT: &str = "2024-01-01T00:00:00Z";
/// Models `/api/tags` lists; every other name behaves like the first.
const MODELS: [&str; 4] = [
    "fixture:latest",
    "slow:latest",
    "fail:latest",
    "broken:latest",
];

/// The noise pattern of the answer to a prompt holding `title_ja(n)`.
pub fn llm_noise_pattern(n: u32) -> NoisePattern {
    NoisePattern::for_source(&catalog::title_ja(n))
}

/// The exact `response` (or `message.content`) for a prompt holding `title_ja(n)`: `title_en(n)` with its noise.
pub fn llm_answer(n: u32) -> String {
    llm_noise_pattern(n).apply(&catalog::title_en(n))
}

/// The same for a prompt that asks for Chinese: `title_zh(n)` with the pattern's Chinese noise.
pub fn llm_answer_zh(n: u32) -> String {
    llm_noise_pattern(n).apply_zh(&catalog::title_zh(n))
}

/// The answer for any prompt text, as the endpoint gives it.
pub fn llm_reply(prompt: &str) -> String {
    reply(prompt, "")
}

/// The answer: in Chinese when the request asks for it (`中文`, `Chinese` in the prompt or
/// the instructions) and the title is one the stand-in knows in Chinese, else in English.
fn reply(text: &str, context: &str) -> String {
    let translation = translate::translate(text, context);
    let pattern = NoisePattern::for_source(&translation.source);
    let asks_for_chinese = [text, context]
        .iter()
        .any(|part| part.contains("中文") || part.contains("Chinese"));
    match translation.chinese {
        Some(chinese) if asks_for_chinese => pattern.apply_zh(&chinese),
        _ => pattern.apply(&translation.english),
    }
}

/// Which API shape to answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Generate,
    Chat,
}

/// `POST /api/generate` (`{model, prompt, stream, options}`).
pub(crate) async fn generate(State(state): State<SharedState>, body: Bytes) -> Response {
    let request = match parse(&body) {
        Ok(request) => request,
        Err(message) => return error_response(StatusCode::BAD_REQUEST, &message),
    };
    let prompt = request["prompt"].as_str().unwrap_or_default();
    let system = request["system"].as_str().unwrap_or_default();
    respond(&state, Endpoint::Generate, &request, reply(prompt, system)).await
}

/// `POST /api/chat` (`{model, messages, stream}`): answers the last user message.
pub(crate) async fn chat(State(state): State<SharedState>, body: Bytes) -> Response {
    let request = match parse(&body) {
        Ok(request) => request,
        Err(message) => return error_response(StatusCode::BAD_REQUEST, &message),
    };
    respond(&state, Endpoint::Chat, &request, chat_reply(&request)).await
}

/// The answer to a chat request: its last user message translated, the other messages
/// as context.
fn chat_reply(request: &Value) -> String {
    let messages = request["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let content = |message: &Value| message["content"].as_str().unwrap_or_default().to_owned();
    let last_user = messages
        .iter()
        .rev()
        .find(|message| message["role"] == "user")
        .map(content)
        .unwrap_or_default();
    let context = messages.iter().map(content).collect::<Vec<_>>().join("\n");
    reply(&last_user, &context)
}

/// `POST /v1/chat/completions`: the chat answer in OpenAI's shape (`choices[0].message.content`), the same noise;
/// with `llm_api_key` set, a request without `Authorization: Bearer KEY` is a 401. Model `fail` answers 500.
pub(crate) async fn openai_chat(
    State(state): State<SharedState>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let openai_error = |status: StatusCode, message: &str, kind: &str| {
        (
            status,
            Json(json!({ "error": { "message": message, "type": kind } })),
        )
            .into_response()
    };
    if let Some(key) = &state.config.llm_api_key {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        if given != Some(key.as_str()) {
            return openai_error(
                StatusCode::UNAUTHORIZED,
                "Incorrect API key provided.",
                "invalid_request_error",
            );
        }
    }
    let request = match parse(&body) {
        Ok(request) => request,
        Err(message) => {
            return openai_error(StatusCode::BAD_REQUEST, &message, "invalid_request_error");
        }
    };
    let model = request["model"].as_str().unwrap_or_default().to_owned();
    if model.split(':').next() == Some("fail") {
        return openai_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server had an error.",
            "server_error",
        );
    }
    let answer = chat_reply(&request);
    Json(json!({
        "id": "chatcmpl-fixture",
        "object": "chat.completion",
        "created": 1_704_067_200,
        "model": model,
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": answer }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2 },
    }))
    .into_response()
}

/// `GET /api/tags`: the models.
pub(crate) async fn tags() -> Json<Value> {
    let models: Vec<Value> = MODELS
        .iter()
        .map(|name| {
            json!({
                "name": name, "model": name, "modified_at": CREATED_AT, "size": 1_000_000,
                "digest": format!("{:064x}", name.len()),
                "details": { "format": "gguf", "family": "fixture", "parameter_size": "1B", "quantization_level": "Q4_0" },
            })
        })
        .collect();
    Json(json!({ "models": models }))
}

/// `GET /api/version`.
pub(crate) async fn version() -> Json<Value> {
    Json(json!({ "version": "0.0.0-fixture" }))
}

/// The request body as JSON with a string `model`, or the message of Ollama's 400.
fn parse(body: &[u8]) -> Result<Value, String> {
    let request: Value = serde_json::from_slice(body).map_err(|error| error.to_string())?;
    if !request["model"].is_string() {
        return Err("model is required".to_owned());
    }
    Ok(request)
}

fn error_response(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn respond(
    state: &SharedState,
    endpoint: Endpoint,
    request: &Value,
    answer: String,
) -> Response {
    let model = request["model"].as_str().unwrap_or_default();
    let behaviour = model.split(':').next().unwrap_or_default();
    let stream = request["stream"].as_bool().unwrap_or(true);
    match behaviour {
        "fail" => {
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "model runner has unexpectedly stopped",
            );
        }
        "slow" => {
            let wait = tokio::time::sleep(Duration::from_millis(state.config.llm_slow_ms));
            tokio::select! {
                () = wait => {}
                () = state.shutdown.cancelled() => {
                    return error_response(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
                }
            }
        }
        _ => {}
    }
    if behaviour == "broken" {
        let cut: String = answer.chars().take(answer.chars().count() / 2).collect();
        let first = if stream {
            format!("{}\n", chunk(endpoint, model, &cut))
        } else {
            String::new()
        };
        let broken = format!(
            "{first}{{\"model\":\"{model}\",\"created_at\":\"{CREATED_AT}\",\"response\":\"{cut}"
        );
        return (
            [(
                CONTENT_TYPE,
                if stream {
                    "application/x-ndjson"
                } else {
                    "application/json"
                },
            )],
            broken,
        )
            .into_response();
    }
    if !stream {
        return Json(done(endpoint, model, &answer)).into_response();
    }
    let pieces: Vec<String> = answer
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|piece| piece.iter().collect())
        .collect();
    let mut lines: Vec<Result<Bytes, Infallible>> = pieces
        .iter()
        .map(|piece| Ok(Bytes::from(format!("{}\n", chunk(endpoint, model, piece)))))
        .collect();
    lines.push(Ok(Bytes::from(format!("{}\n", done(endpoint, model, "")))));
    (
        [(CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(futures_util::stream::iter(lines)),
    )
        .into_response()
}

/// One streamed partial answer.
fn chunk(endpoint: Endpoint, model: &str, text: &str) -> Value {
    match endpoint {
        Endpoint::Generate => {
            json!({ "model": model, "created_at": CREATED_AT, "response": text, "done": false })
        }
        Endpoint::Chat => json!({
            "model": model, "created_at": CREATED_AT,
            "message": { "role": "assistant", "content": text }, "done": false,
        }),
    }
}

/// The final object: the whole answer (or, when streaming, an empty one) with `done: true` and statistics.
fn done(endpoint: Endpoint, model: &str, text: &str) -> Value {
    let mut value = chunk(endpoint, model, text);
    let stats = json!({
        "done": true, "done_reason": "stop", "total_duration": 1_234_567, "load_duration": 12_345,
        "prompt_eval_count": 42, "prompt_eval_duration": 123_456, "eval_count": 12, "eval_duration": 234_567,
    });
    if let (Some(object), Value::Object(stats)) = (value.as_object_mut(), stats) {
        object.extend(stats);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_wrap_the_catalog_translation() {
        for n in [1, 2, 7, 11, 100] {
            let answer = llm_answer(n);
            assert!(answer.contains(&catalog::title_en(n)), "{answer}");
            assert_eq!(
                llm_reply(&format!("Translate to English: {}", catalog::title_ja(n))),
                answer
            );
        }
    }

    #[test]
    fn final_object_is_shaped_like_ollama() {
        let generate = done(Endpoint::Generate, "m", "Hi");
        assert_eq!(generate["response"], "Hi");
        assert_eq!(generate["done"], true);
        assert_eq!(generate["done_reason"], "stop");
        let chat = done(Endpoint::Chat, "m", "Hi");
        assert_eq!(chat["message"]["role"], "assistant");
        assert_eq!(chat["message"]["content"], "Hi");
        assert_eq!(chat["done"], true);
    }
}
