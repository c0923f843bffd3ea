//! Hostile codes against every route that takes one (K-11): path traversal in every
//! encoding, NUL and control characters, full-width and look-alike separators, huge and
//! empty input, invalid UTF-8. None may answer 5xx, none may succeed, every answer is a
//! 400 or 404 in the `{code, message}` shape, and no answer carries a byte of the canary
//! files planted next to the data directory or of `/etc/passwd`.

use serde_json::{Value, json};

use super::{LIBRARY_PLUGINS, WAIT, add};
use crate::support::raw_http::{self, RawResponse, decode, encode_all};
use crate::support::{self, TestServer};

/// Payloads as they go on the request line: literal, percent-encoded by hand, or fully
/// encoded from text that cannot appear raw in a URL.
fn payloads() -> Vec<String> {
    let literal = [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "%2E%2E%2F%2E%2E%2F%2E%2E%2Fcanary.txt",
        "..%2F..%2F..%2Fcanary.txt",
        "..%5C..%5C..%5Ccanary.txt",
        "..",
        ".",
        "%2e%2e",
        "%2e",
        "....%2F....%2Fcanary.txt",
        "%252e%252e%252fcanary.txt",
        "..%252F..%252Fcanary.txt",
        "ABC-123%2F..%2F..%2Fx",
        "ABC-123/../../x",
        "DEMO-001/../../../canary.txt",
        "DEMO-001%2F..%2F..%2F..%2Fcanary.txt",
        "DEMO-001%2F..",
        "ABC-123%00",
        "ABC-123%00.jpg",
        "DEMO%00-001",
        "%00",
        "C:%5Cwindows%5Csystem32",
        "C:windows",
        "DEMO-001::$DATA",
        "%2Fetc%2Fpasswd",
        "file:%2F%2F%2Fetc%2Fpasswd",
        "http:%2F%2F127.0.0.1%2F",
        "~%2F.ssh%2Fid_rsa",
        "%FF",
        "ABC-%FF%FE123",
        "%c0%ae%c0%ae%c0%af",
        "%e2%80%a5%2Fcanary.txt",
        "",
        "%20",
        "%20%20%09",
        "%0A",
        "%0D%0A",
        "%1B%5B31m",
        "%7F",
        "ABC-123%0D%0ASet-Cookie:x=1",
        "ABC..123",
        "ABC-123.",
        "DEMO-001.jpg",
        "DEMO-001.small",
        "DEMO-001%3F",
        "DEMO-001%23",
        "DEMO-001;rm%20-rf",
        "%27%20OR%201=1--",
        "DEMO-001%27--",
        "DEMO-001%2500",
        "-1",
        "0",
        "99999999999999999999",
        "CON",
    ];
    let encoded = [
        "ＡＢＣ／１２３",
        "ＡＢＣ＼１２３",
        "．．／．．／canary.txt",
        "．．",
        "ABC\u{2215}123",
        "ＤＥＭＯ－００１／．．",
        "\u{202E}DEMO-001",
        "DEMO\u{3000}001/..",
        "<script>alert(1)</script>",
        "..\\..\\..\\canary.txt",
    ];
    let mut all: Vec<String> = literal.iter().map(|p| (*p).to_owned()).collect();
    all.extend(encoded.iter().map(|text| encode_all(text)));
    all.push("A".repeat(5000));
    all.push(format!("DEMO-{}", "1".repeat(1000)));
    all.push(encode_all(&"Ａ".repeat(40)));
    all
}

/// What must never show in an answer.
struct Secrets {
    canary: String,
    outer_dir: String,
}

