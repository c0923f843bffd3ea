//! Prints the library API's figures under load (issue 3): with a seeded library of
//! 100,000 resources, `wrk` at 64 connections against
//! - `GET /api/resources` page 1 of 50 with a filter and a sort,
//! - `GET /api/resource/{code}/metadata` over random `SEED-xxxxxx` codes (a Lua script),
//! - `GET /ui/list.json`, the same list response as a static file served by the same
//!   server (`server.web_dir`): the ceiling,
//!
//! on SQLite, then on PostgreSQL when `KURA_TEST_DATABASE_URL` or `--postgres URL` names
//! a server (a fresh database is created and dropped). Requests per second, p50 and p99
//! latency, failures, and the server's VmRSS and VmHWM after each run.
//!
//! Builds nothing itself and drives the release `kura` beside it, over loopback only:
//!
//! ```sh
//! cargo build --release -p kura
//! cargo run --release -p kura-bench --bin library -- [--postgres URL] [--count N]
//!     [--duration SECS] [--warmup SECS] [--connections N] [--threads N]
//! ```

mod server;
mod wrk;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use server::{Database, Instance, Memory, Server};
use wrk::{Load, Report};

/// The list scenario: a filter, a sort, page 1 of 50.
const LIST_QUERY: &str =
    "/api/resources?translation_status=completed&sort=release_date&order=desc&page_size=50";
/// Where the list response is saved under `web_dir`, and the URL it is served at.
const STATIC_FILE: &str = "list.json";
const STATIC_PATH: &str = "/ui/list.json";

/// The command line.
#[derive(Debug)]
struct Options {
    count: u64,
    load: Load,
    warmup: Duration,
    postgres: Option<String>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self {
            count: 100_000,
            load: Load {
                threads: 2,
                connections: 64,
                duration: Duration::from_secs(10),
            },
            warmup: Duration::from_secs(2),
            postgres: std::env::var("KURA_TEST_DATABASE_URL")
                .ok()
                .filter(|url| !url.is_empty()),
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--postgres" => options.postgres = Some(value()?),
                "--count" => options.count = value()?.parse()?,
                "--duration" => options.load.duration = Duration::from_secs(value()?.parse()?),
                "--warmup" => options.warmup = Duration::from_secs(value()?.parse()?),
                "--connections" => options.load.connections = value()?.parse()?,
                "--threads" => options.load.threads = value()?.parse()?,
                _ => anyhow::bail!(
                    "unknown argument `{flag}`; flags: --postgres URL, --count N, \
                     --duration SECS, --warmup SECS, --connections N, --threads N"
                ),
            }
        }
        anyhow::ensure!(options.count >= 1, "--count must be at least 1");
        anyhow::ensure!(
            (1..=600).contains(&options.load.duration.as_secs()) && options.warmup.as_secs() <= 60,
            "--duration is 1 to 600 seconds, --warmup at most 60"
        );
        Ok(options)
    }
}

/// One line of the table.
struct Row {
    backend: &'static str,
    scenario: &'static str,
    report: Report,
    memory: Memory,
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = Options::parse(std::env::args().skip(1))?;
    let kura = std::env::current_exe()?.with_file_name("kura");
    anyhow::ensure!(
        kura.is_file(),
        "{} is missing: this bench builds nothing; run `cargo build --release -p kura` first",
        kura.display()
    );
    print_header(&kura, &options)?;
    let mut rows = run_backend(&kura, &options, &Database::sqlite()).await?;
    match &options.postgres {
        Some(url) => {
            let database = Database::fresh_postgres(url).await?;
            let result = run_backend(&kura, &options, &database).await;
            database.drop_database().await?;
            rows.extend(result?);
        }
        None => println!(
            "\nPostgreSQL skipped: set KURA_TEST_DATABASE_URL or pass --postgres URL \
             (`eval \"$(tools/services/start.sh)\"` starts one)"
        ),
    }
    print_table(&rows);
    let failures: u64 = rows.iter().map(|row| row.report.failures()).sum();
    anyhow::ensure!(
        failures == 0,
        "{failures} requests failed (non-2xx or socket errors): the figures are not valid"
    );
    Ok(())
}

fn print_header(kura: &Path, options: &Options) -> Result<()> {
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load_average = load_average.split_whitespace().next().unwrap_or("?");
    println!(
        "kura library bench: {} cores, 1-minute load average {load_average} before the run \
         (wrk and the server share the machine)",
        std::thread::available_parallelism()?
    );
    println!("server: {}", kura.display());
    println!(
        "{} resources; wrk --latency, {} threads, {} connections, {:?} warm-up then {:?} per scenario",
        options.count,
        options.load.threads,
        options.load.connections,
        options.warmup,
        options.load.duration
    );
    println!("  list:     GET {LIST_QUERY}");
    println!(
        "  metadata: GET /api/resource/SEED-{{random 000001..{:06}}}/metadata (wrk Lua script)",
        options.count
    );
    println!(
        "  static:   GET {STATIC_PATH} (the list response as a file, same server, same layers)"
    );
    Ok(())
}

