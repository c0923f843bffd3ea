//! Project automation: `cargo xtask <command>`.
//!
//! - `build-plugins`: build every plugin in `plugins/` for wasm32-wasip2 (release).
//! - `run`: build everything, start the fixture site on 127.0.0.1:8399 and `kura serve`
//!   with `config/config.yaml` and the shipped plugins.
//! - `test`: build the plugins and the server, then run every test of both workspaces.
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

fn run(args: &[String]) -> Result<()> {
    let plugins = build_plugins()?;
    status(
        cargo()
            .current_dir(root())
            .args(["build", "-p", "kura", "-p", "fixture-site"]),
    )?;
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
