//! One Kura under test: a temporary data directory (config, `plugins/`, `web/`), the
//! library seeded by `kura seed` (also beside a running server), the `kura serve` process
//! and its memory; and, for the PostgreSQL run, a fresh database created and dropped
//! around it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use test_database::ScratchDatabase;

/// Longest `kura seed` may take.
const SEED_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Longest the server may take to answer `/healthz` (migrations included).
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest a graceful stop may take before the process is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// The database one run uses.
pub struct Database {
    /// `sqlite` or `postgres`, for the table.
    pub name: &'static str,
    /// The fresh PostgreSQL database.
    postgres: Option<ScratchDatabase>,
}

impl Database {
    /// The default `sqlite://<data_dir>/kura.db`.
    pub fn sqlite() -> Self {
        Self {
            name: "sqlite",
            postgres: None,
        }
    }

    /// Creates a scratch database on the server of `admin_url`.
    pub async fn fresh_postgres(admin_url: &str) -> Result<Self> {
        let database = ScratchDatabase::try_create(admin_url)
            .await
            .with_context(|| format!("cannot create a database through {admin_url}"))?;
        Ok(Self {
            name: "postgres",
            postgres: Some(database),
        })
    }

    /// Drops the fresh PostgreSQL database (nothing for SQLite, whose file goes with the
    /// data directory).
    pub async fn drop_database(self) -> Result<()> {
        let Some(database) = self.postgres else {
            return Ok(());
        };
        let name = database.name().to_owned();
        database
            .try_drop_database()
            .await
            .with_context(|| format!("cannot drop {name}"))
    }

    fn config_yaml(&self) -> String {
        match &self.postgres {
            Some(database) => format!("database:\n  url: \"{}\"\n", database.url()),
            None => String::new(),
        }
    }
}

/// A data directory with its config; the server's files go away with it.
pub struct Instance {
    dir: tempfile::TempDir,
    kura: PathBuf,
    database_yaml: String,
}

impl Instance {
    /// Writes the config: `database`, `server.web_dir: web`, quiet logs, no watcher, the
    /// default list cache.
    pub fn new(kura: &Path, database: &Database) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("kura-bench-").tempdir()?;
        std::fs::create_dir_all(dir.path().join("plugins"))?;
        std::fs::create_dir_all(dir.path().join("web"))?;
        let instance = Self {
            dir,
            kura: kura.to_owned(),
            database_yaml: database.config_yaml(),
        };
        instance.set_list_cache(32)?;
        Ok(instance)
    }

    /// Rewrites the config with `library.list_cache_mib` (for the next `serve`).
    pub fn set_list_cache(&self, mib: u64) -> Result<()> {
        let yaml = format!(
            "server:\n  web_dir: web\nlog:\n  filter: warn\nplugins:\n  watch: false\nlibrary:\n  list_cache_mib: {mib}\n{}",
            self.database_yaml
        );
        std::fs::write(self.path().join("config.yaml"), yaml)?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn web_dir(&self) -> PathBuf {
        self.path().join("web")
    }

    fn command(&self) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.kura);
        command
            .arg("--config")
            .arg(self.path().join("config.yaml"))
            .arg("--data-dir")
            .arg(self.path())
            .arg("--silent")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs `kura seed --from F --count N` with no server beside it, so with as many
    /// jobs as there are cores; the wall time and what it printed.
    pub async fn seed(&self, from: u64, count: u64) -> Result<(Duration, String)> {
        // `kura seed --jobs` takes 1 to 8.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        self.seed_command(from, count, Some(cores)).await
    }

    /// `kura seed` as a future that borrows nothing (to run beside a load, with the
    /// default jobs when `jobs` is None).
    pub fn seed_command(
        &self,
        from: u64,
        count: u64,
        jobs: Option<usize>,
    ) -> impl std::future::Future<Output = Result<(Duration, String)>> + Send + 'static {
        let mut command = self.command();
        command.args([
            "seed",
            "--from",
            &from.to_string(),
            "--count",
            &count.to_string(),
        ]);
        if let Some(jobs) = jobs {
            command.args(["--jobs", &jobs.to_string()]);
        }
        run_seed(command)
    }

    /// Starts `kura serve` on a free loopback port and waits for `/healthz`.
    pub async fn serve(&self) -> Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(self.path().join("serve.log"))?;
        let child = self
            .command()
            .args(["serve", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("cannot run kura serve")?;
        let pid = child.id().context("kura serve exited at once")?;
        let mut server = Server {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
            log: self.path().join("serve.log"),
        };
        let client = client()?;
        let started = Instant::now();
        loop {
            let health = client.get(format!("{}/healthz", server.base)).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                anyhow::bail!("kura serve exited ({status}):\n{}", server.log());
            }
            if started.elapsed() > START_TIMEOUT {
                let log = server.log();
                server.stop().await?;
                anyhow::bail!(
                    "kura serve did not answer /healthz within {START_TIMEOUT:?}:\n{log}"
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Runs a `kura seed` command to its end; the wall time and what it printed.
async fn run_seed(mut command: tokio::process::Command) -> Result<(Duration, String)> {
    let started = Instant::now();
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run kura seed")?;
    let output = tokio::time::timeout(SEED_TIMEOUT, child.wait_with_output())
        .await
        .context("kura seed did not finish in time (killed)")??;
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    anyhow::ensure!(
        output.status.success(),
        "kura seed failed ({}): {stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((elapsed, stdout))
}

/// An HTTP client for loopback only (no proxy from the environment).
pub fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// A running `kura serve`.
pub struct Server {
    child: tokio::process::Child,
    pid: u32,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    log: PathBuf,
}

/// `VmRSS` and `VmHWM` of the server process, in KiB.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

impl Server {
    pub fn memory(&self) -> Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .context("cannot read the server's /proc status")?;
        let field = |name: &str| -> Result<u64> {
            let line = status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .with_context(|| format!("no {name} in /proc status"))?;
            let kib = line.trim().trim_end_matches("kB").trim();
            Ok(kib.parse()?)
        };
        Ok(Memory {
            rss_kib: field("VmRSS:")?,
            hwm_kib: field("VmHWM:")?,
        })
    }

    /// The server's log so far (warnings and errors).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM (a graceful drain), then SIGKILL after a deadline.
    pub async fn stop(mut self) -> Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let term = tokio::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        let graceful = term.is_ok_and(|s| s.success())
            && tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
                .await
                .is_ok();
        if !graceful {
            self.child.kill().await?;
        }
        Ok(())
    }
}
