//! Every noise pattern the fixture's LLM wraps around a translation comes out as the
//! catalog's clean English title, through the default cleaner; the title records the
//! profile, model and cleaner; `/api/chat` works as `/api/generate` does.

use fixture_site::{NoisePattern, catalog, llm_noise_pattern};
use kura::store::TranslationStatus;

use super::{catalog_numbers, completed_translation, info, start};
use crate::library::add;

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
