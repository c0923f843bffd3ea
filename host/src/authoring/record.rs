//! `kura plugin record`: fetches URLs as the plugin would (its manifest's hosts, the
//! operator's private-host allowances, the host's caps) and writes the exchanges as a
//! cassette, the format probes and the SDK's replay tests read.

use base64::Engine as _;
use serde_json::{Value, json};

use super::AuthoringError;
use crate::fetch::{CookieJar, EgressPolicy, FetchClient, FetchError, FetchRequest, FetchScope};
use crate::plugins::Manifest;

/// What to record, for which plugin.
pub(crate) struct RecordRequest<'a> {
    pub(crate) manifest: &'a Manifest,
    pub(crate) urls: &'a [String],
}

/// One exchange per URL, in order; a refused or failed fetch is recorded as its error.
pub(crate) async fn record(
    client: &FetchClient,
    request: RecordRequest<'_>,
) -> Result<Vec<Value>, AuthoringError> {
    let patterns = request
        .manifest
        .host_patterns()
        .map_err(|error| AuthoringError::Invalid(error.to_string()))?;
    let policy = EgressPolicy::new(patterns, None, None);
    let jar = CookieJar::default();
    let mut exchanges = Vec::with_capacity(request.urls.len());
    for url in request.urls {
        let scope = FetchScope {
            caller: &request.manifest.name,
            policy: &policy,
            cookies: &jar,
            deadline: None,
        };
        let recorded_request = json!({"method": "GET", "url": url});
        let exchange = match client.fetch(&scope, FetchRequest::get(url.clone())).await {
            Ok(response) => {
                let (body, encoding) = match std::str::from_utf8(&response.body) {
                    Ok(text) => (text.to_owned(), None),
                    Err(_) => (
                        base64::engine::general_purpose::STANDARD.encode(&response.body),
                        Some("base64"),
                    ),
                };
                let mut answer = json!({
                    "status": response.status,
                    "headers": response.headers,
                    "body": body,
                    "final_url": response.final_url,
                });
                if let Some(encoding) = encoding {
                    answer["encoding"] = json!(encoding);
                }
                json!({"request": recorded_request, "response": answer})
            }
            Err(error) => {
                let (kind, detail) = error_kind(&error);
                json!({"request": recorded_request, "error": {"kind": kind, "detail": detail}})
            }
        };
        exchanges.push(exchange);
    }
    Ok(exchanges)
}

/// The cassette's name for a fetch error, as the replay reads it back.
fn error_kind(error: &FetchError) -> (&'static str, String) {
    match error {
        FetchError::Denied(reason) => ("denied", reason.clone()),
        FetchError::InvalidUrl(reason) => ("invalid-url", reason.clone()),
        FetchError::Timeout => ("timeout", String::new()),
        FetchError::TooLarge(cap) => ("too-large", cap.to_string()),
        FetchError::TooManyRedirects => ("too-many-redirects", String::new()),
        FetchError::BudgetExhausted => ("budget-exhausted", String::new()),
        FetchError::Network(reason) => ("network", reason.clone()),
    }
}
