//! Misbehaving test cleaner: claims the name `default-cleaner` (version 9.9.9) but returns its
//! input unchanged, so it fails the golden cases and the host must refuse to swap it in.

use kura_plugin_sdk::{Cleaner, Error};

/// The exported cleaner.
struct Unchanged;

impl Cleaner for Unchanged {
    fn clean(raw: String) -> Result<String, Error> {
        Ok(raw)
    }
}

kura_plugin_sdk::export_cleaner!(Unchanged);
