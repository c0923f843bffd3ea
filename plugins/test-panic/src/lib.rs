//! Misbehaving test plugin: `resolve` panics, which traps the instance.

use kura_plugin_sdk::{Error, Source, StreamHit};

/// The exported source.
struct Panic;

impl Source for Panic {
    fn resolve(code: String) -> Result<StreamHit, Error> {
        panic!("test-panic: resolve({code}) panics on purpose");
    }
}

kura_plugin_sdk::export_source!(Panic);
