//! Prints how fast a release published to a plugin index reaches a running server, and
//! how fast a bad one is rolled back.
//!
//! - Publish to serve: a server follows an index on loopback (poll every second) with
//!   `test-swap` 1.0.0 installed and 4 clients calling it; the publisher signs and adds
//!   2.0.0 with the `kura` binary, then runs `kura index sign`; the figure is from the
//!   start of `kura index sign` to the first call answered by 2.0.0, with the server's
//!   own split (download, verify, prepare with compile and probes, live canary) from its
//!   `plugin_update_installed` event. Failed calls are counted. Every round is a fresh
//!   server (so every round compiles) and a fresh index.
//! - Failure to rollback: `test-canary` 1.0.0 serves; 3.0.0 passes its recorded probes
//!   and fails against the site; from the first call 3.0.0 fails to 1.0.0 serving again.
//!
//! Run after `cargo xtask test` (or the plugins built) and `cargo build --release -p
//! kura`: `cargo run --release -p kura-bench --bin index_update [ROUNDS]` (default 10).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

/// Clients calling the plugin throughout.
const CLIENTS: usize = 4;
/// A hang guard, not a goal.
const PATIENCE: Duration = Duration::from_secs(120);

#[path = "../built.rs"]
mod built;
use built::wasm;

/// The `kura` binary beside this one (the same profile and target directory).
fn kura_bin() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .context("no directory")?
        .join(format!("kura{}", std::env::consts::EXE_SUFFIX));
    ensure!(
        bin.is_file(),
        "{} is missing: run `cargo build --release -p kura` first",
        bin.display()
    );
    Ok(bin)
}

/// A publisher's directory: keys, plugin files, the index under `site/`.
struct Publisher {
    dir: tempfile::TempDir,
    kura: PathBuf,
}

impl Publisher {
    fn new(kura: PathBuf) -> Result<Self> {
        let publisher = Self {
            dir: tempfile::tempdir()?,
            kura,
        };
        for name in ["root", "index", "author"] {
            publisher.run(&["plugin", "keygen", "--unencrypted", "--name", name])?;
        }
        publisher.run(&[
            "index",
            "init",
            "site",
            "--name",
            "bench",
            "--root-key",
            "root.key",
            "--index-key",
            "index.pub",
        ])?;
        Ok(publisher)
    }

