//! Prints what a plugin costs in each language, for the same job: component size, first
//! compile (the load with an empty compiled cache), the load after a restart (from the
//! cache), and the median fresh-instance call, as the server measures it (its call
//! statistics) and as an API client sees it (the HTTP round trip included).
//!
//! Jobs: cleaning an LLM answer (Rust `default-cleaner`, JavaScript `js-cleaner`, and a
//! Python cleaner built here from `kura plugin new --kind cleaner --lang python`), and
//! scraping JSON-LD from the fixture site (Rust `jsonld`, Python `py-jsonld`, and a
//! JavaScript scraper built here from the scaffold).
//!
//! Run after `cargo xtask test` (or `run`), which builds the plugins, and
//! `cargo build --release -p kura -p kura-bench`:
//! `cargo run --release -p kura-bench --bin plugin_languages [CALLS]` (default 200).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use kura::{Config, Overrides};
use serde_json::{Value, json};

#[path = "../built.rs"]
mod built;
use built::wasm;

/// Give up waiting for a plugin to load after this long: a hang guard, not a goal.
const PATIENCE: Duration = Duration::from_secs(300);

/// One plugin doing one job.
struct Case {
    job: &'static str,
    lang: &'static str,
    name: String,
    file: PathBuf,
    input: &'static str,
}

/// A server on `data` with `plugins` in its directory and the fixture site's settings.
async fn start(data: &Path, fixture: &str) -> Result<kura::Server> {
    let yaml = format!(
        "server:\n  port: 0\nplugins:\n  builtins: false\nfetch:\n  allow_private_hosts: [\"{host}\"]\nscrapers:\n  jsonld:\n    settings:\n      url_template: \"{fixture}/meta/{{code}}\"\n  py-jsonld:\n    settings:\n      url_template: \"{fixture}/meta/{{code}}\"\n  js-scraper:\n    domain: \"{fixture}/meta\"\n",
        host = fixture.trim_start_matches("http://"),
    );
    let overrides = Overrides {
        data_dir: Some(data.to_path_buf()),
        ..Overrides::default()
    };
    let config = Config::parse(&yaml, Path::new("bench.yaml"), &overrides)?;
    kura::Server::start(config).await
}

/// The plugin's view once it serves.
async fn serving(client: &reqwest::Client, base: &str, name: &str) -> Result<Value> {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        let list: Value = client
            .get(format!("{base}/api/plugins"))
            .send()
            .await?
            .json()
            .await?;
        if let Some(view) = list["plugins"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
        {
            return Ok(view.clone());
        }
        if list["load_errors"].to_string().contains(name) {
            bail!("{name} failed to load: {}", list["load_errors"]);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("{name} never loaded")
}

/// Builds a scaffolded plugin with the release `kura`; its file.
fn scaffold(kura: &Path, work: &Path, name: &str, kind: &str, lang: &str) -> Result<PathBuf> {
    let run = |dir: &Path, args: &[&str]| -> Result<()> {
        let status = Command::new(kura)
            .args(args)
            .current_dir(dir)
            .status()
            .with_context(|| format!("{}", kura.display()))?;
        if !status.success() {
            bail!("kura {args:?} failed");
        }
        Ok(())
    };
    run(
        work,
        &["plugin", "new", name, "--kind", kind, "--lang", lang],
    )?;
    let project = work.join(name);
    run(&project, &["plugin", "build"])?;
    Ok(project.join("dist").join(format!("{name}-0.1.0.wasm")))
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let calls: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(200);
    // The `kura` built beside this bench (the same profile and target directory).
    let kura = std::env::current_exe()?.with_file_name("kura");
    if !kura.is_file() {
        bail!("build it first: cargo build --release -p kura -p kura-bench");
    }
    let work = tempfile::tempdir()?;
    let mut cases = vec![
        Case {
            job: "clean",
            lang: "rust",
            name: "default-cleaner".into(),
            file: wasm("default-cleaner"),
            input: "Translation: **\"Summer Seaside\"** (Note: literal)",
        },
        Case {
            job: "clean",
            lang: "js",
            name: "js-cleaner".into(),
            file: wasm("js-cleaner"),
            input: "Translation: **\"Summer Seaside\"** (Note: literal)",
        },
        Case {
            job: "scrape",
            lang: "rust",
            name: "jsonld".into(),
            file: wasm("jsonld"),
            input: "DEMO-001",
        },
        Case {
            job: "scrape",
            lang: "python",
            name: "py-jsonld".into(),
            file: wasm("py-jsonld"),
            input: "DEMO-001",
        },
    ];
    cases.push(Case {
        job: "clean",
        lang: "python",
        name: "py-cleaner".into(),
        file: scaffold(&kura, work.path(), "py-cleaner", "cleaner", "python")?,
        input: "Translation: **\"Summer Seaside\"** (Note: literal)",
    });
    cases.push(Case {
        job: "scrape",
        lang: "js",
        name: "js-scraper".into(),
        file: scaffold(&kura, work.path(), "js-scraper", "scraper", "js")?,
        input: "DEMO-001",
    });
    cases.sort_by_key(|case| (case.job, case.lang));

    let fixture = fixture_site::FixtureSite::start(fixture_site::FixtureConfig::default()).await?;
    let client = reqwest::Client::new();
    println!("plugin costs by language, {calls} calls each (one run, this machine)");
    println!(
        "| job | language | plugin | size | first load (compile + checks) | restart (cache + checks) | call, server mean | call, client median |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|");
    for case in &cases {
        let bytes = std::fs::read(&case.file)
            .with_context(|| format!("{}: run `cargo xtask test` first", case.file.display()))?;
        let data = tempfile::tempdir()?;
        std::fs::create_dir_all(data.path().join("plugins"))?;
        std::fs::write(
            data.path()
                .join("plugins")
                .join(format!("{}.wasm", case.name)),
            &bytes,
        )?;
        // First start: nothing compiled.
        let server = start(data.path(), &fixture.base_url()).await?;
        let base = format!("http://{}", server.addr());
        let first = serving(&client, &base, &case.name).await?;
        server.shutdown().await;
        // Restart on the same data directory: from the compiled cache.
        let server = start(data.path(), &fixture.base_url()).await?;
        let base = format!("http://{}", server.addr());
        let cached = serving(&client, &base, &case.name).await?;
        let mut round_trips = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            let response = client
                .post(format!("{base}/api/plugins/{}/call", case.name))
                .json(&json!({ "input": case.input }))
                .send()
                .await?;
            let status = response.status();
            let _ = response.bytes().await?;
            round_trips.push(started.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() {
                bail!("{} answered {status}", case.name);
            }
        }
        let view = serving(&client, &base, &case.name).await?;
        server.shutdown().await;
        println!(
            "| {} | {} | {} | {:.1} MB | {:.0} ms{} | {:.0} ms{} | {:.2} ms (mean) | {:.2} ms |",
            case.job,
            case.lang,
            case.name,
            bytes.len() as f64 / 1e6,
            first["load_ms"].as_f64().unwrap_or(0.0),
            if first["from_cache"] == true {
                " (cached?)"
            } else {
                ""
            },
            cached["load_ms"].as_f64().unwrap_or(0.0),
            if cached["from_cache"] == true {
                ""
            } else {
                " (not cached?)"
            },
            view["stats"]["mean_ms"].as_f64().unwrap_or(0.0),
            median(round_trips),
        );
    }
    Ok(())
}
