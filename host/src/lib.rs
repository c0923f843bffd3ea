//! Kura: a self-hosted media library server whose site integrations are sandboxed
//! WebAssembly plugins.
//!
//! `main.rs` parses the command line and calls [`cli::run`]. The public surface is what
//! the binary, the integration tests (`tests/it`) and the tools (`tools/bench`) use:
//! the modules below that are `pub` and the re-exports at the end; everything else is
//! `pub(crate)`, which `unreachable_pub` keeps so.

#![warn(unreachable_pub)]

mod api;
#[cfg(test)]
mod arrows;
mod authoring;
pub mod cli;
mod cluster;
mod code;
mod config;
pub mod download;
mod error_code;
pub mod events;
mod fetch;
mod fsio;
mod library;
mod logging;
mod maintenance;
mod media;
pub mod plugin_index;
pub mod plugins;
mod schedule;
mod server;
pub mod store;
mod tasks;
mod telemetry;
#[cfg(test)]
mod tidy;
mod translate;
mod types;
mod util;

pub use config::{Config, Overrides};
pub use error_code::ErrorCode;
pub use fetch::FetchClient;
pub use maintenance::{Maintenance, MaintenanceError, UpgradeOutcome};
pub use media::MediaStore;
pub use server::Server;
pub use tasks::TaskQueue;