    fn run(&self, args: &[&str]) -> Result<()> {
        let output = Command::new(&self.kura)
            .args(args)
            .arg("--data-dir")
            .arg(self.dir.path().join("kura-data"))
            .current_dir(self.dir.path())
            .env_remove("KURA_CONFIG")
            .output()?;
        ensure!(
            output.status.success(),
            "kura {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }

    /// Copies a built plugin in, packs probes into it when given, signs it and adds it.
    fn add(&self, plugin: &str, probes: Option<&Value>) -> Result<()> {
        let file = format!("{plugin}.wasm");
        std::fs::copy(wasm(plugin), self.dir.path().join(&file))
            .with_context(|| format!("{plugin}: build the plugins first"))?;
        if let Some(probes) = probes {
            let probes_file = format!("{plugin}.probes.json");
            std::fs::write(self.dir.path().join(&probes_file), probes.to_string())?;
            self.run(&["plugin", "pack", &file, "--probes", &probes_file])?;
        }
        self.run(&["plugin", "sign", &file, "--key", "author.key"])?;
        self.run(&["index", "add", "site", &file, "--author-key", "author.pub"])
    }

    fn sign(&self) -> Result<()> {
        self.run(&["index", "sign", "site", "--key", "index.key"])
    }

    fn root_key(&self) -> Result<String> {
        let text = std::fs::read_to_string(self.dir.path().join("root.pub"))?;
        Ok(text.lines().nth(1).context("root.pub")?.trim().to_owned())
    }
}

/// A server following the publisher's index, served by a fixture site.
struct Following {
    server: kura::Server,
    _fixture: fixture_site::FixtureSite,
    _data: tempfile::TempDir,
    http: reqwest::Client,
}

impl Following {
    async fn start(publisher: &Publisher, watch_window: u64) -> Result<Self> {
        let fixture = fixture_site::FixtureSite::start(fixture_site::FixtureConfig {
            files: Some(publisher.dir.path().to_owned()),
            ..fixture_site::FixtureConfig::default()
        })
        .await?;
        let base = fixture.base_url();
        let host_port = base.trim_start_matches("http://").to_owned();
        let config = json!({
            "server": {"port": 0},
            "plugins": {"builtins": false, "watch_debounce_ms": 50},
            "fetch": {"allow_private_hosts": [host_port]},
            "sources": {"test-canary": {"domain": base}},
            "plugin_index": {
                "watch_window_seconds": watch_window,
                "sources": [{
                    "name": "bench",
                    "url": format!("{base}/files/site/"),
                    "root_keys": [publisher.root_key()?],
                    "poll_seconds": 1,
                }],
            },
        });
        let data = tempfile::tempdir()?;
        let overrides = kura::Overrides {
            data_dir: Some(data.path().to_owned()),
            ..kura::Overrides::default()
        };
        let config = kura::Config::parse(&config.to_string(), Path::new("bench.json"), &overrides)?;
        let server = kura::Server::start(config).await?;
        Ok(Self {
            server,
            _fixture: fixture,
            _data: data,
            http: reqwest::Client::new(),
        })
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        let response = self
            .http
            .post(format!("http://{}{path}", self.server.addr()))
            .json(&body)
            .send()
            .await?;
        Ok(response.json().await?)
    }

    /// Installs a plugin and approves exactly what it asks for.
    async fn install(&self, name: &str) -> Result<()> {
        let answer = self
            .post("/api/plugins/install", json!({"name": name}))
            .await?;
        ensure!(answer["outcome"] == "approval_required", "{answer}");
        let pending = &answer["pending"];
        let approval = json!({
            "version": pending["version"],
            "hosts_added": pending["hosts_added"],
            "author_keys": pending["author_keys_new"],
        });
        let answer = self
            .post(&format!("/api/plugins/{name}/approve"), approval)
            .await?;
        ensure!(answer["outcome"] == "installed", "{answer}");
        Ok(())
    }
}

/// The clients: each calls `resolve` in a loop and notes the first answer titled `wanted`.
struct Clients {
    stop: Arc<AtomicBool>,
    failures: Arc<AtomicU64>,
    calls: Arc<AtomicU64>,
    first_wanted: Arc<std::sync::Mutex<Option<Instant>>>,
    first_failure: Arc<std::sync::Mutex<Option<Instant>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Clients {
    fn start(host: &kura::plugins::PluginHost, plugin: &'static str, wanted: &'static str) -> Self {
        let clients = Self {
            stop: Arc::default(),
            failures: Arc::default(),
            calls: Arc::default(),
            first_wanted: Arc::default(),
            first_failure: Arc::default(),
            tasks: Vec::new(),
        };
        let mut tasks = Vec::new();
        for _ in 0..CLIENTS {
            let host = host.clone();
            let (stop, failures, calls) = (
                clients.stop.clone(),
                clients.failures.clone(),
                clients.calls.clone(),
            );
            let (first_wanted, first_failure) =
                (clients.first_wanted.clone(), clients.first_failure.clone());
            tasks.push(tokio::spawn(async move {
                let deadline = Instant::now() + PATIENCE * 2;
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match host.resolve(plugin, "DEMO-001").await {
                        Ok(hit) if hit.title.as_deref() == Some(wanted) => {
                            let now = Instant::now();
                            first_wanted
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .get_or_insert(now);
                        }
                        Ok(_) => {}
                        Err(_) => {
                            let now = Instant::now();
                            failures.fetch_add(1, Ordering::SeqCst);
                            first_failure
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .get_or_insert(now);
                        }
                    }
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }));
        }
        Self { tasks, ..clients }
    }

    async fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::SeqCst);
        for task in self.tasks {
            let _ = task.await;
        }
        (
            self.calls.load(Ordering::SeqCst),
            self.failures.load(Ordering::SeqCst),
        )
    }
}

/// The `timings` of the next `plugin_update_installed` event for `version`.
async fn installed_timings(
    events: &mut tokio::sync::broadcast::Receiver<Arc<kura::events::Published>>,
    version: &str,
) -> Result<Value> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let published = tokio::time::timeout_at(deadline.into(), events.recv())
            .await
            .context("no plugin_update_installed event")??;
        let value = serde_json::to_value(&*published)?;
        if value["type"] == "plugin_update_installed" && value["data"]["version"] == version {
            return Ok(value["data"]["timings"].clone());
        }
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn max(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(0.0, f64::max)
}

async fn publish_to_serve(kura: &Path, rounds: usize) -> Result<()> {
    let mut totals = Vec::new();
    let mut split: [Vec<f64>; 4] = Default::default();
    let (mut calls, mut failures) = (0, 0);
    for _ in 0..rounds {
        let publisher = Publisher::new(kura.to_owned())?;
        publisher.add("test-swap-v1", None)?;
        publisher.sign()?;
        let following = Following::start(&publisher, 0).await?;
        following.install("test-swap").await?;
        let mut events = following.server.events().subscribe();
        let clients = Clients::start(following.server.plugins(), "test-swap", "v2");
        publisher.add("test-swap-v2", None)?;
        let signed = Instant::now();
        publisher.sign()?;
        let timings = installed_timings(&mut events, "2.0.0").await?;
        let answered = loop {
            if let Some(at) = *clients
                .first_wanted
                .lock()
                .unwrap_or_else(|e| e.into_inner())
            {
                break at;
            }
            if signed.elapsed() > PATIENCE {
                bail!("2.0.0 never answered");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        let (round_calls, round_failures) = clients.stop().await;
        calls += round_calls;
        failures += round_failures;
        totals.push(answered.duration_since(signed).as_secs_f64() * 1000.0);
        for (i, key) in ["download_ms", "verify_ms", "prepare_ms", "canary_ms"]
            .iter()
            .enumerate()
        {
            split[i].push(timings[key].as_f64().unwrap_or_default());
        }
        following.server.shutdown().await;
    }
    println!("Publish to serve ({rounds} rounds, poll every 1 s, {CLIENTS} clients calling)");
    println!();
    println!("| step | median ms | max ms |");
    println!("|---|---:|---:|");
    println!(
        "| `kura index sign` to the first call answered by the release | {:.0} | {:.0} |",
        median(totals.clone()),
        max(&totals)
    );
    for (i, label) in [
        "download",
        "verify (length, sha256, author signature, manifest)",
        "prepare (compile, load checks, offline probes, swap)",
        "live canary",
    ]
    .iter()
    .enumerate()
    {
        println!(
            "| of which: {label} | {:.1} | {:.1} |",
            median(split[i].clone()),
            max(&split[i])
        );
    }
    println!(
        "| the rest: waiting for the next poll, the index read and verified | {:.0} | |",
        median(totals) - split.iter().map(|s| median(s.clone())).sum::<f64>()
    );
    println!();
    println!("Failed calls: {failures} of {calls}.");
    Ok(())
}

fn canary_probes(title: &str) -> Value {
    json!({"format": "kura-probes/1", "probes": [{
        "name": "resolve-demo-001",
        "call": {"resolve": "DEMO-001"},
        "settings": {"domain": "http://127.0.0.1:8399"},
        "cassette": [{
            "request": {"method": "GET", "url": "http://127.0.0.1:8399/canary/DEMO-001"},
            "response": {"status": 200, "body": format!("kura-canary-ok: {title}\n"),
                         "final_url": "http://127.0.0.1:8399/canary/DEMO-001"}
        }],
        "expect": {"ok": {"title": title}},
    }]})
}

async fn failure_to_rollback(kura: &Path, rounds: usize) -> Result<()> {
    let mut samples = Vec::new();
    for _ in 0..rounds {
        let publisher = Publisher::new(kura.to_owned())?;
        publisher.add("test-canary-v1", Some(&canary_probes("canary v1")))?;
        publisher.sign()?;
        let following = Following::start(&publisher, 600).await?;
        following.install("test-canary").await?;
        let registry = following.server.plugins().registry().clone();
        let version = || {
            registry
                .current("test-canary")
                .map(|p| p.version().to_owned())
        };
        publisher.add("test-canary-v3", Some(&canary_probes("canary v3")))?;
        publisher.sign()?;
        let started = Instant::now();
        while version().as_deref() != Some("3.0.0") {
            ensure!(started.elapsed() < PATIENCE, "3.0.0 never went live");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let clients = Clients::start(following.server.plugins(), "test-canary", "canary v1");
        while version().as_deref() != Some("1.0.0") {
            ensure!(started.elapsed() < PATIENCE, "3.0.0 was never rolled back");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let rolled_back = Instant::now();
        let first_failure = *clients
            .first_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        clients.stop().await;
        let first_failure = first_failure.context("no call failed")?;
        samples.push(rolled_back.duration_since(first_failure).as_secs_f64() * 1000.0);
        following.server.shutdown().await;
    }
    println!();
    println!("Failure to rollback ({rounds} rounds, {CLIENTS} clients calling)");
    println!();
    println!("| step | median ms | max ms |");
    println!("|---|---:|---:|");
    println!(
        "| first failed call of the bad release to the previous version serving again | {:.0} | {:.0} |",
        median(samples.clone()),
        max(&samples)
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(text) => text.parse().context("ROUNDS is a number")?,
        None => 10,
    };
    let kura = kura_bin()?;
    publish_to_serve(&kura, rounds).await?;
    failure_to_rollback(&kura, rounds.div_ceil(2)).await?;
    Ok(())
}
