//! `fetch.allow_private_hosts` by port: an entry with a port opens that port only (`:80`
//! included), directly and through redirects; an entry without one opens every port of
//! the host; IPv6 entries match, so a fixture site and a translator on `[::1]` work.

use fixture_site::{FixtureConfig, FixtureSite, catalog};
use kura::store::TranslationStatus;
use serde_json::json;

use super::probe;
use crate::support::{self, Canary, TestServer};
use crate::translation::{PLUGINS, completed_translation, info, translator};

/// A server with the probe plugin (it declares `http://127.0.0.1:*`), `entries` as
/// `fetch.allow_private_hosts` and, when given, `probe_domain` as the probe's `domain`.
async fn probe_server(
    fixture: &FixtureSite,
    entries: &[String],
    probe_domain: Option<&str>,
) -> TestServer {
    let mut config =
        support::config(&fixture.base_url()).set("fetch.allow_private_hosts", json!(entries));
    if let Some(domain) = probe_domain {
        config = config.set("sources.test-probe.domain", json!(domain));
    }
    TestServer::start(&config, &["test-probe"]).await
}

async fn v6_fixture() -> FixtureSite {
    FixtureSite::start(FixtureConfig {
        host: std::net::Ipv6Addr::LOCALHOST.into(),
        ..FixtureConfig::default()
    })
    .await
    .expect("fixture site on [::1]")
}

fn assert_denied(outcome: Result<serde_json::Value, String>, url: &str) {
    match outcome {
        Ok(answer) => panic!("{url} was allowed: {answer}"),
        Err(message) => assert!(message.contains("denied"), "{url}: {message}"),
    }
}

#[tokio::test]
async fn a_port_entry_opens_that_port_only_even_the_default_one() {
    let fixture = support::fixture().await;
    let canary = Canary::start_on("127.0.0.1").await;
    let (f, fp, c) = (fixture.base_url(), fixture.addr().port(), canary.port);
    let server = probe_server(
        &fixture,
        &[format!("127.0.0.1:{fp}"), "127.0.0.1:80".to_owned()],
        None,
    )
    .await;
    let denied = [
        format!("http://127.0.0.1:{c}/"),
        format!("{f}/fault/redirect?to=http://127.0.0.1:{c}/"),
        format!("{f}/fault/redirect?to=http://127.0.0.1:{c}/echo"),
        format!("http://2130706433:{c}/"),
    ];
    for url in &denied {
        assert_denied(probe(&server, url, json!([])).await, url);
    }
    assert_eq!(canary.hits(), 0, "another port of 127.0.0.1 was reached");
    let answer = probe(&server, &format!("{f}/echo"), json!([]))
        .await
        .expect("the allowed port");
    assert_eq!(answer["code"], "STATUS-200", "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn a_redirect_to_another_allowed_port_is_followed_and_others_are_not() {
    let fixture = support::fixture().await;
    let other = support::fixture().await;
    let canary = Canary::start_on("127.0.0.1").await;
    let (f, fp) = (fixture.base_url(), fixture.addr().port());
    let (o, op) = (other.base_url(), other.addr().port());
    let server = probe_server(
        &fixture,
        &[format!("127.0.0.1:{fp}"), format!("127.0.0.1:{op}")],
        None,
    )
    .await;
    let answer = probe(
        &server,
        &format!("{f}/fault/redirect?to={o}/echo"),
        json!([]),
    )
    .await
    .expect("redirect between two allowed ports");
    assert_eq!(answer["code"], "STATUS-200", "{answer}");
    let url = format!("{o}/fault/redirect?to=http://127.0.0.1:{}/", canary.port);
    assert_denied(probe(&server, &url, json!([])).await, &url);
    assert_eq!(canary.hits(), 0);
    server.stop().await;
}

#[tokio::test]
async fn an_entry_without_a_port_opens_every_port_of_its_host_only() {
    let fixture = support::fixture().await;
    let other = support::fixture().await;
    let server = probe_server(&fixture, &["127.0.0.1".to_owned()], None).await;
    for base in [fixture.base_url(), other.base_url()] {
        let answer = probe(&server, &format!("{base}/echo"), json!([]))
            .await
            .unwrap_or_else(|message| panic!("{base}: {message}"));
        assert_eq!(answer["code"], "STATUS-200", "{answer}");
    }
    // localhost is another name: the entry does not open it.
    let url = format!("http://localhost:{}/echo", other.addr().port());
    assert_denied(probe(&server, &url, json!([])).await, &url);
    server.stop().await;
}

#[tokio::test]
async fn ipv6_entries_match_by_address_and_port() {
    let fixture = support::fixture().await;
    let site = v6_fixture().await;
    let v6 = site.base_url();
    let port = site.addr().port();
    assert!(v6.starts_with("http://[::1]:"), "{v6}");
    // The manifest declares 127.0.0.1 and localhost only; the operator's domain opens the
    // IPv6 origin, and the entry lets it be loopback.
    let fixture_entry = format!("127.0.0.1:{}", fixture.addr().port());
    let server = probe_server(
        &fixture,
        &[fixture_entry.clone(), format!("[::1]:{port}")],
        Some(&v6),
    )
    .await;
    let answer = probe(&server, &format!("{v6}/echo"), json!([]))
        .await
        .expect("the IPv6 entry allows its site");
    assert_eq!(answer["code"], "STATUS-200", "{answer}");
    let url = format!("http://[0:0::1]:{port}/echo");
    let answer = probe(&server, &url, json!([]))
        .await
        .expect("the same address written longer");
    assert_eq!(answer["code"], "STATUS-200", "{answer}");
    server.stop().await;

    // The same site with an entry for another port, or without one: the domain still
    // approves the origin, but the address is refused.
    for entries in [
        vec![
            fixture_entry.clone(),
            format!("[::1]:{}", port.wrapping_add(1)),
        ],
        vec![fixture_entry.clone()],
    ] {
        let server = probe_server(&fixture, &entries, Some(&v6)).await;
        let url = format!("{v6}/echo");
        match probe(&server, &url, json!([])).await {
            Ok(answer) => panic!("{url} was allowed with {entries:?}: {answer}"),
            Err(message) => assert!(
                message.contains("denied") && message.contains("loopback"),
                "{entries:?}: {message}"
            ),
        }
        server.stop().await;
    }
}

#[tokio::test]
async fn a_translator_on_ipv6_loopback_translates() {
    let fixture = support::fixture().await;
    let llm = v6_fixture().await;
    let config = support::config(&fixture.base_url()).merge(translator(
        &llm.base_url(),
        "generate",
        "any",
        30_000,
        1,
    ));
    let server = TestServer::start(&config, &PLUGINS).await;
    crate::library::add(&server, "DEMO-001").await;
    completed_translation(&server, "DEMO-001").await;
    let stored = info(&server, "DEMO-001").await;
    assert_eq!(stored.status, TranslationStatus::Completed, "{stored:?}");
    assert_eq!(stored.title_translated, Some(catalog::title_en(1)));
    server.stop().await;
}
