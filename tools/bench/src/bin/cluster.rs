//! Prints what Redis adds when several hosts serve as one, against one host's
//! in-process event bus measured in the same run:
//!
//! - events per second reaching a WebSocket client, and the latency from an event's
//!   publication (its `at_ms`) to the client, p50 and p99: on one host the client is on
//!   the host that runs everything; on three hosts the tasks are submitted through host 1
//!   and the clients are on hosts 2 and 3;
//! - tasks lost or run twice under that load: `--tasks` mock downloads (1 ms each)
//!   submitted by 8 concurrent clients, so every task makes its queued, started, progress
//!   and completed events and queue status updates; the download lane runs them one at a
//!   time across the hosts;
//! - claim latency, from a task's `task_queued` to its `task_started`, over `--claims`
//!   additions submitted one at a time: on one host, the host's own wake; on three, the
//!   submitting host's general lane is kept busy (one slot, a task plugin spinning in
//!   it), so another host claims every one, woken by the submitting host's signal (a
//!   host that missed it would claim at its next poll, up to a second later).
//!
//! Needs PostgreSQL and Redis (`eval "$(tools/services/start.sh)"` sets
//! `KURA_TEST_DATABASE_URL` and `KURA_TEST_REDIS_URL`), after `cargo build --release -p
//! kura` and `cargo xtask build-plugins`: `cargo run --release -p kura-bench --bin cluster
//! [--tasks N] [--claims N]` (defaults 500 and 50).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};

#[path = "../built.rs"]
mod built;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Clients submitting at once.
const SUBMITTERS: usize = 8;
/// The longest the bench waits for anything: a hang guard, not a goal.
const PATIENCE: Duration = Duration::from_secs(300);

/// One `kura serve` process.
struct Host {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Host {
    async fn start(kura: &Path, config: &str) -> Result<Self> {
        Self::start_with(kura, config, &[]).await
    }

