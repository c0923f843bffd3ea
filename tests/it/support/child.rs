//! `kura serve` in a child process, for tests that measure the process (RSS) or kill it.

use std::process::{Child, Command, Stdio};

use super::{TestConfig, kura_bin};

/// A server process; killed on drop.
pub struct ChildServer {
    pub child: Child,
    pub base: String,
    _data: tempfile::TempDir,
}

impl ChildServer {
    /// Starts `kura serve` with `config` and the given plugins, and waits for /healthz.
    pub async fn start(config: &TestConfig, plugins: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        super::process::prepare_data_dir(data.path(), config, plugins);
        let config = data.path().join("config.yaml");
        let port = super::process::free_port();
        let child = Command::new(kura_bin())
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(data.path())
            .args(["--silent", "serve", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn kura");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _data: data,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        super::process::wait_healthy(&self.base).await;
    }

    /// Resident set size of the process, in bytes.
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kb| kb * 1024)
            .unwrap_or(0)
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
