//! The client of a server speaking the Ollama HTTP API: one unstreamed request per
//! title to `/api/generate` or `/api/chat`, and the answer's text or a classified error.
//!
//! Requests go through [`FetchClient`] (its address checks, caps and timeouts) with a
//! client of their own: the operator wrote the profile's URL, so exactly its origin is
//! allowed, private addresses included (Ollama usually listens on loopback), redirects
//! are not followed, and the global proxy is not used (the LLM server is the operator's
//! own service, usually on the same machine or network).

use reqwest::Method;
use serde_json::{Value, json};

use crate::config::{ApiKey, FetchConfig, PrivateHost, TranslatorApi, TranslatorProfile};
use crate::fetch::{CookieJar, EgressPolicy, FetchClient, FetchError, FetchRequest, FetchScope};

/// The most characters of an error body quoted in a message.
const MAX_QUOTED_CHARS: usize = 200;

/// Why the LLM gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct LlmError {
    /// Whether asking again later may work (a timeout, a dead or busy server, a garbled
    /// answer); not for a refused URL or a model the server does not have.
    pub(crate) retryable: bool,
    pub(crate) message: String,
}

impl LlmError {
    fn retry(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            message: message.into(),
        }
    }

    fn fatal(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            message: message.into(),
        }
    }
}

/// One profile's connection to its LLM server.
#[derive(Clone)]
pub(crate) struct OllamaClient {
    fetch: FetchClient,
    policy: EgressPolicy,
    jar: CookieJar,
    endpoint: url::Url,
    api: TranslatorApi,
    api_key: Option<ApiKey>,
    model: String,
    temperature: f64,
    timeout_ms: u128,
}

impl OllamaClient {
    /// A client for `profile`, with the outbound settings of `fetch` (user agent, connect
    /// timeout, size cap, static names) adjusted as the module comment says.
    pub(crate) fn new(
        profile: &TranslatorProfile,
        fetch: &FetchConfig,
    ) -> Result<Self, FetchError> {
        let mut config = fetch.clone();
        config.proxy = None;
        config.timeout = profile.timeout;
        config.max_redirects = 0;
        config
            .allow_private_hosts
            .extend(PrivateHost::for_url(&profile.url));
        Ok(Self {
            fetch: FetchClient::new(&config)?,
            policy: EgressPolicy::new(Vec::new(), None, Some(&profile.url)),
            jar: CookieJar::default(),
            endpoint: endpoint(&profile.url, profile.api),
            api: profile.api,
            api_key: profile.api_key.clone(),
            model: profile.model.clone(),
            temperature: profile.temperature,
            timeout_ms: profile.timeout.as_millis(),
        })
    }

    /// Asks the model; returns its raw answer.
    pub(crate) async fn complete(&self, prompt: &str) -> Result<String, LlmError> {
        let body = request_body(self.api, &self.model, prompt, self.temperature);
        let mut headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("Accept".to_owned(), "application/json".to_owned()),
        ];
        if let Some(key) = &self.api_key {
            headers.push((
                "Authorization".to_owned(),
                format!("Bearer {}", key.expose()),
            ));
        }
        let request = FetchRequest {
            method: Method::POST,
            url: self.endpoint.to_string(),
            headers,
            body: Some(body.to_string().into_bytes()),
            timeout: None,
            follow_redirects: false,
        };
        let scope = FetchScope {
            caller: "translator",
            policy: &self.policy,
            cookies: &self.jar,
            deadline: None,
        };
        let at = &self.endpoint;
        let response = self
            .fetch
            .fetch(&scope, request)
            .await
            .map_err(|error| match error {
                FetchError::Timeout => {
                    LlmError::retry(format!("{at} timed out after {} ms", self.timeout_ms))
                }
                FetchError::Network(message) => {
                    LlmError::retry(format!("cannot reach {at}: {message}"))
                }
                FetchError::TooLarge(cap) => {
                    LlmError::retry(format!("{at} answered more than {cap} bytes"))
                }
                other => LlmError::fatal(format!("{at}: {other}")),
            })?;
        parse_answer(self.api, response.status, &response.body).map_err(|error| LlmError {
            message: format!("{at}: {}", error.message),
            ..error
        })
    }
}

/// `{base}/api/generate`, `{base}/api/chat` or `{base}/v1/chat/completions` (just
/// `/chat/completions` when the base already ends in `/v1`, as OpenAI-compatible base
/// URLs are usually written); a base with a path (a reverse proxy's prefix) keeps it.
pub(crate) fn endpoint(base: &url::Url, api: TranslatorApi) -> url::Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    let path = match api {
        TranslatorApi::OpenAi if prefix.ends_with("/v1") => format!("{prefix}/chat/completions"),
        TranslatorApi::OpenAi => format!("{prefix}/v1/chat/completions"),
        _ => format!("{prefix}/api/{}", api.as_str()),
    };
    url.set_path(&path);
    url
}

