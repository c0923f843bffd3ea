//! The OpenAI-compatible translator API (`api: openai`, `POST /v1/chat/completions`)
//! against the fixture site's stand-in, which requires an API key generated here: the
//! key read from the file the profile names reaches the server as a bearer token and the
//! title is translated and cleaned as with Ollama; a wrong key fails the title with the
//! server's message, and the key appears in no error, no task and no config answer.

use serde_json::json;

use super::{PLUGINS, completed_translation, info, translate_task, translator, unwatched};
use crate::library::add;
use crate::support::{self, TestServer};
use fixture_site::catalog;
use kura::store::TranslationStatus;

/// A random key for this test run (std's randomly seeded hasher as the source).
fn generated_key() -> String {
    use std::hash::{BuildHasher, Hasher};
    let random = || {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    };
    format!("sk-test-{:016x}{:016x}", random(), random())
}

#[tokio::test]
async fn an_openai_compatible_server_translates_with_the_key_from_a_file() {
    let key = generated_key();
    let fixture = fixture_site::FixtureSite::start(fixture_site::FixtureConfig {
        llm_api_key: Some(key.clone()),
        ..fixture_site::FixtureConfig::default()
    })
    .await
    .expect("fixture site");
    let keys = tempfile::tempdir().expect("key dir");
    for (file, written) in [
        ("right", format!("{key}\n")),
        ("wrong", "sk-wrong\n".to_owned()),
    ] {
        std::fs::write(keys.path().join(file), written).expect("key file");
    }
    let numbers: Vec<u32> = super::catalog_numbers().take(2).collect();
    for (file, works) in [("right", true), ("wrong", false)] {
        let mut settings = translator(&fixture.base_url(), "openai", "fixture", 10_000, 1);
        settings["translator"]["profiles"]["fixture"]["api_key_file"] =
            json!(keys.path().join(file).to_string_lossy());
        let config = support::config(&fixture.base_url()).merge(settings);
        let server = TestServer::start(&unwatched(config), &PLUGINS).await;
        let n = if works { numbers[0] } else { numbers[1] };
        let code = catalog::code(n);
        add(&server, &code).await;
        if works {
            completed_translation(&server, &code).await;
            let stored = info(&server, &code).await;
            assert_eq!(stored.title_translated, Some(catalog::title_en(n)));
            assert_eq!(stored.status, TranslationStatus::Completed);
        } else {
            let task = translate_task(&server, &code).await;
            let error = task.error.clone().unwrap_or_default();
            assert!(error.contains("HTTP 401"), "{error}");
            assert!(error.contains("Incorrect API key"), "{error}");
            let stored = info(&server, &code).await;
            assert_eq!(stored.status, TranslationStatus::Failed, "{stored:?}");
        }
        // The key is in no answer: tasks, the config, the resource.
        for path in [
            "/api/tasks?kind=translate".to_owned(),
            "/api/config".to_owned(),
            format!("/api/resource/{code}/metadata"),
        ] {
            let (_, body) = server.get_json(&path).await;
            let text = body.to_string();
            assert!(
                !text.contains(&key) && !text.contains("sk-wrong"),
                "{path}: {text}"
            );
        }
        server.stop().await;
    }
}
