//! Embeds the general-purpose plugins (the default cleaner, the JSON-LD/OpenGraph
//! scraper) as the plugins workspace built them, so a `kura` binary alone translates and
//! scrapes. `cargo xtask build | run | test` build the plugins first; a build without
//! them ships no built-ins and says so.

use std::path::PathBuf;

/// The built-in plugins, by the file the plugins workspace builds.
const BUILTINS: &[&str] = &["default_cleaner", "jsonld"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let built = manifest_dir.join("../plugins/target/wasm32-wasip2/release");
    for name in BUILTINS {
        let source = built.join(format!("{name}.wasm"));
        println!("cargo:rerun-if-changed={}", source.display());
        let bytes = std::fs::read(&source).unwrap_or_default();
        if bytes.is_empty() {
            println!(
                "cargo:warning=the built-in plugin {name} is not built yet (`cargo xtask run` and `cargo xtask test` build it first); this kura ships without it"
            );
        }
        std::fs::write(out_dir.join(format!("{name}.wasm")), bytes).expect("write OUT_DIR");
    }
}
