//! The egress-matrix probe: `search(query)` reads `query` as a JSON fetch description
//! `{"url": "...", "method": "GET", "headers": [["k", "v"]], "follow": true}`, runs it through
//! the host's `fetch` and answers one hit `{code: "STATUS-<status>", title: <body, at most 4096
//! characters>, page-url: <final URL>}`, or `network("<fetch-error kind>: <detail>")`.
//! `resolve` is unsupported.

use kura_plugin_sdk::{Error, SearchHit, Source, StreamHit, http};
use serde::Deserialize;

/// The most body characters a hit carries.
const MAX_BODY_CHARS: usize = 4096;

/// The exported source.
struct Probe;

/// The fetch the test wants.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeRequest {
    url: String,
    #[serde(default = "default_method")]
    method: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    follow: Option<bool>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    timeout_ms: Option<u32>,
}

fn default_method() -> String {
    "GET".to_string()
}

impl Source for Probe {
    fn resolve(_code: String) -> Result<StreamHit, Error> {
        Err(Error::unsupported("test-probe only probes through search"))
    }

    fn search(query: String) -> Result<Vec<SearchHit>, Error> {
        let probe: ProbeRequest = serde_json::from_str(&query).map_err(|error| {
            Error::invalid_input(format!("probe query is not the expected JSON: {error}"))
        })?;
        let method = http::Method::parse(&probe.method)
            .ok_or_else(|| Error::invalid_input(format!("unknown method {}", probe.method)))?;
        let request = http::Request {
            method,
            url: probe.url,
            headers: probe.headers,
            body: probe.body.map(String::into_bytes),
            timeout_ms: probe.timeout_ms,
            follow_redirects: probe.follow,
        };
        let response = http::fetch(&request).map_err(|error| Error::network(error.message()))?;
        let body: String = String::from_utf8_lossy(&response.body)
            .chars()
            .take(MAX_BODY_CHARS)
            .collect();
        Ok(vec![SearchHit::new(
            format!("STATUS-{}", response.status),
            Some(body),
            response.final_url,
        )])
    }
}

kura_plugin_sdk::export_source!(Probe);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing::Replay;

    use super::*;

    #[test]
    fn bad_query_is_invalid_input() {
        let outcome = Replay::offline().run(|| Probe::search("not json".to_string()));
        assert!(
            matches!(outcome, Err(Error::InvalidInput(_))),
            "{outcome:?}"
        );
    }

    #[test]
    fn fetch_error_kind_is_reported() {
        let outcome = Replay::offline()
            .run(|| Probe::search(r#"{"url": "http://127.0.0.1:1/"}"#.to_string()));
        assert!(
            matches!(&outcome, Err(Error::Network(detail)) if detail.starts_with("denied: ")),
            "{outcome:?}"
        );
    }

    #[test]
    fn answer_becomes_a_hit() {
        let hits = Replay::new("tests/cassettes/echo.json")
            .run(|| {
                Probe::search(
                    r#"{"url": "http://127.0.0.1:8399/echo", "headers": [["X-Probe", "1"]]}"#
                        .to_string(),
                )
            })
            .expect("a hit");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].code, "STATUS-200");
        assert_eq!(hits[0].page_url, "http://127.0.0.1:8399/echo");
        assert!(
            hits[0]
                .title
                .as_deref()
                .is_some_and(|body| body.contains("x-probe"))
        );
    }
}
