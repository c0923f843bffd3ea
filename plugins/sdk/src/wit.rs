//! Guest bindings generated once from this crate's `wit/` (a copy of the repository's, so
//! the crate builds on its own): the host imports, and one module per plugin world.
//!
//! Each world is generated with `pub_export_macro`, so this crate embeds only the
//! export-free description of each world; the full world (with its export) is embedded
//! by the export macro in the plugin crate that invokes it. That is what keeps a
//! cleaner from having to export `source` just because the SDK knows about sources.
#![allow(unsafe_code, missing_docs, clippy::all)]

wit_bindgen::generate!({
    path: "wit",
    world: "host",
    additional_derives: [PartialEq, Eq],
});

/// The `source-plugin` world: exports `kura:plugin/source`.
pub mod source {
    wit_bindgen::generate!({
        path: "wit",
        world: "source-plugin",
        pub_export_macro: true,
        export_macro_name: "export_source_world",
        default_bindings_module: "$crate::wit::source",
        with: {
            "kura:plugin/types@0.2.0": crate::wit::kura::plugin::types,
            "kura:plugin/http@0.2.0": crate::wit::kura::plugin::http,
            "kura:plugin/log@0.2.0": crate::wit::kura::plugin::log,
            "kura:plugin/settings@0.2.0": crate::wit::kura::plugin::settings,
            "kura:plugin/cookies@0.2.0": crate::wit::kura::plugin::cookies,
        },
    });
}

/// The `scraper-plugin` world: exports `kura:plugin/scraper`.
pub mod scraper {
    wit_bindgen::generate!({
        path: "wit",
        world: "scraper-plugin",
        pub_export_macro: true,
        export_macro_name: "export_scraper_world",
        default_bindings_module: "$crate::wit::scraper",
        with: {
            "kura:plugin/types@0.2.0": crate::wit::kura::plugin::types,
            "kura:plugin/http@0.2.0": crate::wit::kura::plugin::http,
            "kura:plugin/log@0.2.0": crate::wit::kura::plugin::log,
            "kura:plugin/settings@0.2.0": crate::wit::kura::plugin::settings,
            "kura:plugin/cookies@0.2.0": crate::wit::kura::plugin::cookies,
        },
    });
}

/// The `cleaner-plugin` world: exports `kura:plugin/cleaner`; imports only `log` and `settings`.
pub mod cleaner {
    wit_bindgen::generate!({
        path: "wit",
        world: "cleaner-plugin",
        pub_export_macro: true,
        export_macro_name: "export_cleaner_world",
        default_bindings_module: "$crate::wit::cleaner",
        with: {
            "kura:plugin/types@0.2.0": crate::wit::kura::plugin::types,
            "kura:plugin/log@0.2.0": crate::wit::kura::plugin::log,
            "kura:plugin/settings@0.2.0": crate::wit::kura::plugin::settings,
        },
    });
}

/// The `task-plugin` world: exports `kura:plugin/task`; imports the network's interfaces,
/// `task-context` and `library`.
pub mod task {
    wit_bindgen::generate!({
        path: "wit",
        world: "task-plugin",
        pub_export_macro: true,
        export_macro_name: "export_task_world",
        default_bindings_module: "$crate::wit::task",
        with: {
            "kura:plugin/types@0.2.0": crate::wit::kura::plugin::types,
            "kura:plugin/http@0.2.0": crate::wit::kura::plugin::http,
            "kura:plugin/log@0.2.0": crate::wit::kura::plugin::log,
            "kura:plugin/settings@0.2.0": crate::wit::kura::plugin::settings,
            "kura:plugin/cookies@0.2.0": crate::wit::kura::plugin::cookies,
            "kura:plugin/task-context@0.2.0": crate::wit::kura::plugin::task_context,
            "kura:plugin/library@0.2.0": crate::wit::kura::plugin::library,
        },
    });
}

/// The `playlist-filter-plugin` world: exports `kura:plugin/playlist-filter`; imports only
/// `log` and `settings`.
pub mod playlist_filter {
    wit_bindgen::generate!({
        path: "wit",
        world: "playlist-filter-plugin",
        pub_export_macro: true,
        export_macro_name: "export_playlist_filter_world",
        default_bindings_module: "$crate::wit::playlist_filter",
        with: {
            "kura:plugin/types@0.2.0": crate::wit::kura::plugin::types,
            "kura:plugin/log@0.2.0": crate::wit::kura::plugin::log,
            "kura:plugin/settings@0.2.0": crate::wit::kura::plugin::settings,
        },
    });
}
