//! Host-side bindings generated from `wit/` (the current contract, `kura:plugin@0.2.0`)
//! and `wit/0.1.0/` (the previous one, frozen), once. Nothing generated leaves the
//! `plugins` module: `types.rs` converts answers to domain types at the boundary and
//! `compat.rs` serves 0.1 imports through the current implementations.

/// Generates the modules of one WIT version: the host imports, then one per world whose
/// imports are those of `host`.
macro_rules! worlds {
    ($path:literal; $($world:ident = $name:literal;)*) => {
        /// The host imports (http, log, settings, cookies; in 0.2 also task-context and
        /// library) and the shared types.
        pub(crate) mod host {
            wasmtime::component::bindgen!({
                path: $path,
                world: "host",
                imports: { default: async | trappable },
            });
        }
        $(
            #[doc = concat!("The `", $name, "` world.")]
            pub(crate) mod $world {
                wasmtime::component::bindgen!({
                    path: $path,
                    world: $name,
                    imports: { default: async | trappable },
                    exports: { default: async },
                    with: { "kura:plugin": super::host::kura::plugin },
                });
            }
        )*
        pub(crate) use host::kura::plugin::{cookies, http, log, settings, types};
    };
}

/// `kura:plugin@0.2.0`, the contract new plugins are built against.
pub(crate) mod v0_2 {
    worlds! {
        "../wit";
        source = "source-plugin";
        scraper = "scraper-plugin";
        cleaner = "cleaner-plugin";
        playlist_filter = "playlist-filter-plugin";
        task = "task-plugin";
    }
    pub(crate) use host::kura::plugin::{library, task_context};
}

/// `kura:plugin@0.1.0`: its plugins keep loading, unchanged.
pub(crate) mod v0_1 {
    worlds! {
        "../wit/0.1.0";
        source = "source-plugin";
        scraper = "scraper-plugin";
        cleaner = "cleaner-plugin";
    }
}

pub(crate) use v0_2::{cookies, http, log, settings, types};
