//! The commands that open the database beside a running server (`fix-codes`, `seed`,
//! `translate`, and `thumbnails`, which reads only the media directory) never migrate
//! it: an older schema is refused with the maintenance commands' message pointing at
//! `kura db upgrade` and left exactly as it was; a new data directory still gets the
//! whole schema from a first `kura seed`.

use std::path::Path;

use super::upgrade::sqlite_snapshot;
use super::{expect_exit, first_schema_library, kura, text};
use crate::support::TestConfig;
use crate::support::database::TestDatabase;

async fn snapshot(data: &Path) -> Vec<String> {
    let pool = TestDatabase::sqlite().connect(data, false).await;
    let lines = sqlite_snapshot(&pool).await;
    pool.close().await;
    lines
}

#[tokio::test]
async fn library_commands_refuse_an_older_schema_and_leave_it_unchanged() {
    let translator =
        crate::translation::translator("http://127.0.0.1:9", "generate", "fixture", 1000, 1);
    let data = first_schema_library(&TestConfig::empty().merge(translator), "abc_001").await;
    let before = snapshot(data.path()).await;
    for args in [
        &["fix-codes"][..],
        &["fix-codes", "--execute"],
        &["seed", "--count", "3"],
        &["translate"],
        &["translate", "--execute"],
    ] {
        let output = kura(data.path(), args);
        expect_exit(&output, 1, &args.join(" "));
        assert!(
            text(&output).contains(
                "the database schema is at version 1 with migrations [2, 3, 4, 5, 6, 7, 8, 9] pending: run `kura db upgrade` first"
            ),
            "{}",
            text(&output)
        );
        assert_eq!(
            snapshot(data.path()).await,
            before,
            "{} changed the database",
            args.join(" ")
        );
    }
    // `thumbnails` reads covers only, never the database: it runs and changes nothing.
    expect_exit(&kura(data.path(), &["thumbnails"]), 0, "thumbnails");
    assert_eq!(snapshot(data.path()).await, before, "thumbnails");

    expect_exit(&kura(data.path(), &["db", "upgrade"]), 0, "db upgrade");
    let fixed = kura(data.path(), &["fix-codes", "--execute"]);
    expect_exit(&fixed, 0, "fix-codes after the upgrade");
    assert!(
        text(&fixed).contains("abc_001 -> ABC-001"),
        "{}",
        text(&fixed)
    );
}

#[tokio::test]
async fn a_first_seed_creates_the_whole_schema() {
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(data.path().join("config.yaml"), "").expect("config");
    expect_exit(&kura(data.path(), &["seed", "--count", "2"]), 0, "seed");
    expect_exit(&kura(data.path(), &["db", "status"]), 0, "db status");
}
