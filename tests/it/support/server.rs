//! An in-process server in a temporary data directory.

use std::path::{Path, PathBuf};

use kura::{Config, Overrides};

use super::{TestConfig, plugin_wasm};

/// A running server plus its data directory and an HTTP client for it.
pub struct TestServer {
    pub server: Option<kura::Server>,
    pub data: tempfile::TempDir,
    pub base: String,
    pub client: reqwest::Client,
}

impl TestServer {
    /// Starts a server whose plugins directory holds copies of `plugins` (crate names).
    pub async fn start(config: &TestConfig, plugins: &[&str]) -> Self {
        Self::start_in(tempfile::tempdir().expect("temp dir"), config, plugins).await
    }

    /// Starts a server on an existing data directory (a restart, or a directory placed
    /// where the test wants it); `plugins` are copied in again.
    pub async fn start_in(data: tempfile::TempDir, config: &TestConfig, plugins: &[&str]) -> Self {
        let config_text = config.render();
        let plugin_dir = data.path().join("plugins");
        std::fs::create_dir_all(&plugin_dir).expect("plugins dir");
        for name in plugins {
            install_file(&plugin_dir, name);
        }
        let overrides = Overrides {
            data_dir: Some(data.path().to_path_buf()),
            ..Overrides::default()
        };
        let config = Config::parse(&config_text, Path::new("test.yaml"), &overrides)
            .expect("valid test config");
        let server = kura::Server::start(config).await.expect("server starts");
        let base = format!("http://{}", server.addr());
        Self {
            server: Some(server),
            data,
            base,
            client: reqwest::Client::new(),
        }
    }

    pub fn plugins(&self) -> &kura::plugins::PluginHost {
        self.server.as_ref().expect("running").plugins()
    }

    pub fn plugin_dir(&self) -> PathBuf {
        self.data.path().join("plugins")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Stops the server and hands back its data directory, for a restart on the same data.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        self.data
    }
}

/// Copies a built plugin into a plugins directory as `{crate}.wasm`.
pub fn install_file(dir: &Path, name: &str) -> PathBuf {
    let target = dir.join(format!("{name}.wasm"));
    std::fs::copy(plugin_wasm(name), &target).expect("copy plugin");
    target
}
