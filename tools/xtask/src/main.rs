//! Project automation: `cargo xtask <command>`.
//!
//! - `build-plugins`: build every Rust plugin in `plugins/` for wasm32-wasip2 (release);
//!   `run` and `test` then build the JavaScript and Python ones with `kura plugin build`.
//! - `run`: build everything, start the fixture site on 127.0.0.1:8399 and `kura serve`
//!   with `config/config.yaml` and the shipped plugins.
//! - `test`: build the plugins and the server, then run every test of both workspaces,
//!   the web UI's module tests (`node --test web/tests`) and its browser tests
//!   (`tests/ui`, pytest + Playwright driving the system's Chromium, from a venv in
//!   `target/ui-venv`); each of the last two is skipped with the reason when its tools
//!   are missing.
//! - `lint`: rustfmt and clippy (warnings are errors) in both workspaces.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};

use anyhow::{Context, Result, bail};

/// Where the demo's fixture site listens (config/config.yaml points here).
const FIXTURE_ADDR: (&str, &str) = ("127.0.0.1", "8399");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build-plugins") => build_plugins().map(|_| ()),
        Some("run") => run(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("lint") => lint(),
        _ => {
            eprintln!("usage: cargo xtask <build-plugins | run | test | lint>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

fn status(command: &mut Command) -> Result<()> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Adds the wasm target when rustup is there and the target is missing.
fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(output) if String::from_utf8_lossy(&output.stdout).contains("wasm32-wasip2") => Ok(()),
        Ok(_) => status(Command::new("rustup").args(["target", "add", "wasm32-wasip2"])),
        Err(_) => Ok(()), // no rustup: the build below says what is missing
    }
}

/// Plugin crates: directories under plugins/ with a manifest.json.
fn plugin_crates() -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root().join("plugins"))? {
        let path = entry?.path();
        if path.join("manifest.json").is_file()
            && path.join("Cargo.toml").is_file()
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// The output directory of plugin builds.
fn plugin_out_dir() -> PathBuf {
    root().join("plugins/target/wasm32-wasip2/release")
}

/// Builds every plugin (the plugins workspace's default members) in one cargo run.
fn build_plugins() -> Result<Vec<(String, PathBuf)>> {
    ensure_wasm_target()?;
    status(cargo().current_dir(root().join("plugins")).args([
        "build",
        "--quiet",
        "--release",
        "--target",
        "wasm32-wasip2",
    ]))?;
    let mut built = Vec::new();
    for name in plugin_crates()? {
        let file = plugin_out_dir().join(format!("{}.wasm", name.replace('-', "_")));
        if !file.is_file() {
            bail!(
                "{name} is not a default member of plugins/Cargo.toml: {} is missing",
                file.display()
            );
        }
        built.push((name, file));
    }
    println!(
        "built {} plugins into {}",
        built.len(),
        plugin_out_dir().display()
    );
    Ok(built)
}

/// Plugins written in JavaScript or Python: directories under plugins/ with a manifest
/// and a package.json or pyproject.toml.
fn language_plugins() -> Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root().join("plugins"))? {
        let path = entry?.path();
        let lang = ["package.json", "pyproject.toml"]
            .into_iter()
            .any(|file| path.join(file).is_file());
        if lang
            && path.join("manifest.json").is_file()
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            found.push((name.to_owned(), path.clone()));
        }
    }
    found.sort();
    Ok(found)
}

/// Whether the tools a language plugin needs are installed; the reason when not.
fn language_tools_missing(dir: &Path) -> Option<String> {
    if dir.join("package.json").is_file() && !works("npm", &["--version"]) {
        return Some("npm is not installed".to_owned());
    }
    if dir.join("pyproject.toml").is_file() && !works("python3", &["-m", "venv", "--help"]) {
        return Some("python3 with venv is not installed".to_owned());
    }
    None
}

