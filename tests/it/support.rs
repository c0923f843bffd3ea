//! Test support: paths to built plugins and binaries, a fixture site, the server config
//! as data, an in-process server, a server in a child process, a canary listener, the test databases and raw
//! HTTP requests.

pub mod child;
pub mod config;
pub mod database;
pub mod process;
pub mod raw_http;
pub mod server;

use std::path::PathBuf;

pub use child::ChildServer;
pub use config::{TestConfig, config};
pub use server::TestServer;

/// Taken by the tests whose assertions involve time (deadlines, swap latency) and by the
/// tests that load the machine (soaks, floods), so none of them runs beside another: on
/// a 2-core machine a flood in one test would otherwise show up as latency in another.
pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// A built plugin by crate name (`fixture-alpha`, `test-spin`, ...).
pub fn plugin_wasm(name: &str) -> PathBuf {
    let path = root()
        .join("plugins/target/wasm32-wasip2/release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    assert!(
        path.is_file(),
        "{} is missing: run `cargo xtask test` (it builds the plugins first)",
        path.display()
    );
    path
}

/// The `kura` binary built by `cargo xtask test`.
pub fn kura_bin() -> PathBuf {
    let path = root().join("target/debug/kura");
    assert!(
        path.is_file(),
        "{} is missing: run `cargo xtask test`",
        path.display()
    );
    path
}

/// A started fixture site on a random loopback port.
pub async fn fixture() -> fixture_site::FixtureSite {
    fixture_site::FixtureSite::start(fixture_site::FixtureConfig::default())
        .await
        .expect("fixture site starts")
}

/// A TCP listener on 127.0.0.2 that counts connections: nothing a plugin does may reach it.
pub struct Canary {
    pub port: u16,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    _task: tokio::task::JoinHandle<()>,
}

impl Canary {
    /// A canary on 127.0.0.2 (a loopback address no allowlist in the tests names).
    pub async fn start() -> Self {
        Self::start_on("127.0.0.2").await
    }

    /// A canary listening on `ip`, any free port.
    pub async fn start_on(ip: &str) -> Self {
        let listener = tokio::net::TcpListener::bind((ip, 0))
            .await
            .unwrap_or_else(|error| panic!("bind {ip}: {error}"));
        let port = listener.local_addr().expect("addr").port();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(stream);
            }
        });
        Self {
            port,
            hits,
            _task: task,
        }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The `Cookie` header the fixture's echo page (`echo_url`) got from the `test-probe`
/// source of the server at `base`: what that source's jar holds for the site.
pub async fn cookie_seen_by_probe(base: &str, echo_url: &str) -> String {
    let query = serde_json::json!({ "url": echo_url, "method": "GET" }).to_string();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/plugins/test-probe/call"))
        .json(&serde_json::json!({ "input": query, "search": true }))
        .send()
        .await
        .expect("call test-probe")
        .json()
        .await
        .expect("json");
    let echoed: serde_json::Value =
        serde_json::from_str(answer[0]["title"].as_str().unwrap_or("{}")).unwrap_or_default();
    echoed["headers"]["cookie"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
