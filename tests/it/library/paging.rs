//! `GET /api/resources` by cursor and by page number, and its conditional requests: an
//! ETag answered 304 while the library is unchanged (without the database), and a
//! write (this server's own, or another process's) ending it; on every backend.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_NONE_MATCH};
use serde_json::Value;

use super::{LIBRARY_PLUGINS, check_error, codes};
use crate::maintenance::kura_async;
use crate::support::TestServer;
use crate::support::database::{TestDatabase, execute, test_databases};

const SEEDED: usize = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_page_like_numbers_and_etags_follow_every_write() {
    for database in test_databases().await {
        check(&database).await;
        database.drop_database().await;
    }
}

/// The status, ETag and JSON body of a GET, with `If-None-Match` when given.
async fn get(server: &TestServer, path: &str, etag: Option<&str>) -> (StatusCode, String, Value) {
    let mut request = server.client.get(server.url(path));
    if let Some(etag) = etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    let response = request.send().await.expect("GET");
    let status = response.status();
    let etag = response
        .headers()
        .get(ETAG)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.bytes().await.expect("body");
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).expect("JSON")
    };
    (status, etag, json)
}

async fn check(database: &TestDatabase) {
    let on = database.name;
    let fixture = crate::support::fixture().await;
    let config = crate::support::config(&fixture.base_url()).merge(database.config.clone());
    let server = TestServer::start(&config, &LIBRARY_PLUGINS).await;
    // For `kura seed`, the other process.
    config.write(&server.data.path().join("config.yaml"));
    let list = "/api/resources?sort=release_date&order=desc&page_size=40";

    let (status, empty_etag, body) = get(&server, list, None).await;
    assert_eq!(
        (status, &body["total"]),
        (StatusCode::OK, &Value::from(0)),
        "{on}: {body}"
    );
    assert!(!empty_etag.is_empty(), "{on}: an ETag");
    let (status, _, body) = get(&server, list, Some(&empty_etag)).await;
    assert_eq!(
        (status, body),
        (StatusCode::NOT_MODIFIED, Value::Null),
        "{on}"
    );

    // Another process writes: the server hears it (within its poll or notification).
    let seeded = kura_async(
        server.data.path(),
        &["seed", "--count", &SEEDED.to_string()],
    )
    .await;
    assert!(seeded.status.success(), "{on}: seed: {seeded:?}");
    let mut heard = None;
    for _ in 0..300 {
        let (status, _, body) = get(&server, list, Some(&empty_etag)).await;
        if status == StatusCode::OK {
            heard = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = heard.unwrap_or_else(|| panic!("{on}: the seed was never heard"));
    assert_eq!(first["total"], SEEDED, "{on}: {first}");
    assert_eq!(first["total_exact"], true, "{on}");
    assert_eq!(first["page"], 1, "{on}");

    // By cursor and by number: the same rows in the same order, each once.
    let mut by_cursor = codes(&first);
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    let mut cursor_etags = Vec::new();
    while let Some(next) = cursor {
        let path = format!("{list}&cursor={next}");
        let (status, etag, page) = get(&server, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{on}: {page}");
        assert!(
            page.get("page").is_none(),
            "{on}: a cursor page has no number: {page}"
        );
        assert_eq!(page["total"], SEEDED, "{on}");
        by_cursor.extend(codes(&page));
        cursor_etags.push((path, etag));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    let mut by_number = Vec::new();
    for page in 1..=SEEDED.div_ceil(40) {
        let (_, _, body) = get(&server, &format!("{list}&page={page}"), None).await;
        by_number.extend(codes(&body));
    }
    assert_eq!(by_cursor, by_number, "{on}");
    assert_eq!(by_cursor.len(), SEEDED, "{on}");
    assert_eq!(
        by_cursor.iter().collect::<BTreeSet<_>>().len(),
        SEEDED,
        "{on}: once each"
    );
    let (path, etag) = &cursor_etags[0];
    assert_eq!(
        get(&server, path, Some(etag)).await.0,
        StatusCode::NOT_MODIFIED,
        "{on}"
    );

    // Bad cursors.
    let cursor = first["next_cursor"].as_str().expect("a next page");
    for (path, code) in [
        (format!("{list}&cursor=not-a-cursor"), "bad_cursor"),
        (
            format!("/api/resources?sort=code&cursor={cursor}"),
            "bad_cursor",
        ),
        (format!("{list}&cursor={cursor}&page=2"), "bad_request"),
    ] {
        let (status, body) = server.get_json(&path).await;
        check_error(&format!("{on} {path}"), status, &body, 400, code);
    }

    // A 304 needs no database: with the resources table renamed away (DDL, which no
    // trigger reports), a page not yet cached fails while the conditional request is
    // still answered.
    let (_, etag, _) = get(&server, list, None).await;
    let pool = database.connect(server.data.path(), true).await;
    let (away, back) = (
        "ALTER TABLE resources RENAME TO resources_away",
        "ALTER TABLE resources_away RENAME TO resources",
    );
    execute(&pool, away.to_owned()).await;
    // A filter not asked for before: its SQL is prepared anew and finds no table.
    let uncached = get(&server, "/api/resources?source=elsewhere&page_size=3", None).await;
    let conditional = get(&server, list, Some(&etag)).await;
    execute(&pool, back.to_owned()).await;
    pool.close().await;
    assert_eq!(
        uncached.0,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{on}: {:?}",
        uncached.2
    );
    assert_eq!(conditional.0, StatusCode::NOT_MODIFIED, "{on}");

    // The server's own write ends the 304 at once, with no wait.
    let response = server
        .client
        .delete(server.url(&format!("/api/resource/{}", by_cursor[0])))
        .send()
        .await
        .expect("delete");
    let status = response.status();
    assert_eq!(
        status,
        204,
        "{on}: {}",
        response.text().await.unwrap_or_default()
    );
    let (status, _, body) = get(&server, list, Some(&etag)).await;
    assert_eq!(status, StatusCode::OK, "{on}");
    assert_eq!(body["total"], SEEDED - 1, "{on}: {body}");
    assert_ne!(codes(&body)[0], by_cursor[0], "{on}");
}
