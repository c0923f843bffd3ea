//! Changing the library: refresh and its three switches, batches with per-item results,
//! and source cookies that are stored and come back after a restart (N-A4, N-H8, N-H10).

use fixture_site::catalog;
use serde_json::{Value, json};

use super::{LIBRARY_PLUGINS, WAIT, add, check_error, start};
use crate::support::database::{TestDatabase, execute, strings};
use crate::support::{self, TestServer};

/// One column of one resource, read from the SQLite file.
async fn column(server: &TestServer, column: &str, code: &str) -> String {
    let pool = TestDatabase::sqlite()
        .connect(server.data.path(), false)
        .await;
    let value = strings(
        &pool,
        format!("SELECT COALESCE({column}, 'NULL') FROM resources WHERE code = '{code}'"),
    )
    .await;
    pool.close().await;
    value
        .into_iter()
        .next()
        .unwrap_or_else(|| "no row".to_owned())
}

async fn write(server: &TestServer, sql: String) {
    let pool = TestDatabase::sqlite()
        .connect(server.data.path(), true)
        .await;
    execute(&pool, sql).await;
    pool.close().await;
}

/// `POST /api/resource/refresh/{code}?wait` with `options`; returns the task's report.
async fn refresh(server: &TestServer, code: &str, options: Value) -> Value {
    let (status, answer) = server
        .post_json(
            &format!("/api/resource/refresh/{code}?{WAIT}"),
            options.clone(),
        )
        .await;
    assert_eq!(status, 201, "refresh {options}: {answer}");
    answer["result"].clone()
}

#[tokio::test]
async fn refresh_switches_choose_what_is_fetched_again() {
    let fixture = support::fixture().await;
    let server = start(&fixture, json!({})).await;
    let code = catalog::code(1);
    let added = add(&server, &code).await;
    let fresh_stream = added["resource"]["stream_url"]
        .as_str()
        .expect("stream url")
        .to_owned();
    let kept = "http://kept.invalid/DEMO-001/master.m3u8";
    write(&server, format!("UPDATE resources SET stream_url = '{kept}', title_source = 'stale' WHERE code = '{code}'")).await;

    // Metadata only: the stored stream URL stays, no source is asked, the title is fetched.
    let report = refresh(&server, &code, json!({"refresh_m3u8": false})).await;
    assert_eq!(report["resource"]["stream_url"], kept);
    assert_eq!(report["resource"]["title_source"], catalog::title_ja(1));
    assert!(
        super::lookups(&report)
            .iter()
            .all(|(plugin, _)| plugin != "fixture-alpha"),
        "{report}"
    );
    assert_eq!(column(&server, "stream_url", &code).await, kept);

    // Stream only: the stream URL comes back from the source, the metadata is left alone.
    write(
        &server,
        format!("UPDATE resources SET title_source = 'stale' WHERE code = '{code}'"),
    )
    .await;
    let report = refresh(&server, &code, json!({"refresh_metadata": false})).await;
    assert_eq!(report["resource"]["stream_url"], fresh_stream.as_str());
    assert_eq!(report["resource"]["title_source"], "stale");
    assert_eq!(column(&server, "title_source", &code).await, "stale");

    // Defaults (no body at all): both.
    let response = server
        .client
        .post(server.url(&format!("/api/resource/refresh/{code}?{WAIT}")))
        .send()
        .await
        .expect("refresh");
    assert_eq!(response.status(), 201);
    assert_eq!(
        column(&server, "title_source", &code).await,
        catalog::title_ja(1)
    );

    // Retranslate only when asked: a completed translation stays until then.
    write(&server, format!("UPDATE resources SET translation_status = 'completed', title_translated = 'Done' WHERE code = '{code}'")).await;
    let report = refresh(
        &server,
        &code,
        json!({"refresh_m3u8": false, "refresh_metadata": false}),
    )
    .await;
    assert_eq!(report["resource"]["translation_status"], "completed");
    let (_, preview) = server
        .get_json(&format!("/api/resource/{code}/preview"))
        .await;
    assert_eq!(
        preview["title"], "Done",
        "display_title defaults to the translation"
    );
    let report = refresh(
        &server,
        &code,
        json!({"refresh_m3u8": false, "refresh_metadata": false, "retranslate": true}),
    )
    .await;
    assert_eq!(report["resource"]["translation_status"], "pending");
    assert_eq!(
        column(&server, "translation_status", &code).await,
        "pending"
    );

    let absent = catalog::code(2);
    for (path, body, expected, error) in [
        (
            format!("/api/resource/refresh/{absent}?{WAIT}"),
            json!({}),
            404,
            "resource_not_found",
        ),
        (
            "/api/resource/refresh/..%2Fx".to_owned(),
            json!({}),
            400,
            "bad_code",
        ),
        (
            format!("/api/resource/refresh/{code}"),
            json!({"refresh_everything": true}),
            400,
            "bad_task_data",
        ),
        (
            format!("/api/resource/refresh/{code}"),
            json!({"retranslate": "yes"}),
            400,
            "bad_task_data",
        ),
    ] {
        let (status, answer) = server.post_json(&path, body).await;
        check_error(&path, status, &answer, expected, error);
    }
    server.stop().await;
}

