//! The plugins built into the `kura` binary (embedded by `build.rs` when the plugins
//! workspace built them): the default cleaner and the JSON-LD/OpenGraph scraper. The
//! registry loads each when no file or index release of its name is loaded; one of those
//! replaces it the same way it replaces any version.

/// The embedded components (empty when the build had none).
const BUILTINS: &[&[u8]] = &[
    include_bytes!(concat!(env!("OUT_DIR"), "/default_cleaner.wasm")),
    include_bytes!(concat!(env!("OUT_DIR"), "/jsonld.wasm")),
];

/// The built-in components this binary carries, with their names (read once: the
/// registry looks at them on every pass over the plugins directory).
pub(super) fn components() -> &'static [(String, &'static [u8])] {
    static NAMED: std::sync::OnceLock<Vec<(String, &'static [u8])>> = std::sync::OnceLock::new();
    NAMED.get_or_init(|| {
        BUILTINS
            .iter()
            .copied()
            .filter(|bytes| !bytes.is_empty())
            .filter_map(|bytes| match super::manifest::Manifest::from_component(bytes) {
                Ok(manifest) => Some((manifest.name, bytes)),
                Err(error) => {
                    tracing::warn!(%error, "a built-in plugin has no readable manifest; skipped");
                    None
                }
            })
            .collect()
    })
}
