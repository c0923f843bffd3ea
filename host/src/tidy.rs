//! Tidy tests: checks over the repository's own text (module docs, the capability list,
//! the config template, the code map) that fail when code and docs drift apart.

mod capabilities;
mod code_map;
mod config_keys;
mod module_docs;
mod wit_copies;

use std::path::{Path, PathBuf};

/// The repository root (the parent of `host/`).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_owned()
}

/// Every file under `dir`, recursively and sorted, leaving out hidden entries and build
/// output (`target`).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{dir:?}: {error}")) {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `path` relative to the repository root, for messages.
fn relative(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The capability IDs in `text`: `N-` or `T-` with a capital letter and digits, or `K-`
/// with digits, standing alone (not inside a longer word or code).
pub(crate) fn capability_ids(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for start in 0..bytes.len() {
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'-') {
            continue;
        }
        let rest = &bytes[start..];
        let digits_from = match rest {
            [b'N' | b'T', b'-', letter, ..] if letter.is_ascii_uppercase() => 3,
            [b'K', b'-', ..] => 2,
            _ => continue,
        };
        let digits = rest[digits_from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = digits_from + digits;
        let boundary = rest
            .get(end)
            .is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'-');
        if digits > 0 && boundary {
            found.push(text[start..start + end].to_owned());
        }
    }
    found
}
