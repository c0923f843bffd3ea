//! `kura translate` (N-C5) in a child process, while a server runs on the same data
//! directory: the dry run counts without asking the LLM, --execute translates pending
//! titles and skips those that need none, a second run finds nothing to do, --reclean
//! cleans every title again from the cache, and --force translates every title afresh.

use std::path::Path;
use std::process::{Command, Output};

use fixture_site::catalog;
use kura::store::{ResourceWrite, TranslationStatus};

use super::{catalog_numbers, info, translator, unwatched};
use crate::library::add;
use crate::support::{self, TestServer, kura_bin};

/// Runs `kura translate ARGS` on a blocking thread, so the fixture site (on this test's
/// runtime) keeps answering meanwhile.
async fn kura(data: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(kura_bin());
    command
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(data.join("config.yaml"))
        .arg("translate")
        .args(args);
    tokio::task::spawn_blocking(move || command.output().expect("run kura"))
        .await
        .expect("join")
}

/// Stdout of a run that exited with `code`.
fn stdout(output: &Output, code: i32) -> String {
    assert_eq!(output.status.code(), Some(code), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn check_contains(text: &str, expected: &str) {
    assert!(text.contains(expected), "expected {expected:?} in:\n{text}");
}

#[tokio::test]
async fn dry_run_execute_force_and_no_cache() {
    let fixture = crate::support::fixture().await;
    let base = unwatched(support::config(&fixture.base_url()));
    // The server has no active profile, so its adds leave the titles pending; the
    // command reads the profile from the file.
    let server = TestServer::start(&base, &super::PLUGINS).await;
    let data = server.data.path().to_path_buf();
    support::config(&fixture.base_url())
        .merge(translator(
            &fixture.base_url(),
            "generate",
            "fixture",
            30_000,
            1,
        ))
        .write(&data.join("config.yaml"));
    let numbers: Vec<u32> = catalog_numbers().take(3).collect();
    for &n in &numbers {
        add(&server, &catalog::code(n)).await;
    }
    let store = server.server.as_ref().expect("running").library().store();
    for (code, title) in [("ENG-001", "Summer Seaside"), ("NONE-001", "")] {
        store
            .upsert_resource(&ResourceWrite {
                code: code.to_owned(),
                title_source: Some(title.to_owned()),
                ..ResourceWrite::default()
            })
            .await
            .expect("insert");
    }

    let out = stdout(&kura(&data, &[]).await, 0);
    check_contains(&out, "profile fixture: model fixture at ");
    check_contains(&out, "titles: 5 pending, 0 translating, 0 completed");
    check_contains(
        &out,
        "would translate 3: 0 from the cache, 3 by the LLM; would skip 2",
    );
    assert_eq!(fixture.hits("/api/generate"), 0, "a dry run asks nothing");
    for &n in &numbers {
        assert_eq!(
            info(&server, &catalog::code(n)).await.status,
            TranslationStatus::Pending
        );
    }

    let out = stdout(&kura(&data, &["--execute"]).await, 0);
    check_contains(
        &out,
        "5 titles: 3 translated (0 from the cache), 2 skipped, 0 unchanged, 0 failed",
    );
    assert_eq!(fixture.hits("/api/generate"), 3);
    for &n in &numbers {
        let stored = info(&server, &catalog::code(n)).await;
        assert_eq!(stored.status, TranslationStatus::Completed);
        assert_eq!(stored.title_translated, Some(catalog::title_en(n)));
        assert_eq!(stored.cleaner.as_deref(), Some("default-cleaner"));
    }
    for code in ["ENG-001", "NONE-001"] {
        assert_eq!(info(&server, code).await.status, TranslationStatus::Skipped);
    }

    let out = stdout(&kura(&data, &["--execute"]).await, 0);
    check_contains(&out, "0 titles: 0 translated");
    // Re-cleaning reads the cached answers; forcing asks the LLM afresh.
    let out = stdout(&kura(&data, &["--reclean", "--dry-run"]).await, 0);
    check_contains(
        &out,
        "would translate 3: 3 from the cache, 0 by the LLM; would skip 2",
    );
    let out = stdout(&kura(&data, &["--reclean"]).await, 0);
    check_contains(&out, "5 titles: 3 translated (3 from the cache), 2 skipped");
    assert_eq!(fixture.hits("/api/generate"), 3, "the cache answered");

    let out = stdout(&kura(&data, &["--force", "--dry-run"]).await, 0);
    check_contains(
        &out,
        "would translate 3: 0 from the cache, 3 by the LLM; would skip 2",
    );
    assert_eq!(fixture.hits("/api/generate"), 3, "a dry run asks nothing");
    let out = stdout(&kura(&data, &["--force"]).await, 0);
    check_contains(&out, "5 titles: 3 translated (0 from the cache), 2 skipped");
    assert_eq!(fixture.hits("/api/generate"), 6);
    let output = kura(&data, &["--force", "--reclean"]).await;
    assert_eq!(
        output.status.code(),
        Some(2),
        "the two exclude each other: {output:?}"
    );

    // A profile the config does not have is an error.
    let output = kura(&data, &["--profile", "nope"]).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    check_contains(
        &String::from_utf8_lossy(&output.stderr),
        "no translator profile `nope`",
    );
    server.stop().await;
}
