//! The WIT has one source, `wit/`: the SDK's copy (so the SDK crate packages alone) must
//! equal it, and the frozen previous version must still declare its own version.

use super::repo_root;

#[test]
fn the_sdk_carries_the_current_wit_unchanged() {
    let root = repo_root();
    for name in ["host.wit", "types.wit", "worlds.wit"] {
        let canonical = std::fs::read_to_string(root.join("wit").join(name)).expect("wit/");
        let copy = std::fs::read_to_string(root.join("plugins/sdk/wit").join(name))
            .expect("plugins/sdk/wit/");
        assert!(
            canonical == copy,
            "plugins/sdk/wit/{name} differs from wit/{name}: copy wit/*.wit into plugins/sdk/wit/"
        );
        assert!(
            canonical.starts_with(&format!(
                "package kura:plugin@{};",
                crate::plugins::WIT_CURRENT
            )),
            "wit/{name} must declare the host's current version"
        );
        let frozen = std::fs::read_to_string(root.join("wit/0.1.0").join(name)).expect("frozen");
        assert!(
            frozen.starts_with("package kura:plugin@0.1.0;"),
            "wit/0.1.0/{name}"
        );
    }
}
