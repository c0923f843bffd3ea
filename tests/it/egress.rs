//! The egress matrix: a probe plugin asks the host to fetch hostile URLs. None may reach
//! the canary on 127.0.0.2; every allowed case must succeed (K-3).

mod private_ports;

use serde_json::{Value, json};

use crate::support::{self, Canary, TestServer};

async fn probe(server: &TestServer, url: &str, headers: Value) -> Result<Value, String> {
    let query =
        json!({ "url": url, "method": "GET", "headers": headers, "follow": true }).to_string();
    let (status, body) = server
        .post_json(
            "/api/plugins/test-probe/call",
            json!({ "input": query, "search": true }),
        )
        .await;
    match status {
        200 => Ok(body[0].clone()),
        _ => Err(body["message"].as_str().unwrap_or_default().to_owned()),
    }
}

#[tokio::test]
async fn egress_matrix() {
    let fixture = support::fixture().await;
    let canary = Canary::start().await;
    let (f, c) = (fixture.base_url(), canary.port);
    let fp = fixture.addr().port();
    let config = support::config(&f)
        .set(
            "sources.test-probe.allowed_hosts",
            json!([
                format!("http://127.0.0.1:{fp}"),
                format!("http://localhost:{fp}")
            ]),
        )
        .set(
            "fetch.resolve",
            json!({
                "evil.test": "127.0.0.2",
                "localhost.evil.test": "127.0.0.2",
                "127.0.0.1.evil.test": "127.0.0.2",
            }),
        )
        .set("fetch.max_redirects", json!(4))
        .push(
            "fetch.allow_private_hosts",
            json!(format!("localhost:{fp}")),
        );
    let server = TestServer::start(&config, &["test-probe"]).await;
    let denied: Vec<(String, Value)> = vec![
        (format!("http://127.0.0.2:{c}/"), json!([])),
        (format!("http://evil.test:{c}/"), json!([])),
        (format!("http://EVIL.TEST:{c}/"), json!([])),
        (format!("http://localhost.evil.test:{c}/"), json!([])),
        (format!("http://127.0.0.1.evil.test:{c}/"), json!([])),
        (format!("http://127.0.0.2.nip.io:{c}/"), json!([])),
        (format!("http://127.0.0.1:{fp}@127.0.0.2:{c}/"), json!([])),
        (format!("http://user:secret@127.0.0.1:{fp}/echo"), json!([])),
        (format!("http://2130706434:{c}/"), json!([])),
        (format!("http://0x7f000002:{c}/"), json!([])),
        (format!("http://0177.0.0.2:{c}/"), json!([])),
        (format!("http://127.2:{c}/"), json!([])),
        (format!("http://127.000.000.002:{c}/"), json!([])),
        (format!("http://%31%32%37.0.0.2:{c}/"), json!([])),
        (format!("http://[::ffff:127.0.0.2]:{c}/"), json!([])),
        (format!("http://[::ffff:7f00:2]:{c}/"), json!([])),
        (format!("http://[::127.0.0.2]:{c}/"), json!([])),
        (format!("http://[::1]:{c}/"), json!([])),
        (format!("http://[fe80::1]:{c}/"), json!([])),
        (format!("http://0.0.0.0:{c}/"), json!([])),
        (format!("http://127.0.0.1:{c}/"), json!([])),
        (format!("http://localhost:{c}/"), json!([])),
        (format!("https://127.0.0.2:{c}/"), json!([])),
        (
            format!("http://127.0.0.2:{c}/"),
            json!([["Host", format!("127.0.0.1:{fp}")]]),
        ),
        (
            format!("{f}/fault/redirect?to=http://127.0.0.2:{c}/"),
            json!([]),
        ),
        (
            format!("{f}/fault/redirect?to=http://localhost:{c}/"),
            json!([]),
        ),
        (
            format!("{f}/fault/redirect?to=http://evil.test:{c}/"),
            json!([]),
        ),
        (
            format!("{f}/fault/redirect?to=http://127.0.0.1:{fp}@127.0.0.2:{c}/"),
            json!([]),
        ),
        (
            format!("{f}/fault/redirect?to=file:///etc/passwd"),
            json!([]),
        ),
        ("file:///etc/passwd".to_owned(), json!([])),
        (format!("ftp://127.0.0.1:{fp}/"), json!([])),
        (format!("gopher://127.0.0.2:{c}/"), json!([])),
        ("data:text/plain,hello".to_owned(), json!([])),
        ("/etc/passwd".to_owned(), json!([])),
        (format!("{f}/fault/redirect-loop"), json!([])),
        (
            format!("{f}/fault/big?bytes={}", 11 * 1024 * 1024),
            json!([]),
        ),
    ];
    let mut failures = Vec::new();
    for (url, headers) in &denied {
        match probe(&server, url, headers.clone()).await {
            Ok(answer) => failures.push(format!("{url} was allowed: {answer}")),
            Err(message) => {
                let kind_ok = ["denied", "invalid-url", "too-many-redirects", "too-large"]
                    .iter()
                    .any(|kind| message.contains(kind));
                if !kind_ok {
                    failures.push(format!("{url} failed with an unexpected error: {message}"));
                }
            }
        }
    }
    let allowed = vec![
        format!("{f}/echo"),
        format!("http://localhost:{fp}/echo"),
        format!("http://2130706433:{fp}/echo"),
        format!("{f}/fault/redirect?to={f}/echo"),
    ];
    for url in &allowed {
        match probe(&server, url, json!([])).await {
            Ok(answer) => assert_eq!(answer["code"], "STATUS-200", "{url}: {answer}"),
            Err(message) => failures.push(format!("{url} should be allowed: {message}")),
        }
    }
    // A guest-set Host header never reaches the wire.
    let echoed = probe(
        &server,
        &format!("{f}/echo"),
        json!([["Host", "evil.test"], ["X-Probe", "1"]]),
    )
    .await
    .expect("echo allowed");
    let body: Value =
        serde_json::from_str(echoed["title"].as_str().unwrap_or("{}")).unwrap_or_default();
    let text = body.to_string().to_ascii_lowercase();
    assert!(
        !text.contains("evil.test"),
        "guest Host header was sent: {text}"
    );
    assert!(
        text.contains("x-probe"),
        "ordinary guest headers are sent: {text}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        denied.len() + allowed.len(),
        failures.join("\n")
    );
    assert_eq!(canary.hits(), 0, "the canary was reached");
    assert!(denied.len() + allowed.len() >= 30);
    server.stop().await;
}

