//! Host-side bindings generated from `wit/`, once. Nothing generated leaves the
//! `plugins` module: `types.rs` converts to domain types at the boundary.

/// The host imports (http, log, settings, cookies) and the shared types.
pub(super) mod host {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "host",
        imports: { default: async | trappable },
    });
}

/// The `source-plugin` world.
pub(super) mod source {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "source-plugin",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "kura:plugin/types": super::host::kura::plugin::types,
            "kura:plugin/http": super::host::kura::plugin::http,
            "kura:plugin/log": super::host::kura::plugin::log,
            "kura:plugin/settings": super::host::kura::plugin::settings,
            "kura:plugin/cookies": super::host::kura::plugin::cookies,
        },
    });
}

/// The `scraper-plugin` world.
pub(super) mod scraper {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "scraper-plugin",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "kura:plugin/types": super::host::kura::plugin::types,
            "kura:plugin/http": super::host::kura::plugin::http,
            "kura:plugin/log": super::host::kura::plugin::log,
            "kura:plugin/settings": super::host::kura::plugin::settings,
            "kura:plugin/cookies": super::host::kura::plugin::cookies,
        },
    });
}

/// The `cleaner-plugin` world.
pub(super) mod cleaner {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "cleaner-plugin",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "kura:plugin/types": super::host::kura::plugin::types,
            "kura:plugin/log": super::host::kura::plugin::log,
            "kura:plugin/settings": super::host::kura::plugin::settings,
        },
    });
}

pub(super) use host::kura::plugin::{cookies, http, log, settings, types};
