//! The plugins built into the `kura` binary (embedded by `build.rs` when the plugins
//! workspace built them): the default cleaner and the JSON-LD/OpenGraph scraper. The
//! registry loads each when no file or index release of its name is loaded; one of those
//! replaces it the same way it replaces any version.

/// The embedded components (empty when the build had none).
const BUILTINS: &[&[u8]] = &[
    include_bytes!(concat!(env!("OUT_DIR"), "/default_cleaner.wasm")),
    include_bytes!(concat!(env!("OUT_DIR"), "/jsonld.wasm")),
];

/// The built-in components this binary carries.
pub(super) fn components() -> impl Iterator<Item = &'static [u8]> {
    BUILTINS.iter().copied().filter(|bytes| !bytes.is_empty())
}
