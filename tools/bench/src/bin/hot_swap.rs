//! Prints how fast a new plugin version takes over while clients call it, and how fast
//! `kura serve` starts with its plugins compiled or not.
//!
//! - Swap latency: from a new file landing in the watched plugins directory (renamed into
//!   place, as an operator's copy or a package manager lands), or from an upload's
//!   request, to the first call answered by the new version, with 8 clients calling the
//!   plugin all along; failed calls are counted. Every round's file is new to the host
//!   (a nonce section makes its sha256 unique), so each swap compiles; a second series
//!   alternates two files the host has compiled before.
//! - Start-up with the 5 shipped plugins, with an empty and with a warm compiled cache:
//!   until `/healthz` answers and until the first plugin call is answered.
//!
//! Run after `cargo xtask build-plugins` and `cargo build --release -p kura`:
//! `cargo run --release -p kura-bench --bin hot_swap [ROUNDS]` (default 20).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use kura::plugins::PluginHost;
use kura::{Config, Overrides};

/// Clients calling the plugin during every swap.
const CLIENTS: usize = 8;
/// Give up on a swap (or a start) after this long: a hang guard, not a goal.
const PATIENCE: Duration = Duration::from_secs(60);

#[path = "../built.rs"]
mod built;
use built::wasm;

fn read_plugin(name: &str) -> Result<Vec<u8>> {
    std::fs::read(wasm(name)).with_context(|| format!("{name}: run `cargo xtask build-plugins`"))
}

/// The component with a custom section `kura-bench-nonce` appended: the same plugin,
/// bytes the host has never seen.
fn with_nonce(component: &[u8], nonce: u64) -> Vec<u8> {
    let mut bytes = component.to_vec();
    kura::plugins::append_custom_section(&mut bytes, "kura-bench-nonce", &nonce.to_le_bytes());
    bytes
}

fn config_for(dir: &Path, watch: bool) -> Result<Config> {
    let yaml = format!("server:\n  port: 0\nplugins:\n  watch: {watch}\n");
    let overrides = Overrides {
        data_dir: Some(dir.to_path_buf()),
        ..Overrides::default()
    };
    Ok(Config::parse(&yaml, Path::new("bench.yaml"), &overrides)?)
}

/// Median and maximum of a series.
fn summary(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
    (median, samples.last().copied().unwrap_or_default())
}

/// Calls that saw the version a round waits for, shared by the clients.
struct Watch {
    /// The title the new version answers with; empty between rounds.
    wanted: Mutex<&'static str>,
    first_answer: Mutex<Option<Instant>>,
    failures: AtomicU64,
    calls: AtomicU64,
    stop: AtomicBool,
}

impl Watch {
    fn expect(&self, title: &'static str) {
        *self.first_answer.lock().unwrap_or_else(|e| e.into_inner()) = None;
        *self.wanted.lock().unwrap_or_else(|e| e.into_inner()) = title;
    }

    fn saw(&self, title: &str) {
        let wanted = *self.wanted.lock().unwrap_or_else(|e| e.into_inner());
        if !wanted.is_empty() && title == wanted {
            let now = Instant::now();
            self.first_answer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(now);
        }
    }

