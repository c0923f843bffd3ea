//! `kura plugin build`: runs the project's own compiler (cargo, or the componentize tools
//! of `componentize.rs`), then embeds what the toolchain does not (the manifest for
//! JavaScript and Python, the probes for every language) and writes
//! `dist/NAME-VERSION.wasm`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{AuthoringError, Lang};
use crate::plugins::Manifest;

/// A built plugin file.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub(crate) wasm: PathBuf,
    pub(crate) manifest: Manifest,
    pub(crate) size: usize,
    pub(crate) probes: bool,
}

/// Builds the project in `dir`.
pub(crate) fn build(dir: &Path) -> Result<Built, AuthoringError> {
    let lang = Lang::detect(dir).ok_or_else(|| AuthoringError::NotAProject(dir.to_owned()))?;
    let manifest_path = dir.join("manifest.json");
    let manifest_json =
        std::fs::read(&manifest_path).map_err(|e| AuthoringError::file(&manifest_path, e))?;
    let manifest = Manifest::from_json(&manifest_json)
        .map_err(|error| AuthoringError::file(&manifest_path, error))?;
    let mut wasm = match lang {
        Lang::Rust => cargo_build(dir)?,
        Lang::Js => super::componentize::js(dir, &manifest)?,
        Lang::Python => super::componentize::python(dir, &manifest)?,
    };
    // A Rust build embeds the manifest through the SDK; the others get it here.
    if Manifest::from_component(&wasm).is_err() {
        crate::plugins::append_custom_section(
            &mut wasm,
            crate::plugins::MANIFEST_SECTION,
            &manifest_json,
        );
    }
    let embedded = Manifest::from_component(&wasm)
        .map_err(|error| AuthoringError::Invalid(format!("the built component: {error}")))?;
    if embedded != manifest {
        return Err(AuthoringError::Invalid(
            "the manifest embedded by the build differs from manifest.json: build again".to_owned(),
        ));
    }
    let probes_path = dir.join("probes.json");
    let probes = probes_path.is_file();
    if probes {
        let probes_json =
            std::fs::read(&probes_path).map_err(|e| AuthoringError::file(&probes_path, e))?;
        wasm = crate::plugins::pack_probes(&wasm, &probes_json)
            .map_err(|error| AuthoringError::file(&probes_path, error))?;
    }
    let out = dir
        .join("dist")
        .join(format!("{}-{}.wasm", manifest.name, manifest.version));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| AuthoringError::file(parent, e))?;
    }
    crate::fsio::write_atomic(&out, &wasm, crate::fsio::WriteOptions::new(0o644))
        .map_err(|e| AuthoringError::file(&out, e))?;
    Ok(Built {
        wasm: out,
        size: wasm.len(),
        manifest,
        probes,
    })
}

/// `cargo build --release --target wasm32-wasip2`; the `.wasm` it reports.
fn cargo_build(dir: &Path) -> Result<Vec<u8>, AuthoringError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let args = [
        "build",
        "--release",
        "--target",
        "wasm32-wasip2",
        "--message-format=json-render-diagnostics",
    ];
    let output = Command::new(&cargo)
        .args(args)
        .current_dir(dir)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| AuthoringError::Tool {
            program: cargo.clone(),
            reason: error.to_string(),
        })?;
    if !output.status.success() {
        return Err(AuthoringError::BuildFailed {
            command: format!("cargo {}", args.join(" ")),
            status: output.status.to_string(),
        });
    }
    let wasm = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| {
            message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|kind| kind == "cdylib"))
        })
        .flat_map(|message| message["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|name| name.as_str().map(PathBuf::from))
        .rfind(|path| path.extension().is_some_and(|ext| ext == "wasm"))
        .ok_or(AuthoringError::NoOutput)?;
    std::fs::read(&wasm).map_err(|e| AuthoringError::file(&wasm, e))
}
