//! Translation bookkeeping on both backends: the status lifecycle with what made the
//! title, failures kept with their reason, the candidates by status, and the answer cache.

use super::*;

const CLEANER: TranslationRecord<'static> = TranslationRecord {
    title: "Summer Seaside",
    profile: "local",
    model: "qwen2.5:7b",
    cleaner: "default-cleaner",
    cleaner_version: "1.0.0",
};

#[tokio::test]
async fn lifecycle_records_the_title_and_what_made_it() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let on = store.backend();
        store
            .upsert_resource(&write("DEMO-001", "夏の海辺", &[], &[]))
            .await
            .expect("insert");
        let source = store
            .translation_source("DEMO-001")
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(source.status, TranslationStatus::Pending, "{on:?}");
        assert_eq!(source.text(), "夏の海辺");
        assert!(
            store
                .translation_source("NOPE-001")
                .await
                .expect("read")
                .is_none()
        );

        assert!(store.start_translation("DEMO-001").await.expect("start"));
        let info = store
            .translation_info("DEMO-001")
            .await
            .expect("info")
            .expect("row");
        assert_eq!(info.status, TranslationStatus::Translating, "{on:?}");

        assert!(
            store
                .finish_translation("DEMO-001", &CLEANER)
                .await
                .expect("finish")
        );
        let info = store
            .translation_info("DEMO-001")
            .await
            .expect("info")
            .expect("row");
        assert_eq!(info.status, TranslationStatus::Completed, "{on:?}");
        assert_eq!(info.title_translated.as_deref(), Some("Summer Seaside"));
        assert_eq!(info.profile.as_deref(), Some("local"));
        assert_eq!(info.model.as_deref(), Some("qwen2.5:7b"));
        assert_eq!(info.cleaner.as_deref(), Some("default-cleaner"));
        assert_eq!(info.cleaner_version.as_deref(), Some("1.0.0"));
        assert!(info.translated_at.is_some_and(|at| at > 0));
        assert_eq!(info.error, None);
        // The resource row agrees.
        let detail = store
            .get_resource("DEMO-001")
            .await
            .expect("get")
            .expect("row");
        assert_eq!(
            detail.resource.translation_status,
            TranslationStatus::Completed
        );
        assert_eq!(
            detail.resource.title_translated.as_deref(),
            Some("Summer Seaside")
        );

        // A later failed attempt keeps the title and records why.
        store.start_translation("DEMO-001").await.expect("start");
        assert!(
            store
                .fail_translation("DEMO-001", TranslationStatus::Pending, "HTTP 500: down")
                .await
                .expect("fail")
        );
        let info = store
            .translation_info("DEMO-001")
            .await
            .expect("info")
            .expect("row");
        assert_eq!(info.status, TranslationStatus::Pending, "{on:?}");
        assert_eq!(info.error.as_deref(), Some("HTTP 500: down"));
        assert_eq!(info.title_translated.as_deref(), Some("Summer Seaside"));
        store
            .fail_translation("DEMO-001", TranslationStatus::Failed, "HTTP 500: down")
            .await
            .expect("fail");
        assert_eq!(
            store
                .translation_info("DEMO-001")
                .await
                .expect("info")
                .expect("row")
                .status,
            TranslationStatus::Failed
        );
        assert!(matches!(
            store
                .fail_translation("DEMO-001", TranslationStatus::Completed, "x")
                .await,
            Err(StoreError::Conflict(_))
        ));
        // Starting again clears the error; skipping clears the title.
        store.start_translation("DEMO-001").await.expect("start");
        let info = store
            .translation_info("DEMO-001")
            .await
            .expect("info")
            .expect("row");
        assert_eq!(info.error, None);
        assert!(store.skip_translation("DEMO-001").await.expect("skip"));
        let info = store
            .translation_info("DEMO-001")
            .await
            .expect("info")
            .expect("row");
        assert_eq!(info.status, TranslationStatus::Skipped, "{on:?}");
        assert_eq!(info.title_translated, None);
        assert_eq!(info.cleaner, None);

        // A cancelled translation goes back to pending; other states stay.
        assert!(
            !store
                .release_translation("DEMO-001")
                .await
                .expect("release")
        );
        store.start_translation("DEMO-001").await.expect("start");
        assert!(
            store
                .release_translation("DEMO-001")
                .await
                .expect("release")
        );
        assert_eq!(
            store
                .translation_info("DEMO-001")
                .await
                .expect("info")
                .expect("row")
                .status,
            TranslationStatus::Pending
        );
        assert!(!store.start_translation("NOPE-001").await.expect("no row"));
    }
    fixture.finish().await;
}

