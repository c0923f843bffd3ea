//! `kura serve` as a child process on a data directory, for tests that kill it and start
//! it again, and what they share: a free port, waiting for `/healthz`, a seeded generator.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{TestConfig, kura_bin};

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("free port")
}

/// `kura serve` on `data` (its `config.yaml`), quiet, on `port`.
pub fn spawn_serve(data: &Path, port: u16) -> Child {
    Command::new(kura_bin())
        .arg("--config")
        .arg(data.join("config.yaml"))
        .arg("--data-dir")
        .arg(data)
        .args(["--silent", "serve", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn kura")
}

/// Waits until `base/healthz` answers 200; panics after 60 s.
pub async fn wait_healthy(base: &str) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await
            && response.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("kura did not become ready within 60 s");
}

/// A small deterministic generator; print the seed so a failure can be replayed.
pub struct Lcg(pub u64);

/// Fills a data directory for `kura serve`: `config.yaml` and the built `plugins`.
pub fn prepare_data_dir(data: &Path, config: &TestConfig, plugins: &[&str]) {
    config.write(&data.join("config.yaml"));
    let plugin_dir = data.join("plugins");
    std::fs::create_dir_all(&plugin_dir).expect("plugins dir");
    for name in plugins {
        super::server::install_file(&plugin_dir, name);
    }
}

impl Lcg {
    /// Seeded from the clock; the seed is printed under `label` so a failing run can be
    /// replayed.
    pub fn seeded(label: &str) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        eprintln!("{label} seed {seed}");
        Self(seed)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}
