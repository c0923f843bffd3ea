//! Every capability ID cited in code, tests, tools, config or the top-level docs has its
//! line in `docs/features.md`.

use std::collections::{BTreeMap, BTreeSet};

use super::{capability_ids, files_under, relative, repo_root};

#[test]
fn capability_ids_are_recognised() {
    for (text, expected) in [
        (
            "downloads (N-D1, K-8) and upgrades (T-A3)",
            &["N-D1", "K-8", "T-A3"][..],
        ),
        ("N-L1..N-L7", &["N-L1", "N-L7"]),
        ("DEMO-001 ABC-123 SEED-000001 T-28123 UTF-8 MPEG-2", &[]),
        ("XN-D1 N-D1x N-d1 K-", &[]),
    ] {
        assert_eq!(capability_ids(text), expected, "{text}");
    }
}

/// The IDs `docs/features.md` describes: the lines `- ID: what Kura does`.
fn listed_ids(features: &str) -> BTreeSet<String> {
    features
        .lines()
        .filter_map(|line| line.strip_prefix("- ")?.split_once(": "))
        .filter(|(id, description)| capability_ids(id) == [*id] && !description.trim().is_empty())
        .map(|(id, _)| id.to_owned())
        .collect()
}

#[test]
fn every_cited_capability_is_listed_in_the_features() {
    let root = repo_root();
    let features = std::fs::read_to_string(root.join("docs/features.md")).expect("features");
    let listed = listed_ids(&features);
    let mut files = Vec::new();
    for dir in ["host/src", "tests", "tools", "config"] {
        files.extend(files_under(&root.join(dir)));
    }
    files.push(root.join("README.md"));
    files.push(root.join("ARCHITECTURE.md"));
    let mut missing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut cited = 0;
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for id in capability_ids(&text) {
            cited += 1;
            if !listed.contains(&id) {
                missing.entry(id).or_default().insert(relative(file));
            }
        }
    }
    assert!(cited > 50, "the citations were found: {cited}");
    assert!(
        missing.is_empty(),
        "capability IDs cited but not in docs/features.md (`- ID: what Kura does`): {missing:#?}"
    );
}

#[test]
fn feature_lines_are_read_by_id() {
    let text = "# Features\n- N-D1: downloads\n- K-8: fresh URLs\n- N-D2:\n- prose: no\n";
    let listed: Vec<String> = listed_ids(text).into_iter().collect();
    assert_eq!(listed, ["K-8", "N-D1"]);
}
