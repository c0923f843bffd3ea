//! Tests of the atomic write and the sync helpers, on real files in a temporary directory.

use super::*;
use std::time::Duration;

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn write_atomic_replaces_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a.json");
    write_atomic(&target, b"one", WriteOptions::new(0o644)).unwrap();
    write_atomic(&target, b"two", WriteOptions::new(0o644)).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"two");
    assert_eq!(names(dir.path()), ["a.json"]);
}

#[test]
fn create_new_refuses_an_existing_name_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a.json");
    let options = WriteOptions::new(0o600).create_new();
    write_atomic(&target, b"one", options).unwrap();
    let error = write_atomic(&target, b"two", options).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read(&target).unwrap(), b"one");
    assert_eq!(names(dir.path()), ["a.json"]);
}

#[test]
fn persist_gives_the_temporary_file_back_when_the_name_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), b"taken").unwrap();
    let mut temp = temp_file(dir.path(), 0o600).unwrap();
    temp.write_all(b"new").unwrap();
    let options = WriteOptions::new(0o600).create_new();
    let failed = persist(temp, &dir.path().join("a.json"), options).unwrap_err();
    assert_eq!(failed.error.kind(), io::ErrorKind::AlreadyExists);
    let temp = failed.file.expect("the temporary file comes back");
    persist(temp, &dir.path().join("b.json"), options).unwrap();
    assert_eq!(std::fs::read(dir.path().join("b.json")).unwrap(), b"new");
    assert_eq!(names(dir.path()), ["a.json", "b.json"]);
}

#[test]
fn a_failed_rename_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // A non-empty directory where the file should go: the rename fails.
    let target = dir.path().join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), b"x").unwrap();
    assert!(write_atomic(&target, b"bytes", WriteOptions::new(0o644)).is_err());
    assert_eq!(names(dir.path()), ["taken"]);
}

#[test]
fn a_missing_directory_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing/a.json");
    let error = write_atomic(&target, b"x", WriteOptions::new(0o644)).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(names(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn the_file_gets_the_mode_asked_for() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o600, 0o640] {
        let target = dir.path().join(format!("{mode:o}"));
        write_atomic(&target, b"x", WriteOptions::new(mode)).unwrap();
        let actual = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(actual, mode, "{mode:o}");
    }
}

#[test]
fn the_file_gets_the_modification_time_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a.jpg");
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    write_atomic(&target, b"x", WriteOptions::new(0o644).modified(when)).unwrap();
    let modified = std::fs::metadata(&target).unwrap().modified().unwrap();
    assert_eq!(modified, when);
}

#[test]
fn temporary_names_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let temp = temp_file(dir.path(), 0o600).unwrap();
    let name = temp
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX),
        "{name}"
    );
    assert!(is_temp_name(&name));
    assert!(is_temp_name(".tmp-AbC123"));
    assert!(!is_temp_name("ABC-123.jpg"));
    drop(temp);
    assert!(names(dir.path()).is_empty());
}

#[test]
fn sync_helpers_sync_files_and_directories_and_report_failures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a");
    std::fs::write(&path, b"x").unwrap();
    sync_file(&path).unwrap();
    let file = File::open(&path).unwrap();
    sync_open_file(&file).unwrap();
    sync_file_data(&file).unwrap();
    sync_dir(dir.path()).unwrap();
    assert_eq!(
        sync_file(&dir.path().join("missing")).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    #[cfg(unix)]
    assert_eq!(
        sync_dir(&dir.path().join("missing")).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
}

#[test]
fn a_required_directory_sync_succeeds_on_a_real_directory() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a");
    let options = WriteOptions::new(0o600).dir_sync(DirSync::Required);
    write_atomic(&target, b"x", options).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"x");
}