/// The request body: unstreamed, with the temperature as a model option.
pub(super) fn request_body(
    api: TranslatorApi,
    model: &str,
    prompt: &str,
    temperature: f64,
) -> Value {
    let options = json!({ "temperature": temperature });
    match api {
        TranslatorApi::Generate => json!({
            "model": model, "prompt": prompt, "stream": false, "options": options,
        }),
        TranslatorApi::Chat => json!({
            "model": model,
            "messages": [{ "role": "user", "content": prompt }],
            "stream": false,
            "options": options,
        }),
        TranslatorApi::OpenAi => json!({
            "model": model,
            "messages": [{ "role": "user", "content": prompt }],
            "stream": false,
            "temperature": temperature,
        }),
    }
}

/// The answer's text from a response: the `response` (generate) or `message.content`
/// (chat) of one JSON object, or of every line of an NDJSON stream joined (a server
/// that streams although asked not to). An HTTP error, an `error` field, a body that is
/// not JSON and an empty answer are errors; 5xx, 408, 429 and garbled or empty answers
/// are worth retrying.
pub(super) fn parse_answer(
    api: TranslatorApi,
    status: u16,
    body: &[u8],
) -> Result<String, LlmError> {
    let text = String::from_utf8_lossy(body);
    if status != 200 {
        // Ollama: `{"error": "..."}`; OpenAI: `{"error": {"message": "..."}}`.
        let detail = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|value| {
                let error = &value["error"];
                error
                    .as_str()
                    .or_else(|| error["message"].as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| quote(&text));
        let message = format!("HTTP {status}: {detail}");
        return Err(if status >= 500 || status == 408 || status == 429 {
            LlmError::retry(message)
        } else {
            LlmError::fatal(message)
        });
    }
    let objects: Vec<Value> = match serde_json::from_str::<Value>(&text) {
        Ok(value) => vec![value],
        Err(_) => text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(serde_json::from_str::<Value>)
            .collect::<Result<_, _>>()
            .map_err(|error| {
                LlmError::retry(format!(
                    "the answer is not JSON ({error}): {}",
                    quote(&text)
                ))
            })?,
    };
    let mut answer = String::new();
    for object in &objects {
        if let Some(error) = object["error"]
            .as_str()
            .or_else(|| object["error"]["message"].as_str())
        {
            return Err(LlmError::retry(format!("the server said: {error}")));
        }
        let piece = match api {
            TranslatorApi::Generate => &object["response"],
            TranslatorApi::Chat => &object["message"]["content"],
            TranslatorApi::OpenAi => &object["choices"][0]["message"]["content"],
        };
        match piece {
            Value::String(piece) => answer.push_str(piece),
            Value::Null => {}
            other => {
                return Err(LlmError::retry(format!(
                    "unexpected answer field {other} in {}",
                    quote(&text)
                )));
            }
        }
    }
    if answer.trim().is_empty() {
        return Err(LlmError::retry(format!(
            "the model answered nothing: {}",
            quote(&text)
        )));
    }
    Ok(answer)
}

/// At most [`MAX_QUOTED_CHARS`] characters of `text`, for messages.
fn quote(text: &str) -> String {
    let mut quoted: String = text.trim().chars().take(MAX_QUOTED_CHARS).collect();
    if text.trim().chars().count() > MAX_QUOTED_CHARS {
        quoted.push('…');
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATE: &str = r#"{"model":"m","created_at":"2024-01-01T00:00:00Z","response":"Translation: Summer Seaside","done":true,"done_reason":"stop","total_duration":1234567,"eval_count":12}"#;
    const CHAT: &str = r#"{"model":"m","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"**Summer Seaside**"},"done":true,"done_reason":"stop"}"#;

    fn ok(api: TranslatorApi, body: &str) -> String {
        parse_answer(api, 200, body.as_bytes()).expect(body)
    }

    fn err(api: TranslatorApi, status: u16, body: &str) -> LlmError {
        parse_answer(api, status, body.as_bytes()).expect_err(body)
    }

    #[test]
    fn unstreamed_answers() {
        assert_eq!(
            ok(TranslatorApi::Generate, GENERATE),
            "Translation: Summer Seaside"
        );
        assert_eq!(ok(TranslatorApi::Chat, CHAT), "**Summer Seaside**");
        // Whitespace inside the answer is the cleaner's business.
        assert_eq!(
            ok(
                TranslatorApi::Generate,
                r#"{"response":"\n\n  A  \n","done":true}"#
            ),
            "\n\n  A  \n"
        );
    }

    #[test]
    fn streamed_answers_are_joined() {
        let generate = "{\"response\":\"Summ\",\"done\":false}\n{\"response\":\"er S\",\"done\":false}\n\
                        {\"response\":\"easide\",\"done\":false}\n{\"response\":\"\",\"done\":true}\n";
        assert_eq!(ok(TranslatorApi::Generate, generate), "Summer Seaside");
        let chat = "{\"message\":{\"role\":\"assistant\",\"content\":\"Summer \"},\"done\":false}\n\
                    {\"message\":{\"role\":\"assistant\",\"content\":\"Seaside\"},\"done\":false}\n\
                    {\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}";
        assert_eq!(ok(TranslatorApi::Chat, chat), "Summer Seaside");
    }

    #[test]
    fn the_wrong_shape_answers_nothing() {
        let error = err(TranslatorApi::Chat, 200, GENERATE);
        assert!(error.retryable);
        assert!(error.message.contains("answered nothing"), "{error}");
        assert!(err(TranslatorApi::Generate, 200, CHAT).retryable);
        assert!(
            err(
                TranslatorApi::Generate,
                200,
                r#"{"response":"  ","done":true}"#
            )
            .retryable
        );
        assert!(err(TranslatorApi::Generate, 200, r#"{"response":42}"#).retryable);
    }

    #[test]
    fn broken_json_is_retried() {
        // What the fixture's `broken` model sends.
        let error = err(
            TranslatorApi::Generate,
            200,
            r#"{"model":"broken","created_at":"2024-01-01T00:00:00Z","response":"Summer Se"#,
        );
        assert!(error.retryable);
        assert!(error.message.contains("not JSON"), "{error}");
    }

    #[test]
    fn openai_compatible_servers_are_asked_and_read_in_their_shape() {
        let base = url::Url::parse("http://llm.lan:8080/").expect("url");
        assert_eq!(
            endpoint(&base, TranslatorApi::OpenAi).as_str(),
            "http://llm.lan:8080/v1/chat/completions"
        );
        let v1 = url::Url::parse("https://gateway.example/openai/v1").expect("url");
        assert_eq!(
            endpoint(&v1, TranslatorApi::OpenAi).as_str(),
            "https://gateway.example/openai/v1/chat/completions"
        );
        let body = request_body(TranslatorApi::OpenAi, "m", "p", 0.2);
        assert_eq!(
            body,
            json!({ "model": "m", "messages": [{ "role": "user", "content": "p" }], "stream": false, "temperature": 0.2 })
        );
        let answer = r#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Summer Seaside"},"finish_reason":"stop"}]}"#;
        assert_eq!(ok(TranslatorApi::OpenAi, answer), "Summer Seaside");
        let refused = err(
            TranslatorApi::OpenAi,
            401,
            r#"{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error"}}"#,
        );
        assert!(!refused.retryable);
        assert!(
            refused
                .message
                .ends_with("HTTP 401: Incorrect API key provided."),
            "{}",
            refused.message
        );
        assert!(err(TranslatorApi::OpenAi, 200, r#"{"choices":[]}"#).retryable);
    }

    #[test]
    fn http_errors_carry_the_server_message() {
        let error = err(
            TranslatorApi::Generate,
            500,
            r#"{"error":"model runner has unexpectedly stopped"}"#,
        );
        assert_eq!(
            error,
            LlmError::retry("HTTP 500: model runner has unexpectedly stopped")
        );
        let error = err(
            TranslatorApi::Chat,
            404,
            r#"{"error":"model \"x\" not found, try pulling it first"}"#,
        );
        assert!(!error.retryable);
        assert!(error.message.contains("not found"), "{error}");
        assert!(err(TranslatorApi::Generate, 429, "busy").retryable);
        assert!(err(TranslatorApi::Generate, 503, "").retryable);
        assert!(!err(TranslatorApi::Generate, 400, "bad").retryable);
        let long = "x".repeat(1000);
        assert!(err(TranslatorApi::Generate, 502, &long).message.len() < 300);
        let error = err(TranslatorApi::Generate, 200, r#"{"error":"out of memory"}"#);
        assert!(error.retryable && error.message.contains("out of memory"));
    }

    #[test]
    fn request_bodies_are_unstreamed() {
        let generate = request_body(TranslatorApi::Generate, "m", "p", 0.2);
        assert_eq!(
            generate,
            json!({"model": "m", "prompt": "p", "stream": false, "options": {"temperature": 0.2}})
        );
        let chat = request_body(TranslatorApi::Chat, "m", "p", 0.0);
        assert_eq!(chat["messages"], json!([{"role": "user", "content": "p"}]));
        assert_eq!(chat["stream"], false);
        assert_eq!(chat["options"]["temperature"], 0.0);
    }

    #[test]
    fn endpoints_keep_a_path_prefix() {
        for (base, api, expected) in [
            (
                "http://127.0.0.1:11434",
                TranslatorApi::Generate,
                "http://127.0.0.1:11434/api/generate",
            ),
            (
                "http://127.0.0.1:11434/",
                TranslatorApi::Chat,
                "http://127.0.0.1:11434/api/chat",
            ),
            (
                "https://llm.lan/ollama/",
                TranslatorApi::Generate,
                "https://llm.lan/ollama/api/generate",
            ),
        ] {
            let base = url::Url::parse(base).expect("url");
            assert_eq!(endpoint(&base, api).as_str(), expected);
        }
    }
}
