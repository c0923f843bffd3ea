//! Where the benches find the plugins `cargo xtask` built.

use std::path::{Path, PathBuf};

/// A built plugin by crate name (`test-swap-v1`, ...).
pub fn wasm(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("plugins/target/wasm32-wasip2/release")
        .join(format!("{}.wasm", name.replace('-', "_")))
}
