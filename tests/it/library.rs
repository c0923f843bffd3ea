//! The library API against the fixture site and the real fixture plugins: add by code,
//! lookups and covers, lists checked against the database, media with validators, refresh,
//! delete, batches, settings, cookies, and hostile codes (N-A1, N-A4, N-B1..N-B6, N-C7,
//! N-H1..N-H11, N-I1, N-I2, N-D5, K-11).

mod add;
mod adopt_nassav;
mod endpoints;
mod import_nassav;
mod lists;
mod lookups;
mod maintenance;
mod offload;
mod paging;
mod traversal;

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::{self, TestServer};

/// Two sources (alpha, weight 100; beta, weight 50) and two scrapers (fixture-meta, 100;
/// jsonld, 10), as `support::config` configures them.
pub const LIBRARY_PLUGINS: [&str; 4] = ["fixture-alpha", "fixture-beta", "fixture-meta", "jsonld"];

/// A server with the library plugins, reaching `fixture`; `settings` are merged into the
/// config.
pub async fn start(fixture: &fixture_site::FixtureSite, settings: Value) -> TestServer {
    let config = support::config(&fixture.base_url()).merge(settings);
    TestServer::start(&config, &LIBRARY_PLUGINS).await
}

/// Appended to routes that queue a task, so they answer with the outcome: adding and
/// refreshing run as tasks, and waiting on the answer needs no sleep.
pub const WAIT: &str = "wait=120";

/// `POST /api/resource?wait {code}`, which must answer 201; returns the task's report.
pub async fn add(server: &TestServer, code: &str) -> Value {
    let (status, answer) = server
        .post_json(&format!("/api/resource?{WAIT}"), json!({ "code": code }))
        .await;
    assert_eq!(status, 201, "add {code}: {answer}");
    assert_eq!(answer["task"]["status"], "completed", "{answer}");
    answer["result"].clone()
}

/// Asserts an API error: the status, the stable code and a non-empty message.
pub fn check_error(context: &str, status: u16, body: &Value, expected: u16, code: &str) {
    assert_eq!(status, expected, "{context}: {body}");
    assert_eq!(body["code"], code, "{context}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{context}: no message in {body}"
    );
}

/// Sends `request` and checks that it fails with `expected` and `code`.
pub async fn expect_error(
    context: &str,
    request: reqwest::RequestBuilder,
    expected: u16,
    code: &str,
) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    check_error(context, status, &body, expected, code);
}

/// GET `path` and return the status, the headers and the bytes.
pub async fn get_bytes(
    server: &TestServer,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = server.client.get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body").to_vec();
    (status, headers, bytes)
}

/// A header as text ("" when absent).
pub fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Where the media layout puts a code's cover (`size` None) or thumbnail.
pub fn cover_file(server: &TestServer, code: &str, size: Option<&str>) -> PathBuf {
    let name = match size {
        Some(size) => format!("{code}.{size}.jpg"),
        None => format!("{code}.jpg"),
    };
    server.data.path().join("resource/cover").join(name)
}

/// A catalog person's name as the library should store it: `Name（Alias（Older））` becomes
/// `Name` and the aliases, outermost first, joined by ` / `.
pub fn expected_name_and_alias(raw: &str) -> (String, Option<String>) {
    match raw.split_once('（') {
        None => (raw.to_owned(), None),
        Some((name, rest)) => {
            let aliases: Vec<&str> = rest
                .split(['（', '）'])
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .collect();
            (name.trim().to_owned(), Some(aliases.join(" / ")))
        }
    }
}

/// The (plugin, outcome) pairs of a report's lookups, in order.
pub fn lookups(report: &Value) -> Vec<(String, String)> {
    report["lookups"]
        .as_array()
        .expect("lookups")
        .iter()
        .map(|lookup| {
            (
                lookup["plugin"].as_str().unwrap_or_default().to_owned(),
                lookup["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The codes of a `GET /api/resources` answer, in order.
pub fn codes(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Width and height from a JPEG's start-of-frame segment.
pub fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        let (marker_lead, marker) = (*bytes.get(at)?, *bytes.get(at + 1)?);
        if marker_lead != 0xFF {
            return None;
        }
        let length = usize::from(u16::from_be_bytes([
            *bytes.get(at + 2)?,
            *bytes.get(at + 3)?,
        ]));
        let start_of_frame =
            (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker);
        if start_of_frame {
            let height = u16::from_be_bytes([*bytes.get(at + 5)?, *bytes.get(at + 6)?]);
            let width = u16::from_be_bytes([*bytes.get(at + 7)?, *bytes.get(at + 8)?]);
            return Some((u32::from(width), u32::from(height)));
        }
        at += 2 + length;
    }
}
