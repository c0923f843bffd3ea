//! Kura's integration tests: the real server, real plugins built for wasm32-wasip2, and
//! the fixture site on loopback. Run through `cargo xtask test`, which builds the
//! plugins and the `kura` binary first.

mod support;

mod api;
mod cluster;
mod download_faults;
mod downloads;
mod egress;
mod fix_codes;
mod hot_swap;
mod library;
mod logging;
mod maintenance;
mod plugin_authoring;
mod plugin_index;
mod plugin_languages;
mod plugin_tasks;
mod plugins;
mod prometheus;
mod sandbox;
mod security;
mod tasks;
mod translation;
mod web;
mod websocket;