/// `POST /api/resources/batch?wait {items}`; returns the status and the answer.
async fn batch(server: &TestServer, items: Value) -> (u16, Value) {
    server
        .post_json(
            &format!("/api/resources/batch?{WAIT}"),
            json!({ "items": items }),
        )
        .await
}

/// A failed item's error text, whether given as a string or as `{code, message}`.
fn error_text(result: &Value) -> String {
    let error = &result["error"];
    error
        .as_str()
        .or_else(|| error["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn batch_reports_every_item_and_keeps_going() {
    let fixture = support::fixture().await;
    let server = start(&fixture, json!({})).await;
    add(&server, &catalog::code(4)).await;
    let items = json!([
        {"action": "add", "code": "demo-001"},
        {"action": "add", "code": "DEMO-002"},
        {"action": "add", "code": "DEMO-030"},
        {"action": "refresh", "code": "DEMO-001", "refresh_m3u8": false},
        {"action": "delete", "code": "DEMO-004"},
        {"action": "delete", "code": "DEMO-005"},
        {"action": "add", "code": "../../etc/passwd"},
    ]);
    let (status, answer) = batch(&server, items).await;
    assert_eq!(status, 201, "{answer}");
    let outcome = &answer["result"];
    let results = outcome["results"].as_array().expect("results");
    let ok: Vec<bool> = results.iter().map(|r| r["ok"] == true).collect();
    assert_eq!(
        ok,
        [true, true, false, true, true, false, false],
        "{answer}"
    );
    assert_eq!(outcome["failed"], 3, "{answer}");
    assert_eq!(
        results[0]["input"], "demo-001",
        "the input is echoed as sent"
    );
    assert_eq!(results[3]["action"], "refresh");
    // Each failure says which item it is about.
    for (index, needle) in [(2, "DEMO-030"), (5, "DEMO-005"), (6, "etc/passwd")] {
        let text = error_text(&results[index]);
        assert!(text.contains(needle), "item {index}: {text:?}");
    }
    let (_, list) = server.get_json("/api/resources").await;
    assert_eq!(super::codes(&list), ["DEMO-001", "DEMO-002"], "{list}");
    assert!(!super::cover_file(&server, "DEMO-004", None).exists());

    // Requests that are not a batch at all are refused whole, before anything runs.
    let too_many: Vec<Value> = (0..501)
        .map(|_| json!({"action": "delete", "code": "DEMO-001"}))
        .collect();
    for (what, items) in [
        ("501 items", json!(too_many)),
        ("no items", json!([])),
        (
            "items not a list",
            json!({"action": "add", "code": "DEMO-003"}),
        ),
    ] {
        let (status, error) = batch(&server, items).await;
        check_error(what, status, &error, 400, "bad_task_data");
    }
    let (_, list) = server.get_json("/api/resources").await;
    assert_eq!(list["total"], 2, "refused batches changed nothing");
    server.stop().await;
}

#[tokio::test]
async fn batch_item_with_an_unknown_action_fails_alone() {
    let fixture = support::fixture().await;
    let server = start(&fixture, json!({})).await;
    let items = json!([
        {"action": "add", "code": "DEMO-001"},
        {"action": "archive", "code": "DEMO-001"},
        {"action": "add", "code": "DEMO-002"},
        {"action": "add", "code": 7},
        {"action": "refresh", "code": "DEMO-001", "refresh_m3u8": "yes"},
        {"action": "delete", "code": "DEMO-001", "colour": "red"},
    ]);
    let (status, answer) = batch(&server, items).await;
    // N-H10: per-item results, never all-or-nothing; an unknown action, a code that is
    // not a string, a switch that is not a boolean and an unknown field are each one
    // item's mistake, like a bad code.
    assert_eq!(status, 201, "{answer}");
    let results = answer["result"]["results"].as_array().expect("results");
    let ok: Vec<bool> = results.iter().map(|r| r["ok"] == true).collect();
    assert_eq!(ok, [true, false, true, false, false, false], "{answer}");
    assert!(error_text(&results[1]).contains("archive"), "{answer}");
    assert!(error_text(&results[3]).contains("code"), "{answer}");
    assert!(error_text(&results[4]).contains("refresh_m3u8"), "{answer}");
    assert!(error_text(&results[5]).contains("colour"), "{answer}");
    assert_eq!(results[3]["input"], 7, "the input is echoed as sent");
    assert_eq!(answer["result"]["failed"], 4);
    let (_, list) = server.get_json("/api/resources").await;
    assert_eq!(super::codes(&list), ["DEMO-001", "DEMO-002"], "{list}");
    server.stop().await;
}

#[tokio::test]
async fn source_cookie_is_stored_and_survives_a_restart() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url());
    let plugins = [LIBRARY_PLUGINS.as_slice(), &["test-probe"]].concat();
    let server = TestServer::start(&config, &plugins).await;
    let echo = format!("{}/echo", fixture.base_url());
    assert_eq!(
        crate::support::cookie_seen_by_probe(&server.base, &echo).await,
        "",
        "no cookie before one is set"
    );

    let (status, answer) = server
        .post_json(
            "/api/source/cookie",
            json!({"source": "test-probe", "name": "kura_session", "value": "s3cr3t", "url": echo}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        crate::support::cookie_seen_by_probe(&server.base, &echo).await,
        "kura_session=s3cr3t",
        "in the jar at once"
    );
    // Without a URL the cookie is for the source's configured domain.
    let (status, answer) = server
        .post_json(
            "/api/source/cookie",
            json!({"source": "fixture-beta", "name": "beta_session", "value": "b1"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["url"], format!("{}/beta", fixture.base_url()));

    for (body, expected, code) in [
        (
            json!({"source": "nope", "name": "a", "value": "b"}),
            404,
            "plugin_not_found",
        ),
        (
            json!({"source": "fixture-meta", "name": "a", "value": "b"}),
            404,
            "plugin_not_found",
        ),
        (
            json!({"source": "fixture-beta", "name": "a=b", "value": "c"}),
            400,
            "bad_request",
        ),
        (
            json!({"source": "fixture-beta", "name": "", "value": "c"}),
            400,
            "bad_request",
        ),
        (
            json!({"source": "fixture-beta", "name": "a", "value": "c\r\nSet-Cookie: x=1"}),
            400,
            "bad_request",
        ),
        (
            json!({"source": "fixture-beta", "name": "a", "value": "c", "url": "not a url"}),
            400,
            "bad_request",
        ),
        (
            json!({"source": "fixture-beta", "name": "a"}),
            422,
            "bad_body",
        ),
    ] {
        let (status, error) = server.post_json("/api/source/cookie", body.clone()).await;
        check_error(&body.to_string(), status, &error, expected, code);
    }

    let data = server.stop_keeping_data().await;
    let pool = TestDatabase::sqlite().connect(data.path(), false).await;
    let stored = strings(
        &pool,
        "SELECT source || ' ' || name || '=' || value FROM source_cookies ORDER BY source, name"
            .to_owned(),
    )
    .await;
    pool.close().await;
    assert_eq!(
        stored,
        [
            "fixture-beta beta_session=b1",
            "test-probe kura_session=s3cr3t"
        ],
        "only the accepted cookies were stored"
    );

    let server = TestServer::start_in(data, &config, &plugins).await;
    assert_eq!(
        crate::support::cookie_seen_by_probe(&server.base, &echo).await,
        "kura_session=s3cr3t",
        "restored from the database at start-up"
    );
    server.stop().await;
}
