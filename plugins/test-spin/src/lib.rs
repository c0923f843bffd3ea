//! Misbehaving test plugin: `resolve` loops forever without calling the host, so only the
//! host's CPU deadline (epoch interruption) can stop it.

use kura_plugin_sdk::{Error, Source, StreamHit};

/// The exported source.
struct Spin;

impl Source for Spin {
    fn resolve(_code: String) -> Result<StreamHit, Error> {
        let mut counter: u64 = 0;
        loop {
            counter = std::hint::black_box(counter.wrapping_add(1));
        }
    }
}

kura_plugin_sdk::export_source!(Spin);
