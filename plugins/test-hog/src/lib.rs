//! Misbehaving test plugin: `resolve` allocates 1 MiB chunks forever, writes to every page of
//! each and keeps them all alive, so only the host's memory cap can stop it.

use kura_plugin_sdk::{Error, Source, StreamHit};

const CHUNK_BYTES: usize = 1 << 20;
const PAGE_BYTES: usize = 4096;

/// The exported source.
struct Hog;

impl Source for Hog {
    fn resolve(_code: String) -> Result<StreamHit, Error> {
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut chunk = vec![0u8; CHUNK_BYTES];
            for index in (0..CHUNK_BYTES).step_by(PAGE_BYTES) {
                chunk[index] = 1;
            }
            chunks.push(std::hint::black_box(chunk));
        }
    }
}

kura_plugin_sdk::export_source!(Hog);