#[tokio::test]
async fn candidates_by_status_and_counts() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let on = store.backend();
        for (code, title) in [
            ("A-001", "夏"),
            ("B-002", "冬"),
            ("C-003", ""),
            ("D-004", "秋"),
        ] {
            store
                .upsert_resource(&write(code, title, &[], &[]))
                .await
                .expect("insert");
        }
        store
            .finish_translation("B-002", &CLEANER)
            .await
            .expect("done");
        store
            .fail_translation("D-004", TranslationStatus::Failed, "x")
            .await
            .expect("failed");
        let codes = |sources: Vec<TranslationSource>| {
            sources.into_iter().map(|s| s.code).collect::<Vec<_>>()
        };
        let todo = store
            .translation_sources(Some(&[
                TranslationStatus::Pending,
                TranslationStatus::Failed,
            ]))
            .await
            .expect("todo");
        assert_eq!(codes(todo), ["A-001", "C-003", "D-004"], "{on:?}");
        let all = store.translation_sources(None).await.expect("all");
        assert_eq!(all.len(), 4, "{on:?}");
        assert_eq!(all[2].text(), "", "an empty title has no text");
        assert!(
            store
                .translation_sources(Some(&[]))
                .await
                .expect("none")
                .is_empty()
        );
        let mut counts = store.translation_counts().await.expect("counts");
        counts.sort_by_key(|(status, _)| status.as_str());
        assert_eq!(
            counts,
            [
                (TranslationStatus::Completed, 1),
                (TranslationStatus::Failed, 1),
                (TranslationStatus::Pending, 2)
            ],
            "{on:?}"
        );
    }
    fixture.finish().await;
}

#[tokio::test]
async fn the_answer_cache_keeps_one_answer_per_prompt_and_text() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let on = store.backend();
        let hash = "ab".repeat(32);
        assert_eq!(store.cached_answer(&hash, "夏").await.expect("read"), None);
        store
            .cache_answer(&hash, "夏", "m", "Translation: Summer")
            .await
            .expect("write");
        store
            .cache_answer(&hash, "冬", "m", "Winter")
            .await
            .expect("write");
        assert_eq!(
            store
                .cached_answer(&hash, "夏")
                .await
                .expect("read")
                .as_deref(),
            Some("Translation: Summer"),
            "{on:?}"
        );
        store
            .cache_answer(&hash, "夏", "m2", "**Summer**")
            .await
            .expect("replace");
        assert_eq!(
            store
                .cached_answer(&hash, "夏")
                .await
                .expect("read")
                .as_deref(),
            Some("**Summer**"),
            "{on:?}"
        );
        assert_eq!(
            store
                .cached_answer(&"cd".repeat(32), "夏")
                .await
                .expect("read"),
            None
        );
        assert!(store.forget_answer(&hash, "夏").await.expect("forget"));
        assert!(
            !store
                .forget_answer(&hash, "夏")
                .await
                .expect("forget again")
        );
        assert_eq!(store.cached_answer(&hash, "夏").await.expect("read"), None);
        assert_eq!(
            store
                .cached_answer(&hash, "冬")
                .await
                .expect("read")
                .as_deref(),
            Some("Winter")
        );
    }
    fixture.finish().await;
}
