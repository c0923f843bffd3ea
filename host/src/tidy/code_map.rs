//! ARCHITECTURE.md's code map names every module: each `host/src/<module>.rs` as
//! `` `module` `` and each `host/src/<module>/<sub>.rs` by its file name.

use super::{relative, repo_root};

#[test]
fn the_code_map_names_every_module() {
    let root = repo_root();
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("read");
    let src = root.join("host/src");
    let mut unnamed = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&src).expect("host/src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            for sub in std::fs::read_dir(&path).expect("module directory") {
                let sub = sub.expect("entry").path();
                let Some(name) = rust_file_name(&sub) else {
                    continue;
                };
                checked += 1;
                if !architecture.contains(&name) {
                    unnamed.push(relative(&sub));
                }
            }
        } else if let Some(name) = rust_file_name(&path) {
            checked += 1;
            let module = name.trim_end_matches(".rs");
            if !architecture.contains(&format!("`{module}`")) && !architecture.contains(&name) {
                unnamed.push(relative(&path));
            }
        }
    }
    unnamed.sort();
    assert!(checked > 100, "the modules were found: {checked}");
    assert!(
        unnamed.is_empty(),
        "modules ARCHITECTURE.md does not name (add a sentence to the code map): {unnamed:#?}"
    );
}

/// The file name of a `.rs` file; None for anything else.
fn rust_file_name(path: &std::path::Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    (path.is_file() && name.ends_with(".rs")).then(|| name.to_owned())
}
