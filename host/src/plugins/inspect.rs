//! Inspecting a plugin file without running it: manifest, hash, imports and exports,
//! and whether this host would accept it.

use serde::Serialize;
use wasmtime::component::Component;

use super::manifest::Manifest;
use super::policy::check_imports;

/// What `kura plugin inspect` prints.
#[derive(Debug, Serialize)]
pub(crate) struct Inspection {
    pub(crate) sha256: String,
    pub(crate) size_bytes: usize,
    pub(crate) manifest: Option<Manifest>,
    pub(crate) imports: Vec<String>,
    pub(crate) exports: Vec<String>,
    /// Every reason this host would refuse the file; empty when it is acceptable.
    pub(crate) problems: Vec<String>,
}

/// Reads the manifest and, when the file is a component, its imports and exports.
pub(crate) fn inspect(bytes: &[u8]) -> Inspection {
    let mut problems = Vec::new();
    let manifest = Manifest::from_component(bytes)
        .map_err(|error| problems.push(error.to_string()))
        .ok();
    let engine = wasmtime::Engine::default();
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    match Component::new(&engine, bytes) {
        Ok(component) => {
            let ty = component.component_type();
            imports = ty
                .imports(&engine)
                .map(|(name, _)| name.to_owned())
                .collect();
            exports = ty
                .exports(&engine)
                .map(|(name, _)| name.to_owned())
                .collect();
            if let Some(manifest) = &manifest {
                // A manifest with an unknown WIT version fails to parse, so it is known here.
                if let Some(serving) = super::wit_version::serving(&manifest.wit)
                    && let Err(problem) = check_imports(&engine, &component, manifest.kind, serving)
                {
                    problems.push(problem);
                }
                let expected = format!("kura:plugin/{}@", manifest.kind);
                if !exports.iter().any(|e| e.starts_with(&expected)) {
                    problems.push(format!("does not export `{expected}{}`", manifest.wit));
                }
            }
        }
        Err(error) => problems.push(format!("not a loadable component: {error:#}")),
    }
    Inspection {
        sha256: crate::util::sha256_hex(bytes),
        size_bytes: bytes.len(),
        manifest,
        imports,
        exports,
        problems,
    }
}
