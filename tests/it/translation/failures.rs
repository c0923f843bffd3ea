//! An LLM that fails (HTTP 500), garbles its answer (invalid JSON) or is too slow (a
//! timeout): the task is retried, then ends failed; between attempts the title is
//! `pending` with the reason, at the end `failed` with it. Titles that need no
//! translation are skipped without an LLM call; a finished one is left alone unless
//! forced; a code not in the library fails at once.

use std::time::Duration;

use fixture_site::catalog;
use kura::events::Event;
use kura::store::{Priority, ResourceWrite, TaskStatus, TranslationStatus};
use serde_json::json;

use super::{catalog_numbers, completed_translation, info, start, translate_task, translator};
use crate::library::add;
use crate::support::{self, TestServer};

/// The reason each failing model leaves, and the profile timeout that provokes it.
const CASES: [(&str, u64, &str); 3] = [
    (
        "fail",
        30_000,
        "HTTP 500: model runner has unexpectedly stopped",
    ),
    ("broken", 30_000, "the answer is not JSON"),
    ("slow", 300, "timed out after 300 ms"),
];

#[tokio::test]
async fn a_failing_llm_is_retried_then_the_title_is_failed_with_the_reason() {
    let fixture = crate::support::fixture().await;
    for (model, timeout_ms, reason) in CASES {
        // Two seconds between attempts: time enough to look at the title in between.
        let config = support::config(&fixture.base_url()).merge(translator(
            &fixture.base_url(),
            "generate",
            model,
            timeout_ms,
            2,
        ));
        let server = TestServer::start(&config, &super::PLUGINS).await;
        let mut events = server
            .server
            .as_ref()
            .expect("running")
            .events()
            .subscribe();
        let n = catalog_numbers().next().expect("a catalog title");
        let code = catalog::code(n);
        let hits_before = fixture.hits("/api/generate");
        add(&server, &code).await;

        // The first attempt fails and will be retried: the title waits, with the reason.
        let retry = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(error) => panic!("event bus: {error}"),
                };
                if let Event::TaskFailed(failed) = &event.event {
                    assert!(
                        failed.task.kind != "translate",
                        "task_failed is final: never for an attempt that is retried ({failed:?})"
                    );
                }
                if let Event::TaskRetrying(failed) = &event.event
                    && failed.task.kind == "translate"
                    && failed.will_retry
                {
                    return failed.clone();
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{model}: no retried translate attempt"));
        assert!(
            retry
                .task
                .error
                .as_ref()
                .is_some_and(|e| e.contains(reason)),
            "{model}: {retry:?}"
        );
        let between = info(&server, &code).await;
        assert_eq!(
            between.status,
            TranslationStatus::Pending,
            "{model}: {between:?}"
        );
        assert!(
            between.error.as_deref().is_some_and(|e| e.contains(reason)),
            "{model}: {between:?}"
        );

        let task = translate_task(&server, &code).await;
        assert_eq!(task.status, TaskStatus::Failed, "{model}: {task:?}");
        assert_eq!(task.attempts, 2, "{model}: retried once");
        assert!(
            task.error.as_deref().is_some_and(|e| e.contains(reason)),
            "{model}: {task:?}"
        );
        let stored = info(&server, &code).await;
        assert_eq!(
            stored.status,
            TranslationStatus::Failed,
            "{model}: {stored:?}"
        );
        assert!(
            stored.error.as_deref().is_some_and(|e| e.contains(reason)),
            "{model}: {stored:?}"
        );
        assert_eq!(stored.title_translated, None, "{model}");
        assert_eq!(
            fixture.hits("/api/generate") - hits_before,
            2,
            "{model}: one request per attempt, nothing cached"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn skipped_unchanged_and_unknown_titles() {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, "generate", "fixture", 30_000).await;
    let running = server.server.as_ref().expect("running");
    let store = running.library().store();
    for (code, title) in [("ENG-001", "Summer Seaside"), ("NONE-001", "  ")] {
        store
            .upsert_resource(&ResourceWrite {
                code: code.to_owned(),
                title_source: Some(title.to_owned()),
                ..ResourceWrite::default()
            })
            .await
            .expect("insert");
    }
    let n = catalog_numbers().next().expect("a catalog title");
    let code = catalog::code(n);
    add(&server, &code).await;
    completed_translation(&server, &code).await;
    let tasks = running.tasks();
    for (code, force) in [
        ("ENG-001", false),
        ("NONE-001", false),
        (code.as_str(), false),
    ] {
        tasks
            .submit(
                "translate",
                json!({ "code": code, "force": force }),
                Priority::Normal,
            )
            .await
            .expect("submit");
    }
    for (code, reason) in [
        ("ENG-001", "already in the target language (en)"),
        ("NONE-001", "the title is empty"),
    ] {
        let task = completed_translation(&server, code).await;
        let result = task.result.unwrap_or_default();
        assert_eq!(result["outcome"], "skipped", "{code}: {result}");
        assert!(
            result["reason"]
                .as_str()
                .is_some_and(|r| r.contains(reason)),
            "{code}: {result}"
        );
        let stored = info(&server, code).await;
        assert_eq!(stored.status, TranslationStatus::Skipped, "{code}");
        assert_eq!(stored.title_translated, None, "{code}");
    }
    let task = completed_translation(&server, &code).await;
    let result = task.result.unwrap_or_default();
    assert_eq!(result["outcome"], "unchanged", "{result}");
    assert_eq!(
        fixture.hits("/api/generate"),
        1,
        "only the catalog title was asked for"
    );

    // Not in the library: final at once.
    let submitted = tasks
        .submit("translate", json!({ "code": "NOPE-999" }), Priority::Normal)
        .await
        .expect("submit");
    let task = tasks
        .wait(submitted.task.id, super::TASK_WAIT)
        .await
        .expect("wait");
    assert_eq!(task.status, TaskStatus::Failed, "{task:?}");
    assert_eq!(task.attempts, 1, "{task:?}");
    assert_eq!(
        task.error_code,
        Some(kura::ErrorCode::ResourceNotFound),
        "{task:?}"
    );
    assert!(
        task.error
            .as_deref()
            .is_some_and(|e| e.contains("NOPE-999")),
        "{task:?}"
    );
    // Bad payloads are refused at submit.
    for payload in [
        json!({}),
        json!({ "code": "x" }),
        json!({ "code": "A-1", "force": 1 }),
    ] {
        assert!(
            tasks
                .submit("translate", payload.clone(), Priority::Normal)
                .await
                .is_err(),
            "{payload}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn without_an_active_profile_titles_stay_pending() {
    let fixture = crate::support::fixture().await;
    let server = TestServer::start(&support::config(&fixture.base_url()), &super::PLUGINS).await;
    let code = catalog::code(catalog_numbers().next().expect("a catalog title"));
    add(&server, &code).await;
    assert_eq!(
        info(&server, &code).await.status,
        TranslationStatus::Pending
    );
    let tasks = server.server.as_ref().expect("running").tasks();
    assert!(!tasks.kinds().contains(&"translate"));
    assert!(
        tasks
            .submit("translate", json!({ "code": code }), Priority::Normal)
            .await
            .is_err()
    );
    assert_eq!(fixture.hits("/api/generate"), 0);
    server.stop().await;
}
