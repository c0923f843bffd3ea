//! Misbehaving test plugin: `resolve` reads `/etc/hostname` with `std::fs`, so the component
//! imports `wasi:filesystem` and the host must refuse to load it.

use kura_plugin_sdk::{Error, Source, StreamHit};

/// The exported source.
struct ForbiddenImport;

impl Source for ForbiddenImport {
    fn resolve(_code: String) -> Result<StreamHit, Error> {
        match std::fs::read_to_string("/etc/hostname") {
            Ok(text) => Err(Error::other(format!(
                "read the host's file system: {}",
                text.trim()
            ))),
            Err(error) => Err(Error::other(format!("file system call failed: {error}"))),
        }
    }
}

kura_plugin_sdk::export_source!(ForbiddenImport);
