//! A swapped cleaner takes effect on the next translation, without a restart (N-C4); a
//! re-clean through refresh (N-C6, `reclean`) reuses the cached raw answer, so only the
//! cleaner's work changes and the LLM is not asked again; a rollback brings the old
//! cleaner's titles back; a re-translation (`retranslate`) asks the LLM afresh.

use fixture_site::{catalog, llm_answer};
use serde_json::{Value, json};

use super::{catalog_numbers, completed_translation, info, start_on};
use crate::library::{WAIT, add};
use crate::support::database::{TestDatabase, test_databases};
use crate::support::{TestServer, plugin_wasm};

/// `POST /api/resource/refresh/{code}?wait` with only `switch` (`reclean` or
/// `retranslate`) on.
async fn refresh_title(server: &TestServer, code: &str, switch: &str) {
    let mut body = json!({ "refresh_m3u8": false, "refresh_metadata": false });
    body[switch] = json!(true);
    let (status, answer) = server
        .post_json(&format!("/api/resource/refresh/{code}?{WAIT}"), body)
        .await;
    assert_eq!(status, 201, "refresh {code}: {answer}");
}

async fn upload(server: &TestServer, bytes: Vec<u8>) -> (u16, Value) {
    let response = server
        .client
        .post(server.url("/api/plugins"))
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The title and the cleaner (`name@version`) recorded for `code`.
async fn title_and_cleaner(server: &TestServer, code: &str) -> (String, String) {
    let stored = info(server, code).await;
    (
        stored.title_translated.unwrap_or_default(),
        format!(
            "{}@{}",
            stored.cleaner.unwrap_or_default(),
            stored.cleaner_version.unwrap_or_default()
        ),
    )
}

#[tokio::test]
async fn a_swapped_cleaner_changes_the_next_translation() {
    for database in test_databases().await {
        swap_on(&database).await;
        database.drop_database().await;
    }
}

async fn swap_on(database: &TestDatabase) {
    let fixture = crate::support::fixture().await;
    let server = start_on(&fixture, "generate", "fixture", 30_000, &database.config).await;
    let on = database.name;
    let mut numbers = catalog_numbers();
    let (first, second) = (
        numbers.next().expect("a title"),
        numbers.next().expect("another title"),
    );
    let (code_a, code_b) = (catalog::code(first), catalog::code(second));
    add(&server, &code_a).await;
    completed_translation(&server, &code_a).await;
    assert_eq!(
        title_and_cleaner(&server, &code_a).await,
        (catalog::title_en(first), "default-cleaner@1.0.0".to_owned()),
        "{on}"
    );
    assert_eq!(fixture.hits("/api/generate"), 1, "{on}");

    // Version 2.0.0 of the cleaner: golden cases as before, everything else upper-cased.
    let (status, answer) = upload(
        &server,
        std::fs::read(plugin_wasm("test-cleaner-upper")).expect("built"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["outcome"], "swapped", "{answer}");
    assert_eq!(answer["previous_version"], "1.0.0", "{answer}");

    // Re-cleaning A: the cached raw answer, cleaned by the new version.
    refresh_title(&server, &code_a, "reclean").await;
    let task = completed_translation(&server, &code_a).await;
    let result = task.result.unwrap_or_default();
    assert_eq!(result["cached"], true, "{on}: {result}");
    assert_eq!(result["cleaner_version"], "2.0.0", "{result}");
    assert_eq!(
        title_and_cleaner(&server, &code_a).await,
        (
            llm_answer(first).trim().to_uppercase(),
            "default-cleaner@2.0.0".to_owned()
        ),
        "{on}"
    );
    assert_eq!(fixture.hits("/api/generate"), 1, "{on}: the cache answered");

    // A new resource is cleaned by the new version too.
    add(&server, &code_b).await;
    completed_translation(&server, &code_b).await;
    assert_eq!(
        title_and_cleaner(&server, &code_b).await,
        (
            llm_answer(second).trim().to_uppercase(),
            "default-cleaner@2.0.0".to_owned()
        ),
        "{on}"
    );
    assert_eq!(fixture.hits("/api/generate"), 2, "{on}");

    // Rolled back: the next translation is clean again, still from the cache.
    let (status, answer) = server
        .post_json("/api/plugins/default-cleaner/rollback", json!({}))
        .await;
    assert_eq!(status, 200, "{answer}");
    refresh_title(&server, &code_b, "reclean").await;
    completed_translation(&server, &code_b).await;
    assert_eq!(
        title_and_cleaner(&server, &code_b).await,
        (
            catalog::title_en(second),
            "default-cleaner@1.0.0".to_owned()
        ),
        "{on}"
    );
    assert_eq!(fixture.hits("/api/generate"), 2, "{on}: the cache answered");

    // Re-translating B asks the LLM again: a fresh answer, not the cached one.
    refresh_title(&server, &code_b, "retranslate").await;
    let task = completed_translation(&server, &code_b).await;
    let result = task.result.unwrap_or_default();
    assert_eq!(result["cached"], false, "{on}: {result}");
    assert_eq!(fixture.hits("/api/generate"), 3, "{on}: the LLM was asked");
    server.stop().await;
}
