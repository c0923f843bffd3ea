//! Rebuilds the crate when any file of the UI changes, or one is added or removed.

fn main() {
    println!("cargo:rerun-if-changed=assets");
}
