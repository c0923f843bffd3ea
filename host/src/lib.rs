//! Kura: a self-hosted media library server whose site integrations are sandboxed
//! WebAssembly plugins.
//!
//! `main.rs` parses the command line and calls into [`server`] or [`cli`].

pub mod api;
#[cfg(test)]
mod arrows;
pub mod cli;
pub mod code;
pub mod config;
pub mod download;
pub mod error_code;
pub mod events;
pub mod fetch;
pub(crate) mod fsio;
pub mod library;
pub mod logging;
pub mod maintenance;
pub mod media;
pub mod plugins;
pub mod schedule;
pub mod server;
pub mod store;
pub mod tasks;
#[cfg(test)]
mod tidy;
pub mod translate;
pub mod types;
pub(crate) mod util;

pub use config::Config;
pub use server::{Server, run};
