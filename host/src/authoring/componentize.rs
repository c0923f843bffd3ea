//! Building JavaScript and Python components with the tools their ecosystems publish:
//! componentize-js (StarlingMonkey) from npm and componentize-py from PyPI, at the
//! versions the project pins. WASI is left out (`--disable ...`, `--stub-wasi`), so the
//! component imports only `kura:plugin/*`, as the sandbox requires.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::AuthoringError;
use crate::plugins::Manifest;

/// componentize-py when a project pins none (`[project.optional-dependencies] build`).
const DEFAULT_COMPONENTIZE_PY: &str = "0.25.1";

/// `npm ci` (once), then componentize-js on the package's `main` module.
pub(super) fn js(dir: &Path, manifest: &Manifest) -> Result<Vec<u8>, AuthoringError> {
    let cli = dir.join("node_modules/.bin/componentize-js");
    if !cli.is_file() {
        let install = if dir.join("package-lock.json").is_file() {
            "ci"
        } else {
            "install"
        };
        run(Command::new("npm")
            .args([install, "--no-audit", "--no-fund"])
            .current_dir(dir))?;
    }
    if !cli.is_file() {
        return Err(AuthoringError::Invalid(
            "package.json must depend on @bytecodealliance/componentize-js".to_owned(),
        ));
    }
    let package = read_json(&dir.join("package.json"))?;
    let entry = package["main"].as_str().unwrap_or("src/component.js");
    let wit = wit_dir(dir)?;
    let out = dir.join("build/component.wasm");
    std::fs::create_dir_all(dir.join("build")).map_err(|e| AuthoringError::file(dir, e))?;
    run(Command::new(&cli)
        .arg(dir.join(entry))
        .arg("--wit")
        .arg(&wit)
        .args(["--world-name", &world(manifest)])
        .args([
            "--disable",
            "stdio",
            "random",
            "clocks",
            "http",
            "fetch-event",
        ])
        .arg("--out")
        .arg(&out)
        .current_dir(dir))?;
    std::fs::read(&out).map_err(|e| AuthoringError::file(&out, e))
}

/// A `.venv` with the pinned componentize-py (once), then componentize-py on the app
/// module under `src/`.
pub(super) fn python(dir: &Path, manifest: &Manifest) -> Result<Vec<u8>, AuthoringError> {
    let pyproject = std::fs::read_to_string(dir.join("pyproject.toml"))
        .map_err(|e| AuthoringError::file(dir.join("pyproject.toml"), e))?;
    let cli = dir.join(".venv/bin/componentize-py");
    if !cli.is_file() {
        run(Command::new("python3")
            .args(["-m", "venv", ".venv"])
            .current_dir(dir))?;
        let pin = format!("componentize-py=={}", pinned_componentize_py(&pyproject));
        run(Command::new(dir.join(".venv/bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", &pin])
            .current_dir(dir))?;
    }
    let app = app_module(&pyproject);
    let wit = wit_dir(dir)?;
    let out = dir.join("build/component.wasm");
    std::fs::create_dir_all(dir.join("build")).map_err(|e| AuthoringError::file(dir, e))?;
    run(Command::new(&cli)
        .arg("-d")
        .arg(&wit)
        .args([
            "-w",
            &world(manifest),
            "componentize",
            "--stub-wasi",
            "-p",
            "src",
            &app,
            "-o",
        ])
        .arg(&out)
        .current_dir(dir))?;
    std::fs::read(&out).map_err(|e| AuthoringError::file(&out, e))
}

/// The world of the manifest's kind.
fn world(manifest: &Manifest) -> String {
    format!("{}-plugin", manifest.kind)
}

/// The project's `wit/`, or the current WIT written into `build/wit/`.
fn wit_dir(dir: &Path) -> Result<PathBuf, AuthoringError> {
    let own = dir.join("wit");
    if own.is_dir() {
        return Ok(own);
    }
    let written = dir.join("build/wit");
    super::scaffold::write_current_wit(&written)?;
    Ok(written)
}

/// `componentize-py==X` from the project's pins, else the tested default.
fn pinned_componentize_py(pyproject: &str) -> String {
    pyproject
        .split('"')
        .find_map(|item| item.trim().strip_prefix("componentize-py=="))
        .unwrap_or(DEFAULT_COMPONENTIZE_PY)
        .to_owned()
}

/// `[tool.kura] app = "..."`, else `app`.
fn app_module(pyproject: &str) -> String {
    pyproject
        .lines()
        .filter_map(|line| line.trim().strip_prefix("app"))
        .filter_map(|rest| rest.trim().strip_prefix('='))
        .map(|value| value.trim().trim_matches('"').to_owned())
        .find(|value| !value.is_empty())
        .unwrap_or_else(|| "app".to_owned())
}

fn read_json(path: &Path) -> Result<serde_json::Value, AuthoringError> {
    let text = std::fs::read(path).map_err(|e| AuthoringError::file(path, e))?;
    serde_json::from_slice(&text).map_err(|e| AuthoringError::file(path, e))
}

/// Runs a tool, its output shown to the author.
fn run(command: &mut Command) -> Result<(), AuthoringError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let status = command
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|error| AuthoringError::Tool {
            program: program.clone(),
            reason: error.to_string(),
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(AuthoringError::BuildFailed {
            command: program,
            status: status.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_read_from_pyproject() {
        let pyproject = "[project.optional-dependencies]\nbuild = [\"componentize-py==0.26.0\"]\n[tool.kura]\napp = \"plugin\"\n";
        assert_eq!(pinned_componentize_py(pyproject), "0.26.0");
        assert_eq!(app_module(pyproject), "plugin");
        assert_eq!(
            pinned_componentize_py("[project]\n"),
            DEFAULT_COMPONENTIZE_PY
        );
        assert_eq!(app_module("[project]\n"), "app");
    }
}
