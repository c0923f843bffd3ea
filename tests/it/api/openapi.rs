//! `/api/openapi.json` as a client reads it: every route with its methods, each task
//! kind's payload schema, and a submit body that is one of them.

use serde_json::{Value, json};

use crate::support::{self, TestServer};

#[tokio::test]
async fn the_document_has_every_route_and_every_task_payload() {
    let fixture = support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &[]).await;
    let (status, document) = server.get_json("/api/openapi.json").await;
    assert_eq!(status, 200, "{document}");
    let paths = document["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/healthz", "get"),
        ("/api/plugins", "post"),
        ("/api/tasks", "post"),
        ("/api/tasks/{id}", "delete"),
        ("/api/resource/refresh/{code}", "post"),
        ("/api/downloads/{code}", "delete"),
        ("/ws/tasks", "get"),
        ("/api/openapi.json", "get"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} missing");
    }
    // Each kind's payload is a schema with its fields, and `POST /api/tasks` takes one
    // of `{type, priority?, data}` per kind.
    let schemas = &document["components"]["schemas"];
    for (schema, field) in [
        ("CodePayload", "code"),
        ("RefreshPayload", "retranslate"),
        ("BatchPayload", "items"),
        ("RetentionPayload", "days"),
        ("CheckVideosPayload", "limit"),
    ] {
        assert!(
            schemas[schema]["properties"][field].is_object(),
            "{schema}.{field}: {}",
            schemas[schema]
        );
    }
    assert!(
        schemas["RetentionPayload"]["properties"]["target"].is_null(),
        "no payload names a directory"
    );
    let body = &paths["/api/tasks"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    let kinds: Vec<&str> = body["oneOf"]
        .as_array()
        .expect("one of the kinds")
        .iter()
        .filter_map(|kind| kind["properties"]["type"]["enum"][0].as_str())
        .collect();
    for kind in [
        "add_resource",
        "download",
        "batch",
        "sync_backups",
        "db_upgrade",
    ] {
        assert!(kinds.contains(&kind), "{kind} not in {kinds:?}");
    }
    // The stable error codes are in the document too.
    let codes = schemas["ErrorCode"]["enum"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        codes.contains(&json!("bad_task_data")),
        "{}",
        schemas["ErrorCode"]
    );
    assert!(codes.iter().all(Value::is_string));
    server.stop().await;
}
