//! Add, list and delete one resource on every backend: the stored record matches the
//! fixture catalog field by field, people names are split, the cover is the scraper's
//! bytes, thumbnails are made on request and kept, avatars are fetched, and a delete
//! takes the row and every file with it (N-A1, N-B1..N-B6, N-H1, N-H6, N-H9, N-I1, N-I2).

use fixture_site::catalog;
use fixture_site::media::{CoverSource, avatar_jpeg, cover_jpeg};
use serde_json::Value;

use super::{
    add, check_error, codes, cover_file, expected_name_and_alias, get_bytes, header, jpeg_size,
    lookups, start,
};
use crate::support::TestServer;
use crate::support::database::{TestDatabase, test_databases};

/// DEMO-007 is on alpha and beta, has a metadata page, and its cast holds person 10, the
/// one written with nested brackets, and person 3, who has no avatar.
const N: u32 = 7;

#[tokio::test]
async fn add_list_and_delete_on_every_backend() {
    for database in test_databases().await {
        add_list_and_delete(&database).await;
        database.drop_database().await;
    }
}

async fn add_list_and_delete(database: &TestDatabase) {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, database.config.clone()).await;
    let code = catalog::code(N);
    let report = add(&server, &code).await;
    let on = database.name;

    // Alpha (weight 100) knows the code, so beta is never asked; both scrapers answer,
    // fixture-meta (weight 100) first.
    assert_eq!(
        lookups(&report),
        [
            ("fixture-alpha", "hit"),
            ("fixture-meta", "hit"),
            ("jsonld", "hit")
        ]
        .map(|(p, o)| (p.to_owned(), o.to_owned())),
        "{on}: {report}"
    );
    let resource = &report["resource"];
    check_fields(resource, &report, on);
    check_people_and_tags(resource, on);

    let cover_url = format!("{}/media/cover/{code}.jpg", fixture.base_url());
    assert_eq!(report["cover_url"], cover_url.as_str(), "{on}: {report}");
    assert_eq!(resource["cover_source"], cover_url.as_str(), "{on}");
    assert_eq!(
        resource["cover_file"],
        format!("resource/cover/{code}.jpg"),
        "{on}"
    );
    let stored = std::fs::read(cover_file(&server, &code, None)).expect("cover on disk");
    assert_eq!(
        stored,
        cover_jpeg(CoverSource::Meta, N),
        "{on}: the JPEG is kept byte for byte"
    );
    let (status, headers, served) =
        get_bytes(&server, &format!("/api/resource/{code}/cover"), &[]).await;
    assert_eq!(
        (status, header(&headers, "content-type").as_str()),
        (200, "image/jpeg"),
        "{on}"
    );
    assert_eq!(served, stored, "{on}");

    check_thumbnails(&server, &code, on).await;
    check_avatars(&server, resource, &report, on).await;

    let (status, list) = server.get_json("/api/resources").await;
    assert_eq!(status, 200, "{on}: {list}");
    assert_eq!(
        (codes(&list), list["total"].clone()),
        (vec![code.clone()], 1.into()),
        "{on}"
    );
    let item = &list["items"][0];
    assert_eq!(item["has_cover"], true, "{on}");
    assert_eq!(
        item["display_title"],
        catalog::title_ja(N),
        "{on}: no translation yet, so the source title"
    );
    assert_eq!(
        item["thumbnail_url"],
        format!("/api/resource/{code}/cover?size=small"),
        "{on}"
    );

    check_delete(&server, &code, on).await;
    server.stop().await;
}

fn check_fields(resource: &Value, report: &Value, on: &str) {
    let meta_version = report["lookups"][1]["version"].as_str().unwrap_or_default();
    assert_eq!(resource["code"], catalog::code(N), "{on}");
    assert_eq!(resource["title_source"], catalog::title_ja(N), "{on}");
    assert_eq!(resource["release_date"], catalog::release_date(N), "{on}");
    assert_eq!(
        resource["duration_seconds"],
        catalog::duration_minutes(N) * 60,
        "{on}"
    );
    assert_eq!(resource["studio"], catalog::studio(N), "{on}");
    assert_eq!(resource["label"], catalog::label(N), "{on}");
    assert_eq!(
        resource["series"],
        serde_json::json!(catalog::series(N)),
        "{on}"
    );
    assert_eq!(resource["description"], catalog::description(N), "{on}");
    assert_eq!(resource["source_plugin"], "fixture-alpha", "{on}");
    assert_eq!(resource["translation_status"], "pending", "{on}");
    assert_eq!(resource["video_file"], Value::Null, "{on}");
    assert_eq!(
        resource["field_sources"]["title"],
        format!("fixture-meta@{meta_version}"),
        "{on}: the higher-weight scraper wrote the title"
    );
    let page_url = resource["page_url"].as_str().unwrap_or_default();
    assert!(
        page_url.ends_with(&format!("/alpha/v/{}", catalog::code(N))),
        "{on}: {page_url}"
    );
    let stream_url = resource["stream_url"].as_str().unwrap_or_default();
    assert!(
        stream_url.contains(&format!("/stream/{}/", catalog::code(N))),
        "{on}: {stream_url}"
    );
}