    async fn first_answer_after(&self, started: Instant) -> Result<Duration> {
        loop {
            if let Some(at) = *self.first_answer.lock().unwrap_or_else(|e| e.into_inner()) {
                return Ok(at.saturating_duration_since(started));
            }
            ensure!(
                started.elapsed() < PATIENCE,
                "the new version never answered"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

fn spawn_clients(host: &PluginHost, watch: &Arc<Watch>) -> Vec<tokio::task::JoinHandle<()>> {
    (0..CLIENTS)
        .map(|_| {
            let (host, watch) = (host.clone(), watch.clone());
            tokio::spawn(async move {
                while !watch.stop.load(Ordering::SeqCst) {
                    match host.resolve("test-swap", "DEMO-001").await {
                        Ok(hit) => watch.saw(hit.title.as_deref().unwrap_or_default()),
                        Err(error) => {
                            eprintln!("call failed: {error}");
                            watch.failures.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    watch.calls.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect()
}

/// How a new version arrives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Delivery {
    FileDrop,
    Upload,
}

/// `rounds` swaps under load; `fresh` makes every file new to the host.
async fn swaps(delivery: Delivery, rounds: usize, fresh: bool) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins)?;
    let target = plugins.join("test-swap.wasm");
    std::fs::write(&target, read_plugin("test-swap-v1")?)?;
    let server = kura::Server::start(config_for(dir.path(), true)?).await?;
    let host = server.plugins().clone();
    let base = format!("http://{}", server.addr());
    let http = reqwest::Client::new();
    let versions = [
        ("v2", read_plugin("test-swap-v2")?),
        ("v1", read_plugin("test-swap-v1")?),
    ];
    // The host compiles both plain files once, so the cached series starts warm.
    for (_, bytes) in &versions {
        host.registry()
            .install(bytes.clone(), kura::plugins::Origin::Upload)
            .await?;
    }
    let watch = Arc::new(Watch {
        wanted: Mutex::new(""),
        first_answer: Mutex::new(None),
        failures: AtomicU64::new(0),
        calls: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let clients = spawn_clients(&host, &watch);
    let (mut samples, mut prepare) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (title, plain) = &versions[round % 2];
        let bytes = if fresh {
            with_nonce(plain, round as u64 + 1)
        } else {
            plain.clone()
        };
        watch.expect(title);
        let started = match delivery {
            Delivery::FileDrop => {
                let incoming = plugins.join(".test-swap.wasm.incoming");
                std::fs::write(&incoming, &bytes)?;
                let landed = Instant::now();
                std::fs::rename(&incoming, &target)?;
                landed
            }
            Delivery::Upload => {
                let sent = Instant::now();
                let response = http
                    .post(format!("{base}/api/plugins"))
                    .body(bytes)
                    .send()
                    .await?;
                ensure!(
                    response.status().is_success(),
                    "upload: {}",
                    response.status()
                );
                sent
            }
        };
        samples.push(watch.first_answer_after(started).await?);
        // What of that the host spent preparing the version (compile or cache load,
        // checks, smoke test), as it reports it.
        let (views, _) = host.registry().views();
        if let Some(view) = views.iter().find(|view| view.name == "test-swap") {
            prepare.push(Duration::from_secs_f64(view.load_ms / 1000.0));
        }
        // Let the directory settle (an upload writes the file too) before the next round.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    watch.stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await?;
    }
    server.shutdown().await;
    let (median, max) = summary(samples);
    let (prepare_median, _) = summary(prepare);
    let label = match (delivery, fresh) {
        (Delivery::FileDrop, true) => "file drop, new file (compiles)",
        (Delivery::FileDrop, false) => "file drop, compiled before (cache)",
        (Delivery::Upload, true) => "upload, new file (compiles)",
        (Delivery::Upload, false) => "upload, compiled before (cache)",
    };
    println!(
        "{label:<38} {rounds:>3} swaps  median {median:>9.1?}  max {max:>9.1?}  (prepare median {prepare_median:>8.1?})  failed calls {} of {}",
        watch.failures.load(Ordering::SeqCst),
        watch.calls.load(Ordering::SeqCst),
    );
    Ok(())
}

/// Starts `kura serve` on `data` and times `/healthz` and the first answered plugin call.
async fn start_once(kura: &Path, data: &Path) -> Result<(Duration, Duration)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let started = Instant::now();
    let mut child = Command::new(kura)
        .arg("--data-dir")
        .arg(data)
        .args(["--silent", "serve", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .spawn()?;
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let health = loop {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break started.elapsed();
        }
        ensure!(started.elapsed() < PATIENCE, "kura did not start");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let answered = client
        .post(format!("{base}/api/plugins/default-cleaner/call"))
        .json(&serde_json::json!({"input": "Translation: Summer"}))
        .send()
        .await?;
    ensure!(
        answered.status().is_success(),
        "call: {}",
        answered.status()
    );
    let first_call = started.elapsed();
    child.kill()?;
    child.wait()?;
    Ok((health, first_call))
}

async fn start_up(rounds: usize) -> Result<()> {
    let kura = std::env::current_exe()?.with_file_name("kura");
    ensure!(
        kura.is_file(),
        "{} missing: `cargo build --release -p kura`",
        kura.display()
    );
    let shipped = [
        "fixture-alpha",
        "fixture-beta",
        "fixture-meta",
        "jsonld",
        "default-cleaner",
    ];
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("plugins"))?;
        for name in shipped {
            std::fs::write(
                dir.path().join("plugins").join(format!("{name}.wasm")),
                read_plugin(name)?,
            )?;
        }
        cold.push(start_once(&kura, dir.path()).await?);
        warm.push(start_once(&kura, dir.path()).await?);
    }
    println!(
        "\n## Start-up of `kura serve` with the {} shipped plugins ({rounds} starts each, medians)",
        shipped.len()
    );
    for (label, series) in [
        ("empty compiled cache", cold),
        ("warm compiled cache", warm),
    ] {
        let (health, _) = summary(series.iter().map(|s| s.0).collect());
        let (call, _) = summary(series.iter().map(|s| s.1).collect());
        println!("{label:<24} /healthz {health:>9.1?}  first plugin call answered {call:>9.1?}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let rounds = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    println!(
        "hot_swap bench: {} cores, profile {}, {CLIENTS} clients calling during each swap",
        std::thread::available_parallelism()?,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!("\n## New version landing -> first call answered by it");
    swaps(Delivery::FileDrop, rounds, true).await?;
    swaps(Delivery::Upload, rounds, true).await?;
    swaps(Delivery::FileDrop, rounds, false).await?;
    swaps(Delivery::Upload, rounds, false).await?;
    start_up(3).await?;
    Ok(())
}
