//! Which plugin answers an add: sources by descending weight with the first hit winning,
//! a code no source knows writes nothing, a scraper miss leaves the source's title, and a
//! forbidden cover is retried once before the next candidate (N-A1, N-B1, N-B2, N-B4).

use fixture_site::catalog;
use fixture_site::media::{CoverSource, cover_jpeg};
use serde_json::json;

use super::{LIBRARY_PLUGINS, WAIT, add, check_error, codes, cover_file, lookups, start};
use crate::support::{self, TestServer};

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(plugin, outcome)| ((*plugin).to_owned(), (*outcome).to_owned()))
        .collect()
}

#[tokio::test]
async fn lower_weight_source_answers_when_the_higher_one_misses() {
    let fixture = support::fixture().await;
    let server = start(&fixture, json!({})).await;
    let only_beta = 3;
    assert!(!catalog::on_alpha(only_beta) && catalog::on_beta(only_beta));
    let report = add(&server, &catalog::code(only_beta)).await;
    // jsonld reads the page the source found (beta's has no JSON-LD or OpenGraph), so
    // only that it was asked is certain here.
    let found = lookups(&report);
    assert_eq!(
        found[..3],
        pairs(&[
            ("fixture-alpha", "miss"),
            ("fixture-beta", "hit"),
            ("fixture-meta", "hit")
        ]),
        "{report}"
    );
    assert_eq!(
        found.get(3).map(|(plugin, _)| plugin.as_str()),
        Some("jsonld"),
        "{report}"
    );
    let resource = &report["resource"];
    assert_eq!(resource["source_plugin"], "fixture-beta");
    assert_eq!(resource["title_source"], catalog::title_ja(only_beta));
    assert!(
        resource["page_url"]
            .as_str()
            .is_some_and(|url| url.ends_with(&format!("/beta/item/{only_beta}"))),
        "{resource}"
    );
    assert!(
        report["lookups"][0]["detail"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );

    // On both sites: the heavier source wins and the lighter one is never asked.
    let both = 1;
    assert!(catalog::on_alpha(both) && catalog::on_beta(both));
    let report = add(&server, &catalog::code(both)).await;
    assert_eq!(report["resource"]["source_plugin"], "fixture-alpha");
    assert!(
        !lookups(&report)
            .iter()
            .any(|(plugin, _)| plugin == "fixture-beta"),
        "{report}"
    );
    let (_, beta_only_list) = server.get_json("/api/resources?source=fixture-beta").await;
    assert_eq!(codes(&beta_only_list), [catalog::code(only_beta)]);
    server.stop().await;

    // The weight comes from the config when set: beta above alpha now answers first.
    let config =
        support::config(&fixture.base_url()).set("sources.fixture-beta.weight", json!(200));
    let server = TestServer::start(&config, &LIBRARY_PLUGINS).await;
    let report = add(&server, &catalog::code(both)).await;
    assert_eq!(
        report["resource"]["source_plugin"], "fixture-beta",
        "{report}"
    );
    assert_eq!(
        lookups(&report)[0],
        ("fixture-beta".to_owned(), "hit".to_owned())
    );
    server.stop().await;
}

#[tokio::test]
async fn code_no_source_knows_is_404_and_writes_nothing() {
    let fixture = support::fixture().await;
    let server = start(&fixture, json!({})).await;
    let nowhere = 30;
    assert!(!catalog::is_known(nowhere));
    let code = catalog::code(nowhere);
    let (status, body) = server
        .post_json(&format!("/api/resource?{WAIT}"), json!({ "code": code }))
        .await;
    check_error("add DEMO-030", status, &body, 404, "code_not_found");
    // The failed task keeps every lookup as its result, for a client to show.
    let (_, tasks) = server.get_json("/api/tasks?kind=add_resource").await;
    let task = &tasks["items"][0];
    assert_eq!(task["status"], "failed", "{tasks}");
    assert_eq!(task["error_code"], "code_not_found", "{task}");
    let said: Vec<(String, String)> = task["result"]["lookups"]
        .as_array()
        .unwrap_or_else(|| panic!("lookups in the result: {task}"))
        .iter()
        .map(|l| {
            (
                l["plugin"].as_str().unwrap_or_default().to_owned(),
                l["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            ("fixture-alpha".to_owned(), "miss".to_owned()),
            ("fixture-beta".to_owned(), "miss".to_owned())
        ],
        "{task}"
    );
    let (status, body) = server
        .get_json(&format!("/api/resource/{code}/metadata"))
        .await;
    check_error("metadata", status, &body, 404, "resource_not_found");
    let (_, list) = server.get_json("/api/resources").await;
    assert_eq!(list["total"], 0, "{list}");
    assert!(!cover_file(&server, &code, None).exists());
    let covers = std::fs::read_dir(server.data.path().join("resource/cover")).expect("cover dir");
    assert_eq!(covers.count(), 0, "no file of any kind was written");
    assert_eq!(
        fixture.hits(&format!("/meta/{code}")),
        0,
        "scrapers run only after a source hit"
    );
    server.stop().await;
}

#[tokio::test]
async fn scraper_without_a_page_leaves_the_source_title_and_cover() {
    let fixture = support::fixture().await;
    // Only the scraper of the metadata site: jsonld would read the source's own page.
    let config = support::config(&fixture.base_url()).set("scrapers.jsonld.enabled", json!(false));
    let server = TestServer::start(&config, &LIBRARY_PLUGINS).await;
    let no_metadata = 25;
    assert!(catalog::on_alpha(no_metadata) && !catalog::has_metadata(no_metadata));
    let code = catalog::code(no_metadata);
    let report = add(&server, &code).await;
    let found = lookups(&report);
    assert_eq!(found.len(), 2, "{report}");
    assert_eq!(
        found[0],
        ("fixture-alpha".to_owned(), "hit".to_owned()),
        "{report}"
    );
    let lookup = &report["lookups"][1];
    assert_eq!(lookup["plugin"], "fixture-meta", "{report}");
    assert!(
        ["miss", "error"].contains(&lookup["outcome"].as_str().unwrap_or_default()),
        "the scraper found no page: {lookup}"
    );
    assert!(
        lookup["detail"].as_str().is_some_and(|d| d.contains("404")),
        "{lookup}"
    );
    assert_eq!(report["cover_error"], serde_json::Value::Null, "{report}");
    let resource = &report["resource"];
    assert_eq!(resource["title_source"], catalog::title_ja(no_metadata));
    assert_eq!(
        resource["field_sources"]["title"],
        format!(
            "fixture-alpha@{}",
            report["lookups"][0]["version"].as_str().unwrap_or_default()
        )
    );
    assert_eq!(resource["people"], json!([]));
    assert_eq!(resource["tags"], json!([]));
    assert_eq!(resource["release_date"], serde_json::Value::Null);
    // No scraper named a cover, so the source's is stored.
    let alpha_cover = format!("{}/alpha/img/{code}.jpg", fixture.base_url());
    assert_eq!(resource["cover_source"], alpha_cover.as_str(), "{report}");
    assert_eq!(
        std::fs::read(cover_file(&server, &code, None)).ok(),
        Some(cover_jpeg(CoverSource::Alpha, no_metadata))
    );
    server.stop().await;
}

#[tokio::test]
async fn forbidden_cover_is_retried_once_then_the_source_cover_is_used() {
    let fixture = support::fixture().await;
    let server = start(&fixture, json!({})).await;

    let forbidden_once = 13;
    assert!(catalog::cover_forbidden_once(forbidden_once) && catalog::on_alpha(forbidden_once));
    let code = catalog::code(forbidden_once);
    let report = add(&server, &code).await;
    let meta_cover = format!("{}/media/cover/{code}.jpg", fixture.base_url());
    assert_eq!(report["cover_url"], meta_cover.as_str(), "{report}");
    assert_eq!(report["resource"]["cover_source"], meta_cover.as_str());
    assert_eq!(
        fixture.hits(&format!("/media/cover/{code}.jpg")),
        2,
        "one 403, one retry"
    );
    assert_eq!(
        std::fs::read(cover_file(&server, &code, None)).ok(),
        Some(cover_jpeg(CoverSource::Meta, forbidden_once))
    );

    let always_forbidden = 26;
    assert!(
        catalog::cover_always_forbidden(always_forbidden) && catalog::on_alpha(always_forbidden)
    );
    let code = catalog::code(always_forbidden);
    let report = add(&server, &code).await;
    let alpha_cover = format!("{}/alpha/img/{code}.jpg", fixture.base_url());
    assert_eq!(report["cover_url"], alpha_cover.as_str(), "{report}");
    assert_eq!(report["resource"]["cover_source"], alpha_cover.as_str());
    assert!(
        fixture.hits(&format!("/media/cover/{code}.jpg")) >= 2,
        "the scraper cover was tried and retried before falling back"
    );
    assert_eq!(
        std::fs::read(cover_file(&server, &code, None)).ok(),
        Some(cover_jpeg(CoverSource::Alpha, always_forbidden)),
        "the source's own picture, not the scraper's"
    );
    // The rest of the record still comes from the scraper.
    assert_eq!(
        report["resource"]["title_source"],
        catalog::title_ja(always_forbidden)
    );
    assert_eq!(
        report["resource"]["tags"].as_array().map(Vec::len),
        Some(catalog::tags(always_forbidden).len())
    );
    server.stop().await;
}
