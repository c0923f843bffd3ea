//! Compiling components, with an on-disk cache keyed by content hash and engine
//! compatibility, so a restart does not recompile.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::fsio::{self, WriteOptions};

/// Whether the compiled code came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompileSource {
    Cache,
    Compiled,
}

/// Compiles `bytes` (whose sha256 is `sha256`) or loads the cached artifact.
///
/// Artifacts are written to a temporary file and renamed into place, and a file is
/// never rewritten in place, because loaded artifacts are memory-mapped.
pub(super) fn compile_cached(
    engine: &Engine,
    cache_dir: &Path,
    bytes: &[u8],
    sha256: &str,
) -> wasmtime::Result<(Component, CompileSource)> {
    let path = artifact_path(engine, cache_dir, sha256);
    if path.is_file() {
        match deserialize(engine, &path) {
            Ok(component) => return Ok((component, CompileSource::Cache)),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "discarding unusable compiled plugin");
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let artifact = engine.precompile_component(bytes)?;
    match write_file_atomically(&path, &artifact) {
        Ok(()) => Ok((deserialize(engine, &path)?, CompileSource::Compiled)),
        Err(error) => {
            // A read-only or full cache directory costs a recompile next time, nothing more.
            tracing::warn!(path = %path.display(), %error, "cannot write the compiled-plugin cache");
            Ok((Component::new(engine, bytes)?, CompileSource::Compiled))
        }
    }
}

/// `{cache_dir}/{sha256}-{engine hash}.cwasm`.
pub(super) fn artifact_path(engine: &Engine, cache_dir: &Path, sha256: &str) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    cache_dir.join(format!("{sha256}-{:016x}.cwasm", hasher.finish()))
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: the cache directory is written only by this host, with artifacts it
    // compiled itself from the content-hashed source, renamed into place and never
    // modified afterwards; wasmtime rejects artifacts from another engine version.
    unsafe { Component::deserialize_file(engine, path) }
}

/// Writes a file atomically (temporary file, fsync, rename, directory sync), creating
/// its directory; used for plugin files and the plugin state too. Mode 0644, as the
/// files an operator copies into the plugins directory.
pub(super) fn write_file_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    fsio::write_atomic(path, bytes, WriteOptions::new(0o644))
}