    /// Starts with these built plugins in its own plugins directory.
    async fn start_with(kura: &Path, config: &str, plugins: &[&str]) -> Result<Self> {
        let data = tempfile::tempdir()?;
        std::fs::create_dir_all(data.path().join("plugins"))?;
        for name in plugins {
            std::fs::copy(
                built::wasm(name),
                data.path().join("plugins").join(format!("{name}.wasm")),
            )
            .with_context(|| format!("{name}: run `cargo xtask build-plugins`"))?;
        }
        let port = free_port()?;
        std::fs::write(data.path().join("config.yaml"), config)?;
        let child = Command::new(kura)
            .arg("--config")
            .arg(data.path().join("config.yaml"))
            .arg("--data-dir")
            .arg(data.path())
            .args(["--silent", "serve", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", kura.display()))?;
        let host = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _data: data,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + PATIENCE;
        loop {
            let ready = client.get(format!("{}/readyz", host.base)).send().await;
            if ready.is_ok_and(|answer| answer.status().is_success()) {
                return Ok(host);
            }
            ensure!(
                Instant::now() < deadline,
                "{} never became ready",
                host.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// What one WebSocket client saw.
#[derive(Default)]
struct Seen {
    events: usize,
    first: Option<Instant>,
    last: Option<Instant>,
    /// Publication to arrival, ms.
    latencies: Vec<u64>,
    /// Per task: how often it completed.
    completed: HashMap<i64, usize>,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A client of `base`'s `/ws/tasks`.
async fn connect(base: &str) -> Result<Socket> {
    let url = format!("{}/ws/tasks", base.replacen("http://", "ws://", 1));
    Ok(tokio_tungstenite::connect_async(url).await?.0)
}

/// The next JSON message (pings and other frames skipped).
async fn next_message(ws: &mut Socket) -> Result<Value> {
    loop {
        let message = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .context("no event in time")?
            .context("the socket closed")??;
        if let Message::Text(text) = message {
            return Ok(serde_json::from_str(&text)?);
        }
    }
}

/// Reads events from `base` until `tasks` tasks completed.
async fn watch(base: String, tasks: usize) -> Result<Seen> {
    let mut ws = connect(&base).await?;
    let mut seen = Seen::default();
    while seen.completed.len() < tasks {
        let event = next_message(&mut ws).await?;
        let arrived = now_ms();
        let Some(at_ms) = event["at_ms"].as_u64() else {
            continue; // hello
        };
        let now = Instant::now();
        seen.first.get_or_insert(now);
        seen.last = Some(now);
        seen.events += 1;
        seen.latencies.push(arrived.saturating_sub(at_ms));
        if event["type"] == "task_completed"
            && let Some(task) = event["data"]["task_id"].as_i64()
        {
            *seen.completed.entry(task).or_default() += 1;
        }
    }
    Ok(seen)
}

/// Submits `tasks` mock downloads through `base`, `SUBMITTERS` at a time.
async fn submit(base: &str, tasks: usize, label: &str) -> Result<()> {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..SUBMITTERS {
        let (client, next, base, label) = (
            client.clone(),
            next.clone(),
            base.to_owned(),
            label.to_owned(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= tasks {
                    return Ok::<(), anyhow::Error>(());
                }
                let answer = client
                    .post(format!("{base}/api/tasks"))
                    .json(&json!({ "type": "mock_download", "data": { "code": format!("{label}-{n:05}"), "duration_ms": 1 } }))
                    .send()
                    .await?;
                ensure!(answer.status().as_u16() == 202, "submit {n}: {}", answer.status());
            }
        }));
    }
    for worker in workers {
        worker.await??;
    }
    Ok(())
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// One scenario's figures, as one line per client.
struct Figures {
    rate: f64,
    p50: u64,
    p99: u64,
    duplicates: usize,
    lost: usize,
}

fn figures(seen: &Seen, tasks: usize) -> Figures {
    let mut latencies = seen.latencies.clone();
    latencies.sort_unstable();
    let span = match (seen.first, seen.last) {
        (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
        _ => 0.0,
    };
    Figures {
        rate: if span > 0.0 {
            seen.events as f64 / span
        } else {
            0.0
        },
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        duplicates: seen.completed.values().filter(|&&count| count > 1).count(),
        lost: tasks.saturating_sub(seen.completed.len()),
    }
}

fn print_row(scenario: &str, client: &str, seen: &Seen, tasks: usize) {
    let f = figures(seen, tasks);
    println!(
        "| {scenario} | {client} | {} | {:.0} | {} | {} | {} | {} |",
        seen.events, f.rate, f.p50, f.p99, f.lost, f.duplicates
    );
}

/// Queued-to-started times (ms) of `count` additions submitted through `submitter` one
/// at a time, each waited for before the next, seen by a client of `watcher`.
async fn claims(submitter: &str, watcher: &str, count: usize, label: &str) -> Result<Vec<u64>> {
    let mut ws = connect(watcher).await?;
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    for n in 0..count {
        let answer: Value = client
            .post(format!("{submitter}/api/tasks"))
            .json(&json!({ "type": "add_resource", "data": { "code": format!("{label}-{n:05}") } }))
            .send()
            .await?
            .json()
            .await?;
        let id = answer["task"]["id"].as_i64().context("no task id")?;
        let (mut queued, mut started) = (None, None);
        while queued.is_none() || started.is_none() {
            let event = next_message(&mut ws).await?;
            if event["data"]["task_id"].as_i64() != Some(id) {
                continue;
            }
            match event["type"].as_str() {
                Some("task_queued") => queued = event["at_ms"].as_u64(),
                Some("task_started") => started = event["at_ms"].as_u64(),
                _ => {}
            }
        }
        latencies.push(started.unwrap_or(0).saturating_sub(queued.unwrap_or(0)));
    }
    latencies.sort_unstable();
    Ok(latencies)
}

fn print_claims(scenario: &str, latencies: &[u64]) {
    println!(
        "| {scenario} | {} | {} | {} | {} |",
        latencies.len(),
        percentile(latencies, 0.50),
        percentile(latencies, 0.99),
        latencies.last().copied().unwrap_or(0)
    );
}

/// A host's configuration; `general` is the general lane's concurrency.
fn config(database_url: &str, redis: Option<(&str, &str)>, general: u32) -> String {
    let redis = match redis {
        Some((url, prefix)) => format!("redis:\n  url: \"{url}\"\n  key_prefix: \"{prefix}\"\n"),
        None => String::new(),
    };
    format!(
        "database:\n  url: \"{database_url}\"\n{redis}tasks:\n  mock_downloads: true\n  general_concurrency: {general}\nplugins:\n  watch: false\n  builtins: false\n"
    )
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut tasks = 500usize;
    let mut claim_count = 50usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tasks" => tasks = args.next().context("--tasks N")?.parse()?,
            "--claims" => claim_count = args.next().context("--claims N")?.parse()?,
            other => bail!("unknown argument {other} (usage: cluster [--tasks N] [--claims N])"),
        }
    }
    let admin = std::env::var("KURA_TEST_DATABASE_URL")
        .context("KURA_TEST_DATABASE_URL: run `eval \"$(tools/services/start.sh)\"` first")?;
    let redis = std::env::var("KURA_TEST_REDIS_URL")
        .context("KURA_TEST_REDIS_URL: run `eval \"$(tools/services/start.sh)\"` first")?;
    let kura: PathBuf = std::env::current_exe()?.with_file_name("kura");
    ensure!(
        kura.is_file(),
        "{}: run `cargo build --release -p kura`",
        kura.display()
    );
    println!(
        "kura cluster bench: {} cores, {tasks} mock downloads (1 ms) submitted by {SUBMITTERS} clients",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| scenario | client | events | events/s | publish to client p50 ms | p99 ms | lost | run twice |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");

    let single = test_database::ScratchDatabase::create(&admin).await;
    let single_claims = {
        let host = Host::start(&kura, &config(single.url(), None, 3)).await?;
        let watcher = tokio::spawn(watch(host.base.clone(), tasks));
        tokio::time::sleep(Duration::from_millis(300)).await;
        submit(&host.base, tasks, "ONE").await?;
        let seen = watcher.await??;
        print_row("one host, in-process bus", "host 1", &seen, tasks);
        claims(&host.base, &host.base, claim_count, "ONECLAIM").await?
    };
    single.drop_database().await;

    let shared = test_database::ScratchDatabase::create(&admin).await;
    {
        let prefix = format!("kura-bench-{}-{}", std::process::id(), now_ms());
        let config = config(shared.url(), Some((&redis, &prefix)), 3);
        let mut hosts = Vec::new();
        for _ in 0..3 {
            hosts.push(Host::start(&kura, &config).await?);
        }
        let watchers: Vec<_> = hosts[1..]
            .iter()
            .map(|host| tokio::spawn(watch(host.base.clone(), tasks)))
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        submit(&hosts[0].base, tasks, "THREE").await?;
        for (index, watcher) in watchers.into_iter().enumerate() {
            let seen = watcher.await??;
            print_row(
                "three hosts through Redis",
                &format!("host {} (submitted on host 1)", index + 2),
                &seen,
                tasks,
            );
        }
    }
    shared.drop_database().await;

    // Claims across hosts: host 1's one general slot spins, so hosts 2 and 3 claim.
    let claiming = test_database::ScratchDatabase::create(&admin).await;
    let cross_claims = {
        let prefix = format!("kura-bench-claims-{}-{}", std::process::id(), now_ms());
        let shared = config(claiming.url(), Some((&redis, &prefix)), 3);
        let busy = config(claiming.url(), Some((&redis, &prefix)), 1);
        let first = Host::start_with(&kura, &busy, &["test-task-spin"]).await?;
        let spin: Value = reqwest::Client::new()
            .post(format!("{}/api/tasks", first.base))
            .json(&json!({ "type": "test_spin", "data": {} }))
            .send()
            .await?
            .json()
            .await?;
        let spin_id = spin["task"]["id"].as_i64().context("no spin task")?;
        let deadline = Instant::now() + PATIENCE;
        loop {
            let task: Value = reqwest::get(format!("{}/api/tasks/{spin_id}", first.base))
                .await?
                .json()
                .await?;
            if task["status"] == "running" {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "the spinning task never ran: {task}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let others = [
            Host::start(&kura, &shared).await?,
            Host::start(&kura, &shared).await?,
        ];
        let latencies = claims(&first.base, &others[0].base, claim_count, "CROSS").await?;
        drop(others);
        latencies
    };
    claiming.drop_database().await;
    println!();
    println!("| claims, one at a time | tasks | queued to started p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    print_claims("one host (its own wake)", &single_claims);
    print_claims(
        "three hosts, claimed by another host (woken by a signal)",
        &cross_claims,
    );
    Ok(())
}