#[tokio::test]
async fn hostile_codes_never_escape_the_data_dir() {
    let fixture = support::fixture().await;
    let outer = tempfile::tempdir().expect("outer dir");
    let secrets = Secrets {
        canary: format!("KURA-CANARY-{}", std::process::id()),
        outer_dir: outer.path().display().to_string(),
    };
    // The data directory sits inside `outer`; the canaries are its siblings, where a
    // `../` from the data or media directories would land.
    for name in ["canary.txt", "canary.jpg", "DEMO-001.jpg", "passwd"] {
        std::fs::write(outer.path().join(name), &secrets.canary).expect("canary");
    }
    let data = tempfile::Builder::new()
        .prefix("data")
        .tempdir_in(outer.path())
        .expect("data dir");
    let server = TestServer::start_in(
        data,
        &support::config(&fixture.base_url()),
        &LIBRARY_PLUGINS,
    )
    .await;
    // A real resource, so that routes have files they could be tricked into reaching past.
    add(&server, "DEMO-001").await;
    let cover_before = std::fs::read(super::cover_file(&server, "DEMO-001", None)).expect("cover");

    let payloads = payloads();
    assert!(payloads.len() >= 50, "{} payloads", payloads.len());
    let mut failures = Vec::new();
    let mut requests = 0;
    for payload in &payloads {
        let targets = [
            ("GET", format!("/api/resource/{payload}/preview")),
            ("GET", format!("/api/resource/{payload}/metadata")),
            ("GET", format!("/api/resource/{payload}/cover")),
            ("GET", format!("/api/resource/{payload}/cover?size=small")),
            (
                "GET",
                format!("/api/resource/DEMO-001/cover?size={payload}"),
            ),
            ("POST", format!("/api/resource/refresh/{payload}")),
            ("DELETE", format!("/api/resource/{payload}")),
            ("GET", format!("/api/downloads/abspath?code={payload}")),
            ("GET", format!("/api/actors/{payload}/avatar")),
        ];
        for (method, target) in targets {
            let response = raw_http::request(&server.base, method, &target, None).await;
            requests += 1;
            // The empty code leaves `/api/resource/` (routes are matched without a
            // trailing slash): the collection, which takes POST only, refuses with 405.
            let collection = payload.is_empty() && target.ends_with('/') && response.status == 405;
            let problem = problem(&response, &secrets)
                .filter(|problem| !(collection && problem.starts_with("status 405")));
            if let Some(problem) = problem {
                failures.push(format!("{method} {target}: {problem}"));
            }
        }
        let value = decode(payload);
        let body = json!({ "code": value }).to_string();
        let response = raw_http::request(&server.base, "POST", "/api/resource", Some(&body)).await;
        requests += 1;
        if let Some(problem) = problem(&response, &secrets) {
            failures.push(format!("POST /api/resource {body}: {problem}"));
        }
    }

    // One batch with every payload as an add and a delete: it runs, every item fails on
    // its own.
    let items: Vec<Value> = payloads
        .iter()
        .flat_map(|p| {
            ["add", "delete"].map(|action| json!({ "action": action, "code": decode(p) }))
        })
        .collect();
    let body = json!({ "items": items }).to_string();
    let target = format!("/api/resources/batch?{WAIT}");
    let response = raw_http::request(&server.base, "POST", &target, Some(&body)).await;
    let text = response.text();
    assert_eq!(response.status, 201, "{text}");
    for secret in [
        secrets.canary.as_str(),
        "root:x:0:0",
        secrets.outer_dir.as_str(),
    ] {
        assert!(
            !text.contains(secret),
            "the batch answer shows {secret:?}: {text}"
        );
    }
    let answer: Value = serde_json::from_slice(&response.body).expect("batch json");
    assert_eq!(
        answer["result"]["failed"],
        items.len(),
        "no hostile item succeeds: {text}"
    );
    for result in answer["result"]["results"].as_array().expect("results") {
        let error = &result["error"];
        let explained = error.as_str().or_else(|| error["message"].as_str());
        if result["ok"] != false || explained.is_none_or(str::is_empty) {
            failures.push(format!("batch item {result}: not a failure with a reason"));
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {requests} requests answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Nothing was changed or removed by any of it.
    let (_, list) = server.get_json("/api/resources").await;
    assert_eq!(super::codes(&list), ["DEMO-001"]);
    assert_eq!(
        std::fs::read(super::cover_file(&server, "DEMO-001", None)).ok(),
        Some(cover_before)
    );
    for name in ["canary.txt", "canary.jpg", "DEMO-001.jpg", "passwd"] {
        assert_eq!(
            std::fs::read_to_string(outer.path().join(name))
                .ok()
                .as_deref(),
            Some(secrets.canary.as_str())
        );
    }
    server.stop().await;
}

/// Why `response` is not an acceptable answer to a hostile request, if it is not.
fn problem(response: &RawResponse, secrets: &Secrets) -> Option<String> {
    let text = response.text();
    if text.contains(&secrets.canary) {
        return Some("the canary file's content was served".to_owned());
    }
    if text.contains("root:x:0:0") {
        return Some("/etc/passwd was served".to_owned());
    }
    if text.contains(&secrets.outer_dir) {
        return Some(format!("a server path was disclosed: {text}"));
    }
    if ![400, 404].contains(&response.status) {
        return Some(format!(
            "status {} (expected 400 or 404): {text}",
            response.status
        ));
    }
    let shaped = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .is_some_and(|body| {
            body["code"].as_str().is_some_and(|c| !c.is_empty())
                && body["message"].as_str().is_some_and(|m| !m.is_empty())
        });
    if !shaped {
        let content_type = response.header("content-type").unwrap_or("none");
        return Some(format!(
            "{} without the {{code, message}} shape (content-type {content_type}): {text:?}",
            response.status
        ));
    }
    None
}
