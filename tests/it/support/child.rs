//! `kura serve` in a child process, for tests that measure the process (RSS) or kill it.

use std::process::{Child, Command, Stdio};

use super::{TestConfig, kura_bin};

/// A server process; killed on drop.
pub struct ChildServer {
    pub child: Child,
    pub base: String,
    data: tempfile::TempDir,
}

impl ChildServer {
    /// Starts `kura serve` with `config` and the given plugins, and waits for /healthz.
    pub async fn start(config: &TestConfig, plugins: &[&str]) -> Self {
        Self::start_in(tempfile::tempdir().expect("temp dir"), config, plugins).await
    }

    /// [`Self::start`] on a data directory a killed server left.
    pub async fn start_in(data: tempfile::TempDir, config: &TestConfig, plugins: &[&str]) -> Self {
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
            data,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        super::process::wait_healthy(&self.base).await;
    }

    /// Kills the process with SIGKILL (no shutdown at all) and hands back its data
    /// directory.
    pub fn kill_keeping_data(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let placeholder = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.data, placeholder)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
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