/// With `proxy.enabled`, plugin fetches go through the proxy (N-A6); the allowlist and
/// address checks still apply to the target. The fixture site plays the proxy: it
/// answers absolute-form requests by path.
#[tokio::test]
async fn fetches_go_through_the_configured_proxy() {
    let fixture = support::fixture().await;
    let f = fixture.base_url();
    // The manifest declares only loopback; the operator's `domain` approves this origin.
    let config = support::config(&f)
        .set("sources.test-probe.domain", json!("http://proxied.example"))
        .merge(json!({
            "proxy": { "enabled": true, "url": f },
            "fetch": { "resolve": { "proxied.example": "93.184.216.34" } },
        }));
    let server = TestServer::start(&config, &["test-probe"]).await;
    let before = fixture.hits("/echo");
    let answer = probe(&server, "http://proxied.example/echo", json!([]))
        .await
        .expect("proxied fetch");
    assert_eq!(answer["code"], "STATUS-200", "{answer}");
    assert_eq!(
        fixture.hits("/echo"),
        before + 1,
        "the request did not reach the proxy"
    );
    let echoed = answer["title"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        echoed.contains("proxied.example"),
        "the proxy did not see the target host: {echoed}"
    );
    // The target is still checked: an undeclared host is denied before the proxy sees it.
    let denied = probe(&server, "http://other.example/echo", json!([]))
        .await
        .expect_err("undeclared");
    assert!(denied.contains("denied"), "{denied}");
    assert_eq!(fixture.hits("/echo"), before + 1);
    server.stop().await;
}
