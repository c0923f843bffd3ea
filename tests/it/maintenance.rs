//! Maintenance end to end (N-K1..N-K6 task kinds, N-L1..N-L7, T-A3): online backups
//! under a writer that restore into working servers, the consistency checks against
//! injected faults with their repairs and reports, the sync of backups, and the guarded
//! database upgrade that restores on failure. The commands run as the `kura` binary
//! against a data directory a server is using at the same time.

mod backup;
mod checks;
mod stale_schema;
mod sync;
mod upgrade;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use sqlx::migrate::Migrator;

use crate::support::database::{TestDatabase, execute};
use crate::support::{TestConfig, kura_bin, root};
use kura::store::Store;

/// A data directory whose `kura.db` was made by a kura that knew only the first
/// migration, holding one resource stored as `code` (as an old version wrote it);
/// `config` as its config.
pub async fn first_schema_library(config: &TestConfig, code: &str) -> tempfile::TempDir {
    let data = tempfile::tempdir().expect("temp dir");
    config.write(&data.path().join("config.yaml"));
    let first = tempfile::tempdir().expect("temp dir");
    let real = root().join("host/migrations/sqlite");
    let first_file = names(&real).into_iter().next().expect("a migration");
    std::fs::copy(real.join(&first_file), first.path().join(&first_file)).expect("copy");
    let url = format!("sqlite://{}", data.path().join("kura.db").display());
    let store = Store::open_without_migrating(&url).await.expect("store");
    let old = Migrator::new(first.path()).await.expect("migrator");
    store.migrate(&old).await.expect("first migration");
    store.close().await;
    let pool = TestDatabase::sqlite().connect(data.path(), true).await;
    execute(
        &pool,
        format!("INSERT INTO resources (code, created_at, updated_at) VALUES ('{code}', 1, 1)"),
    )
    .await;
    pool.close().await;
    data
}

/// `kura --config <data>/config.yaml --data-dir <data> ARGS`.
pub fn kura(data: &Path, args: &[&str]) -> Output {
    Command::new(kura_bin())
        .arg("--config")
        .arg(data.join("config.yaml"))
        .arg("--data-dir")
        .arg(data)
        .arg("--silent")
        .args(args)
        .output()
        .expect("run kura")
}

/// [`kura`] off the async threads, so a server in this process keeps serving.
pub async fn kura_async(data: &Path, args: &[&str]) -> Output {
    let data = data.to_owned();
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kura(&data, &args)
    })
    .await
    .expect("kura ran")
}

/// Standard output and error, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Asserts the exit code.
pub fn expect_exit(output: &Output, code: i32, what: &str) {
    assert_eq!(output.status.code(), Some(code), "{what}: {}", text(output));
}

pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Sets a file's (or directory's) modification time to `age` ago.
pub fn set_age(path: &Path, age: Duration) {
    set_modified(path, SystemTime::now() - age);
}

fn set_modified(path: &Path, when: SystemTime) {
    let file = std::fs::File::options()
        .read(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.set_modified(when).expect("set mtime");
}

/// Ages every file under `dir` by `age`, as in a library that has been there a while:
/// all to the same instant, so no file comes out older than one made before it.
pub fn age_tree(dir: &Path, age: Duration) {
    set_tree_modified(dir, SystemTime::now() - age);
}

fn set_tree_modified(dir: &Path, when: SystemTime) {
    for entry in std::fs::read_dir(dir).expect("list") {
        let entry = entry.expect("entry");
        let path = entry.path();
        if entry.file_type().expect("type").is_dir() {
            set_tree_modified(&path, when);
        } else {
            set_modified(&path, when);
        }
    }
}

/// The names in `dir`, sorted; empty when it does not exist.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(reader) => reader
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// The files of `dir` ending in `suffix`, sorted.
pub fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    names(dir)
        .into_iter()
        .filter(|name| name.ends_with(suffix))
        .map(|name| dir.join(name))
        .collect()
}

/// (kind, file) of each issue of a report, sorted.
pub fn issues(report: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = report["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|issue| {
            (
                issue["kind"].as_str().unwrap_or_default().to_owned(),
                issue["file"]
                    .as_str()
                    .or(issue["code"].as_str())
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

/// Expected (kind, file) pairs, sorted.
pub fn expected(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(kind, file)| ((*kind).to_owned(), (*file).to_owned()))
        .collect();
    pairs.sort();
    pairs
}
