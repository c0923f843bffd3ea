//! The shipped plugins against the fixture site: sources, scrapers and the cleaner
//! (K-1, N-A1, N-A2, N-A3, N-B1, N-C4).

use fixture_site::catalog;
use serde_json::json;

use crate::support::{self, TestServer};

const SHIPPED: &[&str] = &[
    "fixture-alpha",
    "fixture-beta",
    "fixture-meta",
    "jsonld",
    "default-cleaner",
];

#[tokio::test]
async fn shipped_plugins_load_and_answer() {
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), SHIPPED).await;
    let (_, list) = server.get_json("/api/plugins").await;
    assert_eq!(list["load_errors"], json!([]), "{list}");
    assert_eq!(
        list["plugins"].as_array().map(Vec::len),
        Some(SHIPPED.len()),
        "{list}"
    );
    let host = server.plugins();

    // Alpha: the stream needs the Referer the hit carries.
    let hit = host
        .resolve("fixture-alpha", "DEMO-001")
        .await
        .expect("alpha has DEMO-001");
    assert_eq!(hit.title.as_deref(), Some(catalog::title_ja(1).as_str()));
    assert!(hit.playlist_url.contains("/stream/DEMO-001/"), "{hit:?}");
    let client = reqwest::Client::new();
    let bare = client
        .get(&hit.playlist_url)
        .send()
        .await
        .expect("playlist");
    assert_eq!(bare.status(), 403, "alpha's stream is protected");
    let mut request = client.get(&hit.playlist_url);
    for (name, value) in &hit.headers {
        request = request.header(name, value);
    }
    let playlist = request.send().await.expect("playlist");
    assert_eq!(playlist.status(), 200);
    assert!(
        playlist
            .text()
            .await
            .unwrap_or_default()
            .starts_with("#EXTM3U")
    );

    // N-A1 inputs: which source knows which code.
    for n in [2, 3, 6, 7, 11, 30] {
        let code = catalog::code(n);
        let alpha = host.resolve("fixture-alpha", &code).await;
        let beta = host.resolve("fixture-beta", &code).await;
        assert_eq!(
            alpha.is_ok(),
            catalog::on_alpha(n),
            "{code} on alpha: {alpha:?}"
        );
        assert_eq!(
            beta.is_ok(),
            catalog::on_beta(n),
            "{code} on beta: {beta:?}"
        );
        for miss in [alpha, beta].into_iter().filter_map(Result::err) {
            assert!(miss.to_string().starts_with("not found"), "{code}: {miss}");
        }
    }

    // Beta finds codes through its JSON search.
    let hits = host
        .search("fixture-beta", "DEMO-003")
        .await
        .expect("search");
    assert!(hits.iter().any(|h| h.code == "DEMO-003"), "{hits:?}");

    // Scrapers: the fixture's own layout and generic JSON-LD/OpenGraph agree with the catalog.
    for scraper in ["fixture-meta", "jsonld"] {
        let metadata = host
            .scrape(scraper, "DEMO-001", None)
            .await
            .expect("metadata");
        assert_eq!(metadata.code, "DEMO-001", "{scraper}");
        assert_eq!(
            metadata.release_date.as_deref(),
            Some(catalog::release_date(1).as_str()),
            "{scraper}"
        );
        assert_eq!(
            metadata.duration_seconds,
            Some(catalog::duration_minutes(1) * 60),
            "{scraper}"
        );
        let people: Vec<&str> = metadata.people.iter().map(|p| p.name.as_str()).collect();
        let expected: Vec<&str> = catalog::people(1).iter().map(|p| p.name).collect();
        assert_eq!(people, expected, "{scraper}");
        assert_eq!(metadata.tags, catalog::tags(1), "{scraper}");
        assert!(metadata.cover_url.is_some(), "{scraper}");
    }
    let missing = host
        .scrape("fixture-meta", "DEMO-025", None)
        .await
        .expect_err("no metadata for 025");
    assert!(missing.to_string().starts_with("not found"), "{missing}");

    // The cleaner passes every golden case (it had to, to load at all) and answers.
    for case in kura::plugins::golden_cases().expect("golden cases") {
        let clean = host
            .clean("default-cleaner", &case.input)
            .await
            .expect("clean");
        assert_eq!(clean, case.expected, "rule {}", case.rule);
    }
    server.stop().await;
}

#[tokio::test]
async fn source_list_follows_config_weights() {
    let fixture = support::fixture().await;
    let url = fixture.base_url();
    let server = TestServer::start(&support::config(&url), SHIPPED).await;
    let (status, rows) = server.get_json("/api/source/list").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["fixture-alpha", "fixture-beta"]);
    assert_eq!(rows[0]["weight"], 100);
    assert_eq!(rows[0]["version"], "1.0.0");
    assert_eq!(rows[0]["enabled"], true);
    server.stop().await;

    // N-A2: weight and enabled from config; a moved domain is approved by config.
    let config = support::config(&url)
        .set("sources.fixture-beta.weight", json!(500))
        .set("sources.fixture-alpha.enabled", json!(false));
    let server = TestServer::start(&config, SHIPPED).await;
    let (_, rows) = server.get_json("/api/source/list").await;
    assert_eq!(rows[0]["name"], "fixture-beta");
    assert_eq!(rows[0]["weight"], 500);
    assert_eq!(rows[1]["enabled"], false);
    let (status, body) = server
        .post_json(
            "/api/plugins/fixture-alpha/call",
            json!({"input": "DEMO-001"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("plugin_disabled"))
    );
    server.stop().await;
}
