//! Misbehaving test plugin: a source built with `wit-bindgen` directly against a private copy
//! of the WIT whose package is `kura:plugin@0.3.0` (in `wit/`), so it exports
//! `kura:plugin/source@0.3.0`, which a host implementing 0.1 and 0.2 must refuse.
#![allow(unsafe_code)]

wit_bindgen::generate!({
    path: "wit",
    world: "source-plugin",
});

use exports::kura::plugin::source::Guest;
use kura::plugin::types::{Error, SearchHit, StreamHit};

/// The exported source.
struct Mismatch;

impl Guest for Mismatch {
    fn resolve(code: String) -> Result<StreamHit, Error> {
        Err(Error::NotFound(code))
    }

    fn search(_query: String) -> Result<Vec<SearchHit>, Error> {
        Ok(Vec::new())
    }
}

export!(Mismatch);

/// The manifest, embedded as the `kura:manifest` custom section.
#[cfg_attr(target_arch = "wasm32", unsafe(link_section = "kura:manifest"))]
#[used]
static MANIFEST: [u8; include_bytes!("../manifest.json").len()] =
    *include_bytes!("../manifest.json");
