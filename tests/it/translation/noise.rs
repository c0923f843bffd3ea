//! Every noise pattern the fixture's LLM wraps around a translation comes out as the
//! catalog's clean English title, through the default cleaner; the title records the
//! profile, model and cleaner; `/api/chat` works as `/api/generate` does. The template's
//! Japanese-to-Chinese profile, as shipped, gets clean Chinese titles out of the same
//! patterns written the way a Chinese-answering model writes them.

use fixture_site::{NoisePattern, catalog, llm_noise_pattern};
use kura::store::TranslationStatus;
use serde_json::{Value, json};

use super::{PLUGINS, catalog_numbers, completed_translation, info, start, unwatched};
use crate::library::add;
use crate::support::{self, TestServer};

/// The first catalog number whose answer carries `pattern`.
fn number_with(pattern: NoisePattern) -> u32 {
    catalog_numbers()
        .find(|&n| llm_noise_pattern(n) == pattern)
        .unwrap_or_else(|| panic!("no catalog title gets {pattern:?}"))
}

#[tokio::test]
async fn every_noise_pattern_comes_out_clean() {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, "generate", "fixture", 30_000).await;
    let numbers: Vec<u32> = NoisePattern::ALL.into_iter().map(number_with).collect();
    for &n in &numbers {
        add(&server, &catalog::code(n)).await;
    }
    for (&n, pattern) in numbers.iter().zip(NoisePattern::ALL) {
        let code = catalog::code(n);
        let task = completed_translation(&server, &code).await;
        let result = task.result.clone().unwrap_or_default();
        assert_eq!(result["outcome"], "translated", "{code}: {result}");
        assert_eq!(result["cached"], false, "{code}: {result}");
        assert_eq!(task.attempts, 1, "{code}");
        let stored = info(&server, &code).await;
        assert_eq!(
            stored.title_translated.as_deref(),
            Some(catalog::title_en(n).as_str()),
            "{code} ({pattern:?}): the raw answer was {:?}",
            fixture_site::llm_answer(n)
        );
        assert_eq!(stored.status, TranslationStatus::Completed, "{code}");
        assert_eq!(stored.error, None, "{code}");
        assert_eq!(stored.profile.as_deref(), Some("fixture"), "{code}");
        assert_eq!(stored.model.as_deref(), Some("fixture"), "{code}");
        assert_eq!(stored.cleaner.as_deref(), Some("default-cleaner"), "{code}");
        assert_eq!(stored.cleaner_version.as_deref(), Some("1.0.0"), "{code}");
        // The API shows the translated title (display_title: translated).
        let (status, preview) = server
            .get_json(&format!("/api/resource/{code}/preview"))
            .await;
        assert_eq!(status, 200, "{preview}");
        assert_eq!(preview["title"], catalog::title_en(n), "{code}: {preview}");
        assert_eq!(preview["translation_status"], "completed", "{code}");
        let (_, metadata) = server
            .get_json(&format!("/api/resource/{code}/metadata"))
            .await;
        assert_eq!(
            metadata["translation"]["cleaner"], "default-cleaner",
            "{metadata}"
        );
        assert_eq!(
            metadata["title_translated"],
            catalog::title_en(n),
            "{metadata}"
        );
    }
    assert_eq!(fixture.hits("/api/generate"), numbers.len() as u64);
    assert_eq!(fixture.hits("/api/chat"), 0);
    // Everything is translated: nothing to queue, unless forced (then from the cache).
    let (status, quick) = server
        .post_json("/api/quick/translate", serde_json::json!({}))
        .await;
    assert_eq!(
        (status, quick["queued"].as_u64()),
        (202, Some(0)),
        "{quick}"
    );
    let (status, quick) = server
        .post_json("/api/quick/translate", serde_json::json!({ "force": true }))
        .await;
    assert_eq!(status, 202, "{quick}");
    assert!(
        quick["queued"].as_u64().unwrap_or(0) >= numbers.len() as u64,
        "{quick}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_chat_api_translates_too() {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, "chat", "fixture", 30_000).await;
    let n = number_with(NoisePattern::TitleWithExplanation);
    let code = catalog::code(n);
    add(&server, &code).await;
    completed_translation(&server, &code).await;
    assert_eq!(
        info(&server, &code).await.title_translated.as_deref(),
        Some(catalog::title_en(n).as_str())
    );
    assert_eq!(fixture.hits("/api/chat"), 1);
    assert_eq!(fixture.hits("/api/generate"), 0);
    server.stop().await;
}

/// The template config's `ollama-zh` profile as a user picks it (`active: ollama-zh`), its
/// URL and model pointed at the fixture's LLM.
async fn start_chinese(fixture: &fixture_site::FixtureSite) -> TestServer {
    let path = support::root().join("config/template-config.yaml");
    let text = std::fs::read_to_string(&path).expect("read the template config");
    let template: Value = serde_saphyr::from_str(&text).expect("the template is YAML");
    let mut profile = template["translator"]["profiles"]["ollama-zh"].clone();
    assert_eq!(profile["target_language"], "zh", "{profile}");
    profile["url"] = json!(fixture.base_url());
    profile["model"] = json!("fixture");
    let config = support::config(&fixture.base_url()).merge(json!({
        "translator": { "active": "ollama-zh", "profiles": { "ollama-zh": profile } },
    }));
    TestServer::start(&unwatched(config), &PLUGINS).await
}

#[tokio::test]
async fn the_chinese_profile_gets_clean_chinese_titles_from_every_noise_pattern() {
    let fixture = crate::support::fixture().await;
    let server = start_chinese(&fixture).await;
    let numbers: Vec<u32> = NoisePattern::ALL.into_iter().map(number_with).collect();
    for &n in &numbers {
        add(&server, &catalog::code(n)).await;
    }
    for (&n, pattern) in numbers.iter().zip(NoisePattern::ALL) {
        let code = catalog::code(n);
        let raw = fixture_site::llm_answer_zh(n);
        assert_ne!(raw, catalog::title_zh(n), "{pattern:?} adds noise");
        let task = completed_translation(&server, &code).await;
        let result = task.result.clone().unwrap_or_default();
        assert_eq!(result["outcome"], "translated", "{code}: {result}");
        let stored = info(&server, &code).await;
        assert_eq!(
            stored.title_translated.as_deref(),
            Some(catalog::title_zh(n).as_str()),
            "{code} ({pattern:?}): the raw answer was {raw:?}"
        );
        assert_eq!(stored.profile.as_deref(), Some("ollama-zh"), "{code}");
        assert_eq!(stored.cleaner.as_deref(), Some("default-cleaner"), "{code}");
    }
    assert_eq!(fixture.hits("/api/generate"), numbers.len() as u64);
    server.stop().await;
}
