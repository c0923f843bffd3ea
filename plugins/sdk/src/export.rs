//! The export macros: one per plugin kind, each also embedding the crate's `manifest.json`.
//!
//! Each macro expands the world's export glue generated in [`crate::wit`] (with
//! `pub_export_macro`), so the full description of exactly one world (its imports and its one
//! export) is embedded in the plugin crate, and the component exports only that interface.

/// Exports a [`Source`](crate::Source) implementation as the component's
/// `kura:plugin/source` and embeds `manifest.json` in the `kura:manifest` section.
///
/// The argument must be a plain type name in scope (`export_source!(MySite);`).
#[macro_export]
macro_rules! export_source {
    ($plugin:ident) => {
        #[allow(unsafe_code)]
        const _: () = {
    $crate::wit::source::export_source_world!($plugin with_types_in $crate::wit::source);
        };
        $crate::__embed_manifest!();
    };
}

/// Exports a [`Scraper`](crate::Scraper) implementation as the component's
/// `kura:plugin/scraper` and embeds `manifest.json` in the `kura:manifest` section.
#[macro_export]
macro_rules! export_scraper {
    ($plugin:ident) => {
        #[allow(unsafe_code)]
        const _: () = {
    $crate::wit::scraper::export_scraper_world!($plugin with_types_in $crate::wit::scraper);
        };
        $crate::__embed_manifest!();
    };
}

/// Exports a [`Cleaner`](crate::Cleaner) implementation as the component's
/// `kura:plugin/cleaner` and embeds `manifest.json` in the `kura:manifest` section.
#[macro_export]
macro_rules! export_cleaner {
    ($plugin:ident) => {
        #[allow(unsafe_code)]
        const _: () = {
    $crate::wit::cleaner::export_cleaner_world!($plugin with_types_in $crate::wit::cleaner);
        };
        $crate::__embed_manifest!();
    };
}

/// Exports a [`PlaylistFilter`](crate::PlaylistFilter) implementation as the component's
/// `kura:plugin/playlist-filter` and embeds `manifest.json` in the `kura:manifest` section.
#[macro_export]
macro_rules! export_playlist_filter {
    ($plugin:ident) => {
        #[allow(unsafe_code)]
        const _: () = {
    $crate::wit::playlist_filter::export_playlist_filter_world!($plugin with_types_in $crate::wit::playlist_filter);
        };
        $crate::__embed_manifest!();
    };
}

/// Exports a [`Task`](crate::Task) implementation as the component's `kura:plugin/task`
/// and embeds `manifest.json` in the `kura:manifest` section.
#[macro_export]
macro_rules! export_task {
    ($plugin:ident) => {
        #[allow(unsafe_code)]
        const _: () = {
    $crate::wit::task::export_task_world!($plugin with_types_in $crate::wit::task);
        };
        $crate::__embed_manifest!();
    };
}

/// Embeds `$CARGO_MANIFEST_DIR/manifest.json` as the wasm custom section `kura:manifest`.
///
/// The section is metadata, not data: rustc emits `link_section` statics on wasm as custom
/// sections, which survive LTO and `strip` into the core module inside the component.
#[doc(hidden)]
#[macro_export]
macro_rules! __embed_manifest {
    () => {
        #[cfg_attr(target_arch = "wasm32", unsafe(link_section = "kura:manifest"))]
        #[allow(unsafe_code)]
        #[used]
        #[doc(hidden)]
        static __KURA_MANIFEST: [u8; include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/manifest.json"
        ))
        .len()] = *include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/manifest.json"));
    };
}
