//! Prints Kura's plugin-runtime figures: per-call overhead against native Rust. Hot-swap
//! latency and start-up are `--bin hot_swap`.
//!
//! Run after `cargo xtask build-plugins`: `cargo run --release -p kura-bench`.

/// The default cleaner's rules compiled natively: the same source as the plugin.
#[path = "../../../plugins/default-cleaner/src"]
#[allow(dead_code)]
mod cleaner_source {
    pub mod rules;
}

use cleaner_source::rules;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use kura::plugins::{PluginHost, StreamHit};
use kura::{Config, Overrides};

#[path = "built.rs"]
mod built;
use built::wasm;

/// A data directory with `plugins` copied in, and its config.
fn data_dir(plugins: &[&str], watch: bool) -> Result<(tempfile::TempDir, Config)> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("plugins"))?;
    for name in plugins {
        std::fs::copy(
            wasm(name),
            dir.path().join("plugins").join(format!("{name}.wasm")),
        )
        .with_context(|| format!("{name}: run `cargo xtask build-plugins` first"))?;
    }
    let yaml = format!("server:\n  port: 0\nplugins:\n  watch: {watch}\n");
    let overrides = Overrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Overrides::default()
    };
    let config = Config::parse(&yaml, Path::new("bench.yaml"), &overrides)?;
    Ok((dir, config))
}

struct Summary {
    median: Duration,
    p99: Duration,
}

fn summarize(mut samples: Vec<Duration>) -> Summary {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Summary {
        median: at(0.5),
        p99: at(0.99),
    }
}

fn row(name: &str, s: &Summary) {
    println!(
        "{name:<48} median {:>10.2?}  p99 {:>10.2?}",
        s.median, s.p99
    );
}

fn noisy_title() -> String {
    let mut text = String::from(
        "Translation: **\"Summer Seaside Memories\"** (Note: a literal rendering)\n\n",
    );
    while text.len() < 1024 {
        text.push_str(
            "This title describes a quiet afternoon by the sea and the memories it brings back. ",
        );
    }
    text
}

async fn call_overhead(iterations: usize) -> Result<()> {
    let (_dir, config) = data_dir(&["test-swap-v1", "default-cleaner"], false)?;
    let fetch = kura::FetchClient::new(&config.fetch)?;
    let host = PluginHost::start(&config, fetch, kura::events::EventBus::default()).await?;
    let noisy = noisy_title();
    for _ in 0..200 {
        host.resolve("test-swap", "DEMO-001").await?;
        host.clean("default-cleaner", &noisy).await?;
    }
    let mut wasm_resolve = Vec::with_capacity(iterations);
    let mut wasm_clean = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        black_box(host.resolve("test-swap", black_box("DEMO-001")).await?);
        wasm_resolve.push(started.elapsed());
        let started = Instant::now();
        black_box(host.clean("default-cleaner", black_box(&noisy)).await?);
        wasm_clean.push(started.elapsed());
    }
    let mut native_resolve = Vec::with_capacity(iterations);
    let mut native_clean = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        black_box(native_hit(black_box("DEMO-001")));
        native_resolve.push(started.elapsed());
        let started = Instant::now();
        black_box(rules::clean(black_box(&noisy)));
        native_clean.push(started.elapsed());
    }
    println!(
        "\n## Per-call overhead ({iterations} calls each; fresh store + instance per wasm call)"
    );
    row(
        "wasm  source.resolve (no network)",
        &summarize(wasm_resolve),
    );
    row("native same answer", &summarize(native_resolve));
    row(
        "wasm  cleaner.clean (1 KiB noisy answer)",
        &summarize(wasm_clean),
    );
    row(
        "native same rules (default-cleaner/src/rules.rs)",
        &summarize(native_clean),
    );
    Ok(())
}

fn native_hit(code: &str) -> StreamHit {
    StreamHit {
        page_url: format!("http://127.0.0.1/{code}"),
        playlist_url: "http://127.0.0.1/v1.m3u8".to_owned(),
        title: Some("v1".to_owned()),
        cover_url: None,
        headers: Vec::new(),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let iterations = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000);
    println!(
        "kura-bench: {} cores, profile {}",
        std::thread::available_parallelism()?,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    call_overhead(iterations).await?;
    Ok(())
}