/// Whether `program args` runs and succeeds (its output discarded): a tool is installed.
fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Builds the JavaScript and Python plugins with `kura plugin build` (the server must be
/// built) into the plugins' output directory, beside the Rust ones. A plugin whose tools
/// are missing is skipped with the reason; tests that need it say so and skip too.
fn build_language_plugins() -> Result<Vec<(String, PathBuf)>> {
    let kura = root().join("target/debug/kura");
    let mut built = Vec::new();
    for (name, dir) in language_plugins()? {
        if let Some(reason) = language_tools_missing(&dir) {
            println!("skipping the {name} plugin: {reason}");
            continue;
        }
        status(Command::new(&kura).args(["plugin", "build"]).arg(&dir))?;
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
        let version = manifest["version"].as_str().unwrap_or_default();
        let dist = dir.join("dist").join(format!("{name}-{version}.wasm"));
        let file = plugin_out_dir().join(format!("{}.wasm", name.replace('-', "_")));
        std::fs::copy(&dist, &file).with_context(|| format!("{}", dist.display()))?;
        built.push((name, file));
    }
    Ok(built)
}

fn run(args: &[String]) -> Result<()> {
    let mut plugins = build_plugins()?;
    status(
        cargo()
            .current_dir(root())
            .args(["build", "-p", "kura", "-p", "fixture-site"]),
    )?;
    plugins.extend(build_language_plugins()?);
    let data_dir = root().join("data");
    let plugin_dir = data_dir.join("plugins");
    std::fs::create_dir_all(&plugin_dir)?;
    for (name, file) in plugins
        .iter()
        .filter(|(name, _)| !name.starts_with("test-"))
    {
        let target = plugin_dir.join(format!("{name}.wasm"));
        let fresh = std::fs::read(file)?;
        if std::fs::read(&target).ok().as_deref() != Some(fresh.as_slice()) {
            std::fs::write(&target, fresh)?;
        }
    }
    let bin = root().join("target/debug");
    let mut fixture = Guard(
        Command::new(bin.join("fixture-site"))
            .args(["--host", FIXTURE_ADDR.0, "--port", FIXTURE_ADDR.1])
            .spawn()
            .context("cannot start the fixture site")?,
    );
    let server = Command::new(bin.join("kura"))
        .current_dir(root())
        .args(["--config", "config/config.yaml", "--data-dir"])
        .arg(&data_dir)
        .arg("serve")
        .args(args)
        .status();
    let _ = fixture.0.kill();
    let server = server.context("cannot start kura")?;
    if !server.success() {
        bail!("kura exited with {server}");
    }
    Ok(())
}

/// Kills the child when dropped, so an error never leaves the fixture site running.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn test(args: &[String]) -> Result<()> {
    build_plugins()?;
    status(
        cargo()
            .current_dir(root())
            .args(["build", "-p", "kura", "-p", "fixture-site"]),
    )?;
    build_language_plugins()?;
    status(
        cargo()
            .current_dir(root().join("plugins"))
            .args(["test", "--quiet"]),
    )?;
    status(
        cargo()
            .current_dir(root())
            .args(["test", "--workspace"])
            .args(args),
    )?;
    web_module_tests()?;
    browser_tests()
}

/// Where the browser tests expect Chromium (Debian's package), unless `KURA_CHROMIUM`
/// names another.
fn chromium() -> PathBuf {
    std::env::var_os("KURA_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// The UI's pure modules under `node --test`, when node is installed.
fn web_module_tests() -> Result<()> {
    if !works("node", &["--version"]) {
        println!("skipping the web UI's module tests: node is not installed");
        return Ok(());
    }
    status(
        Command::new("node")
            .current_dir(root())
            .args(["--test", "web/tests/"]),
    )
}

/// The browser tests: a venv with the pinned requirements (made again when they change),
/// then pytest. Skipped with the reason when Chromium or Python's venv is missing.
fn browser_tests() -> Result<()> {
    let chromium = chromium();
    if !chromium.is_file() {
        println!(
            "skipping the web UI's browser tests: {} is not installed (apt-get install chromium)",
            chromium.display()
        );
        return Ok(());
    }
    let requirements = root().join("tests/ui/requirements.txt");
    let venv = root().join("target/ui-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("requirements.txt");
    let wanted = std::fs::read(&requirements).context("tests/ui/requirements.txt")?;
    if std::fs::read(&stamp).ok().as_deref() != Some(wanted.as_slice()) {
        if !works("python3", &["-m", "venv", "--help"]) {
            println!("skipping the web UI's browser tests: python3 with venv is not installed");
            return Ok(());
        }
        status(
            Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv),
        )?;
        status(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements),
        )?;
        std::fs::write(&stamp, wanted)?;
    }
    status(
        Command::new(&python)
            .current_dir(root())
            .env("KURA_CHROMIUM", &chromium)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/ui"]),
    )
}

fn lint() -> Result<()> {
    for dir in [root(), root().join("plugins")] {
        status(cargo().current_dir(&dir).args(["fmt", "--all", "--check"]))?;
        status(cargo().current_dir(&dir).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    Ok(())
}