fn check_people_and_tags(resource: &Value, on: &str) {
    let tags: Vec<&str> = resource["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|tag| tag["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(tags, catalog::tags(N), "{on}: tags in the site's order");
    let people: Vec<(String, Option<String>)> = resource["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["alias"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let expected: Vec<(String, Option<String>)> = catalog::people(N)
        .iter()
        .map(|person| expected_name_and_alias(person.name))
        .collect();
    assert_eq!(
        people, expected,
        "{on}: people in the site's order, names split"
    );
    let nested = catalog::person(10).expect("person 10");
    assert!(nested.name.matches('（').count() == 2 && catalog::people(N).contains(&nested));
    assert!(
        people.contains(&("葉月野 みお".to_owned(), Some("ミオ / みおりん".to_owned()))),
        "{on}: nested brackets give the name and both aliases: {people:?}"
    );
}

async fn check_thumbnails(server: &TestServer, code: &str, on: &str) {
    // The cover is 400 pixels wide; a thumbnail is never wider than its cover.
    for (size, width) in [("small", 160), ("medium", 320), ("large", 400)] {
        let file = cover_file(server, code, Some(size));
        assert!(
            !file.exists(),
            "{on}: {size} is made on request, not before"
        );
        let path = format!("/api/resource/{code}/cover?size={size}");
        let (status, headers, bytes) = get_bytes(server, &path, &[]).await;
        assert_eq!(
            (status, header(&headers, "content-type").as_str()),
            (200, "image/jpeg"),
            "{on} {size}"
        );
        assert_eq!(
            jpeg_size(&bytes),
            Some((width, width * 270 / 400)),
            "{on} {size}"
        );
        assert_eq!(
            std::fs::read(&file).ok(),
            Some(bytes.clone()),
            "{on}: {size} kept on disk"
        );
        let (again, _, same) = get_bytes(server, &path, &[]).await;
        assert_eq!(
            (again, same),
            (200, bytes),
            "{on}: {size} served from disk the second time"
        );
    }
}

async fn check_avatars(server: &TestServer, resource: &Value, report: &Value, on: &str) {
    let cast = catalog::people(N);
    let with_avatar = cast
        .iter()
        .filter(|p| catalog::person_has_avatar(p.id))
        .count();
    assert!(
        with_avatar > 0 && with_avatar < cast.len(),
        "DEMO-007 has people with and without"
    );
    assert_eq!(report["avatars_fetched"], with_avatar, "{on}: {report}");
    for person in resource["people"].as_array().expect("people") {
        let name = person["name"].as_str().unwrap_or_default();
        let id = person["id"].as_i64().expect("person id");
        let catalog_person = cast
            .iter()
            .find(|p| expected_name_and_alias(p.name).0 == name)
            .unwrap_or_else(|| panic!("{on}: {name} is not in the cast"));
        let path = format!("/api/actors/{id}/avatar");
        let (status, headers, bytes) = get_bytes(server, &path, &[]).await;
        if catalog::person_has_avatar(catalog_person.id) {
            assert_eq!(
                (status, header(&headers, "content-type").as_str()),
                (200, "image/jpeg"),
                "{on}: {name}"
            );
            assert_eq!(bytes, avatar_jpeg(catalog_person.id), "{on}: {name}");
            let file = server.data.path().join(format!("resource/avatar/{id}.jpg"));
            assert_eq!(
                std::fs::read(file).ok(),
                Some(bytes),
                "{on}: {name}'s avatar on disk"
            );
        } else {
            let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
            check_error(&format!("{on}: {name}"), status, &body, 404, "no_avatar");
        }
    }
}

async fn check_delete(server: &TestServer, code: &str, on: &str) {
    let path = format!("/api/resource/{code}");
    let response = server
        .client
        .delete(server.url(&path))
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), 204, "{on}");
    let (status, body) = server.get_json(&format!("{path}/metadata")).await;
    check_error(on, status, &body, 404, "resource_not_found");
    for size in [None, Some("small"), Some("medium"), Some("large")] {
        assert!(
            !cover_file(server, code, size).exists(),
            "{on}: {size:?} left on disk"
        );
    }
    let (_, list) = server.get_json("/api/resources").await;
    assert_eq!(list["total"], 0, "{on}: {list}");
    let again = server
        .client
        .delete(server.url(&path))
        .send()
        .await
        .expect("delete");
    let status = again.status().as_u16();
    let body: Value = again.json().await.unwrap_or_default();
    check_error(
        &format!("{on}: second delete"),
        status,
        &body,
        404,
        "resource_not_found",
    );
}
