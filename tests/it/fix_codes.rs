//! `kura fix-codes` (N-B6) and `kura thumbnails` (N-I2) against a real database and data
//! directory: rows written before codes were normalised are found, reported, and renamed
//! with their files; a rename onto a taken code and a row that is no code are left alone.

use std::path::Path;
use std::process::{Command, Output};

use sqlx::Executor;

use crate::support::kura_bin;

fn kura(data: &Path, args: &[&str]) -> Output {
    Command::new(kura_bin())
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(data.join("config.yaml"))
        .args(args)
        .output()
        .expect("run kura")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A data directory whose database holds two canonical rows and four written before
/// normalisation: two fixable (one with a cover file named by its old code), one whose
/// canonical form is taken, one that is not a code.
async fn legacy_library() -> tempfile::TempDir {
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(data.path().join("config.yaml"), "").expect("config");
    let seeded = kura(data.path(), &["seed", "--count", "2"]);
    assert!(seeded.status.success(), "{seeded:?}");
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", data.path().join("kura.db").display());
    let pool = sqlx::AnyPool::connect(&url).await.expect("open db");
    for (code, cover) in [
        ("demo_07", Some("resource/cover/demo_07.jpg")),
        ("abc123", None),
        ("seed_000001", None),
        ("../etc", None),
    ] {
        let cover = cover.map_or("NULL".to_owned(), |c| format!("'{c}'"));
        pool.execute(sqlx::AssertSqlSafe(format!(
            "INSERT INTO resources (code, cover_file, created_at, updated_at) \
             VALUES ('{code}', {cover}, 1, 1)"
        )))
        .await
        .expect("legacy row");
    }
    pool.close().await;
    let covers = data.path().join("resource/cover");
    std::fs::create_dir_all(&covers).expect("cover dir");
    std::fs::write(covers.join("demo_07.jpg"), b"old cover bytes").expect("cover");
    data
}

#[tokio::test]
async fn fix_codes_reports_then_renames_rows_and_files() {
    let data = legacy_library().await;

    let stats = kura(data.path(), &["fix-codes", "--stats"]);
    let report = stdout(&stats);
    assert_eq!(
        stats.status.code(),
        Some(2),
        "conflicts and invalid rows: {report}"
    );
    assert!(
        report.starts_with("6 codes: 2 canonical, 2 to rename, 1 conflicts, 1 invalid"),
        "{report}"
    );
    assert!(report.contains("rename   demo_07 -> DEMO-007"), "{report}");
    assert!(report.contains("rename   abc123 -> ABC-123"), "{report}");
    assert!(
        report.contains("conflict seed_000001 -> SEED-000001"),
        "{report}"
    );
    assert!(report.contains("invalid  ../etc"), "{report}");
    assert!(
        data.path().join("resource/cover/demo_07.jpg").is_file(),
        "--stats changes nothing"
    );

    let executed = kura(data.path(), &["fix-codes", "--execute"]);
    let report = stdout(&executed);
    assert!(
        report.starts_with("6 codes: 2 canonical, 2 renamed"),
        "{report}"
    );
    assert!(!data.path().join("resource/cover/demo_07.jpg").exists());
    assert_eq!(
        std::fs::read(data.path().join("resource/cover/DEMO-007.jpg")).expect("moved cover"),
        b"old cover bytes"
    );

    let url = format!("sqlite://{}?mode=ro", data.path().join("kura.db").display());
    let pool = sqlx::AnyPool::connect(&url).await.expect("open db");
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT code, cover_file FROM resources ORDER BY code")
            .fetch_all(&pool)
            .await
            .expect("rows");
    pool.close().await;
    let codes: Vec<&str> = rows.iter().map(|(code, _)| code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "../etc",
            "ABC-123",
            "DEMO-007",
            "SEED-000001",
            "SEED-000002",
            "seed_000001"
        ]
    );
    let demo = rows
        .iter()
        .find(|(code, _)| code == "DEMO-007")
        .expect("demo");
    assert_eq!(demo.1.as_deref(), Some("resource/cover/DEMO-007.jpg"));

    let again = kura(data.path(), &["fix-codes", "--stats"]);
    assert!(stdout(&again).contains("0 to rename"), "{}", stdout(&again));
}

#[tokio::test]
async fn thumbnails_command_generates_then_skips() {
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(data.path().join("config.yaml"), "").expect("config");
    let covers = data.path().join("resource/cover");
    std::fs::create_dir_all(&covers).expect("cover dir");
    std::fs::write(
        covers.join("DEMO-001.jpg"),
        fixture_site::media::cover_jpeg(fixture_site::media::CoverSource::Meta, 1),
    )
    .expect("cover");
    std::fs::write(covers.join("DEMO-002.jpg"), b"not an image").expect("bad cover");

    let first = kura(data.path(), &["thumbnails"]);
    let report = stdout(&first);
    assert_eq!(
        first.status.code(),
        Some(2),
        "one cover is broken: {report}"
    );
    assert!(
        report.starts_with("2 covers: 3 thumbnails generated, 0 up to date, 1 failed"),
        "{report}"
    );
    for size in ["small", "medium", "large"] {
        assert!(
            covers.join(format!("DEMO-001.{size}.jpg")).is_file(),
            "{size}"
        );
    }
    std::fs::remove_file(covers.join("DEMO-002.jpg")).expect("remove bad cover");
    let second = kura(data.path(), &["thumbnails"]);
    assert!(second.status.success());
    assert!(
        stdout(&second).starts_with("1 covers: 0 thumbnails generated, 3 up to date"),
        "{}",
        stdout(&second)
    );
    let forced = kura(data.path(), &["thumbnails", "--force"]);
    assert!(
        stdout(&forced).starts_with("1 covers: 3 thumbnails generated"),
        "{}",
        stdout(&forced)
    );
}
