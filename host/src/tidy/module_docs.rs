//! Every Rust file of the host, the tools and the tests opens with a `//!` line saying
//! what it is for.

use super::{files_under, relative, repo_root};

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let root = repo_root();
    let mut dirs = vec![root.join("host/src"), root.join("tests")];
    for tool in std::fs::read_dir(root.join("tools")).expect("tools") {
        let src = tool.expect("tool").path().join("src");
        if src.is_dir() {
            dirs.push(src);
        }
    }
    let mut checked = 0;
    let mut undocumented = Vec::new();
    for dir in dirs {
        for file in files_under(&dir) {
            if file.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            checked += 1;
            let text = std::fs::read_to_string(&file).expect("source is UTF-8");
            if !text.starts_with("//!") {
                undocumented.push(relative(&file));
            }
        }
    }
    assert!(checked > 100, "the sources were found: {checked}");
    assert!(
        undocumented.is_empty(),
        "files whose first line is not a `//!` doc: {undocumented:#?}"
    );
}