/// Seeds a library on `database`, serves it and measures every scenario.
async fn run_backend(kura: &Path, options: &Options, database: &Database) -> Result<Vec<Row>> {
    println!("\n## {}", database.name);
    let instance = Instance::new(kura, database)?;
    let (elapsed, printed) = instance.seed(options.count).await?;
    println!(
        "seeding {} resources: {:.1} s wall (kura: \"{printed}\")",
        options.count,
        elapsed.as_secs_f64()
    );
    let server = instance.serve().await?;
    let result = measure(&server, &instance, options, database.name).await;
    let log = server.log();
    server.stop().await?;
    if !log.trim().is_empty() {
        println!("server log (warnings and errors):\n{}", log.trim_end());
    }
    result
}

async fn measure(
    server: &Server,
    instance: &Instance,
    options: &Options,
    backend: &'static str,
) -> Result<Vec<Row>> {
    let memory = server.memory()?;
    println!("server idle: {}", memory_text(memory));
    let script = write_metadata_script(instance.path(), options.count)?;
    check_routes(server, instance, options.count).await?;
    let scenarios: [(&'static str, String, Option<&Path>); 3] = [
        ("list", format!("{}{LIST_QUERY}", server.base), None),
        (
            "metadata",
            format!("{}/", server.base),
            Some(script.as_path()),
        ),
        ("static", format!("{}{STATIC_PATH}", server.base), None),
    ];
    let mut rows = Vec::new();
    for (scenario, url, script) in scenarios {
        let warmup = Load {
            duration: options.warmup,
            ..options.load
        };
        if !options.warmup.is_zero() {
            let report = wrk::run(warmup, &url, script).await?;
            if report.failures() > 0 {
                println!(
                    "warning: {scenario} warm-up: {} failed requests",
                    report.failures()
                );
            }
        }
        let report = wrk::run(options.load, &url, script).await?;
        let memory = server.memory()?;
        println!(
            "{scenario}: {:.0} req/s, p50 {} ms, p99 {} ms, {} requests, {} failed; {}",
            report.requests_per_sec,
            millis(report.p50),
            millis(report.p99),
            report.requests,
            report.failures(),
            memory_text(memory)
        );
        rows.push(Row {
            backend,
            scenario,
            report,
            memory,
        });
    }
    Ok(rows)
}

/// Checks each route answers 200 before loading it, and saves the list response as
/// the static file.
async fn check_routes(server: &Server, instance: &Instance, count: u64) -> Result<()> {
    let client = server::client()?;
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{}{path}", server.base);
        async move {
            let response = client.get(&url).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            anyhow::ensure!(
                status.is_success(),
                "GET {url}: {status}: {}",
                String::from_utf8_lossy(&body)
            );
            anyhow::Ok(body)
        }
    };
    let list = get(LIST_QUERY.to_owned()).await?;
    let json: serde_json::Value = serde_json::from_slice(&list).context("the list response")?;
    let items = json["items"].as_array().map_or(0, Vec::len);
    println!(
        "list response: {} bytes, {items} items of {} matching",
        list.len(),
        json["total"]
    );
    anyhow::ensure!(items > 0, "the list response has no items");
    std::fs::write(instance.web_dir().join(STATIC_FILE), &list)?;
    let copy = get(STATIC_PATH.to_owned()).await?;
    anyhow::ensure!(copy == list, "{STATIC_PATH} differs from the list response");
    for n in [1, count] {
        get(format!("/api/resource/SEED-{n:06}/metadata")).await?;
    }
    Ok(())
}

/// The metadata scenario's wrk script: a random seeded code per request, a different
/// random sequence per wrk thread.
fn write_metadata_script(dir: &Path, count: u64) -> Result<PathBuf> {
    let script = format!(
        r#"local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  math.randomseed(7919 * id)
end
request = function()
  return wrk.format("GET", "/api/resource/SEED-" .. string.format("%06d", math.random(1, {count})) .. "/metadata")
end
"#
    );
    let path = dir.join("metadata.lua");
    std::fs::write(&path, script)?;
    Ok(path)
}

fn print_table(rows: &[Row]) {
    println!("\n## Library API under wrk\n");
    println!(
        "| backend | scenario | req/s | p50 ms | p99 ms | non-2xx | socket errors | VmRSS MiB | VmHWM MiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let r = &row.report;
        println!(
            "| {} | {} | {:.0} | {} | {} | {} | {} | {:.1} | {:.1} |",
            row.backend,
            row.scenario,
            r.requests_per_sec,
            millis(r.p50),
            millis(r.p99),
            r.non_2xx,
            r.socket_errors,
            row.memory.rss_kib as f64 / 1024.0,
            row.memory.hwm_kib as f64 / 1024.0
        );
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

fn memory_text(memory: Memory) -> String {
    format!(
        "VmRSS {:.1} MiB, VmHWM {:.1} MiB",
        memory.rss_kib as f64 / 1024.0,
        memory.hwm_kib as f64 / 1024.0
    )
}
