//! Prints the library API's figures under load (issue 15): for each library size (10,000,
//! 100,000 and 1,000,000 resources by default) on SQLite, then on PostgreSQL when
//! `KURA_TEST_DATABASE_URL` or `--postgres URL` names a server (a fresh database is made
//! and dropped), `wrk` at 64 connections against
//! - `GET /ui/list.json`, the list response as a static file served by the same server
//!   (`server.web_dir`): the ceiling every row is compared with;
//! - the issue's list (a filter, a sort, page 1 of 50), as clients repeat it (served from
//!   the list cache), and conditionally (`If-None-Match`: 304);
//! - `GET /api/resource/{code}/metadata` over random codes;
//! - each filter with random values, sorts and orders, as the default server answers it
//!   (a repeated request from the list cache);
//! - with the list cache off (`library.list_cache_mib: 0`), so every request reads the
//!   database: the issue's list; each filter with random values, sorts and orders; pages
//!   anywhere in the library by cursor and by page number;
//! - the issue's list while `kura seed --from` imports more resources beside the server
//!   (another process, batched transactions).
//!
//! Seeding rates, requests per second, p50 and p99, each row's p99 and throughput as
//! ratios of the static file's in the same run, failures, and the server's VmRSS and
//! VmHWM (its peak), then each scenario side by side across sizes.
//!
//! Builds nothing itself and drives the release `kura` beside it, over loopback only:
//!
//! ```sh
//! cargo build --release -p kura
//! cargo run --release -p kura-bench --bin library -- [--postgres URL] [--no-postgres] [--no-sqlite]
//!     [--counts 10000,100000,1000000] [--import N] [--duration SECS] [--warmup SECS]
//!     [--connections N] [--threads N] [--only NAME[,NAME..]]
//! ```
//!
//! `--only` runs the scenarios whose names contain one of the given texts (the static
//! ceiling always runs), and skips the import unless one of them is `import`:
//!
//! ```sh
//! cargo run --release -p kura-bench --bin library -- --counts 100000 --only metadata,search
//! ```

mod scenarios;
mod server;
mod wrk;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use scenarios::{FILTERS, LIST_QUERY};
use server::{Database, Instance, Memory, Server};
use wrk::{Load, Report};

/// Where the list response is saved under `web_dir`, and the URL it is served at.
const STATIC_FILE: &str = "list.json";
const STATIC_PATH: &str = "/ui/list.json";
/// Resources whose ids and creation times make the deep-cursor scenario's cursors.
const CURSOR_ROWS: u64 = 200;
/// The import scenario's wrk runs: this long each, at most this many.
const IMPORT_SLICE: Duration = Duration::from_secs(3);
const IMPORT_SLICES: u32 = 200;

/// The command line.
#[derive(Debug)]
struct Options {
    counts: Vec<u64>,
    import: u64,
    load: Load,
    warmup: Duration,
    postgres: Option<String>,
    /// `--no-sqlite`: PostgreSQL alone.
    sqlite: bool,
    /// `--only`: the texts a scenario's name must contain one of (all when empty).
    only: Vec<String>,
}

impl Options {
    /// Whether the scenario named `name` runs.
    fn runs(&self, name: &str) -> bool {
        name == "static"
            || self.only.is_empty()
            || self.only.iter().any(|o| name.contains(o.as_str()))
    }
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self {
            counts: vec![10_000, 100_000, 1_000_000],
            import: 100_000,
            load: Load {
                threads: 2,
                connections: 64,
                duration: Duration::from_secs(10),
            },
            warmup: Duration::from_secs(2),
            postgres: std::env::var("KURA_TEST_DATABASE_URL")
                .ok()
                .filter(|url| !url.is_empty()),
            sqlite: true,
            only: Vec::new(),
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--postgres" => options.postgres = Some(value()?),
                "--no-sqlite" => options.sqlite = false,
                "--no-postgres" => options.postgres = None,
                "--counts" | "--count" => {
                    options.counts = value()?
                        .split(',')
                        .map(|n| n.trim().replace('_', "").parse::<u64>())
                        .collect::<Result<_, _>>()?;
                }
                "--import" => options.import = value()?.parse()?,
                "--duration" => options.load.duration = Duration::from_secs(value()?.parse()?),
                "--warmup" => options.warmup = Duration::from_secs(value()?.parse()?),
                "--connections" => options.load.connections = value()?.parse()?,
                "--threads" => options.load.threads = value()?.parse()?,
                "--only" => {
                    options.only = value()?.split(',').map(|s| s.trim().to_owned()).collect();
                }
                _ => anyhow::bail!(
                    "unknown argument `{flag}`; flags: --postgres URL, --no-postgres, \
                     --no-sqlite, --counts N[,N..], \
                     --import N, --duration SECS, --warmup SECS, --connections N, --threads N, \
                     --only NAME[,NAME..]"
                ),
            }
        }
        anyhow::ensure!(
            !options.counts.is_empty()
                && options.counts.iter().all(|n| (1..=10_000_000).contains(n)),
            "--counts are 1 to 10,000,000"
        );
        anyhow::ensure!(
            (1..=600).contains(&options.load.duration.as_secs()) && options.warmup.as_secs() <= 60,
            "--duration is 1 to 600 seconds, --warmup at most 60"
        );
        anyhow::ensure!(
            options.import <= 10_000_000,
            "--import is at most 10,000,000"
        );
        Ok(options)
    }
}

/// One measured scenario.
struct Row {
    backend: &'static str,
    count: u64,
    scenario: String,
    report: Report,
    /// The static file's p99 and rate in the same server run.
    ceiling: Option<Report>,
    memory: Memory,
}

/// What seeding and importing wrote, per second.
struct Writes {
    backend: &'static str,
    count: u64,
    seed_rate: f64,
    import_rate: Option<f64>,
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
    let mut rows = Vec::new();
    let mut writes = Vec::new();
    for &count in options.counts.iter().filter(|_| options.sqlite) {
        let (mut more, write) = run_backend(&kura, &options, &Database::sqlite(), count).await?;
        rows.append(&mut more);
        writes.push(write);
    }
    match &options.postgres {
        Some(url) => {
            for &count in &options.counts {
                let database = Database::fresh_postgres(url).await?;
                let result = run_backend(&kura, &options, &database, count).await;
                database.drop_database().await?;
                let (mut more, write) = result?;
                rows.append(&mut more);
                writes.push(write);
            }
        }
        None => println!(
            "\nPostgreSQL skipped: set KURA_TEST_DATABASE_URL or pass --postgres URL \
             (`eval \"$(tools/services/start.sh)\"` starts one)"
        ),
    }
    print_table(&rows);
    print_sizes(&rows, &options.counts);
    print_writes(&writes);
    print_memory(&rows);
    let failures: u64 = rows.iter().map(|row| row.report.failures()).sum();
    anyhow::ensure!(
        failures == 0,
        "{failures} requests failed (non-2xx/3xx or socket errors): the figures are not valid"
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
        "sizes {:?}; wrk --latency, {} threads, {} connections, {:?} warm-up then {:?} per scenario",
        options.counts,
        options.load.threads,
        options.load.connections,
        options.warmup,
        options.load.duration
    );
    println!(
        "  static:   GET {STATIC_PATH} (the list response as a file, same server, same layers)"
    );
    println!("  list:     GET {LIST_QUERY}");
    println!("  metadata: GET /api/resource/SEED-{{random}}/metadata");
    println!(
        "  list: <filter>: random values of the filter, random sort and order, page 1 of 50; \
         with the list cache on (the default) and off"
    );
    Ok(())
}

/// Seeds a library of `count` on `database`, serves it and measures every scenario.
async fn run_backend(
    kura: &Path,
    options: &Options,
    database: &Database,
    count: u64,
) -> Result<(Vec<Row>, Writes)> {
    println!("\n## {} at {count} resources", database.name);
    let instance = Instance::new(kura, database)?;
    let (elapsed, printed) = instance.seed(1, count).await?;
    let seed_rate = count as f64 / elapsed.as_secs_f64();
    println!(
        "seeding {count} resources: {:.1} s wall, {seed_rate:.0} resources/s (kura: \"{printed}\")",
        elapsed.as_secs_f64()
    );
    let mut rows = Vec::new();
    let context = Run {
        backend: database.name,
        count,
        options,
    };

    instance.set_list_cache(32)?;
    let server = instance.serve().await?;
    let cached = measure_cached(&server, &instance, &context).await;
    finish(server).await?;
    let (mut more, ceiling) = cached?;
    rows.append(&mut more);

    instance.set_list_cache(0)?;
    let server = instance.serve().await?;
    let uncached = measure_uncached(&server, &instance, &context, &ceiling).await;
    finish(server).await?;
    rows.append(&mut uncached?);

    let mut import_rate = None;
    if options.import > 0 && options.runs("import") {
        instance.set_list_cache(32)?;
        let server = instance.serve().await?;
        let imported = measure_import(&server, &instance, &context, &ceiling).await;
        finish(server).await?;
        let (row, rate) = imported?;
        rows.push(row);
        import_rate = Some(rate);
    }
    Ok((
        rows,
        Writes {
            backend: database.name,
            count,
            seed_rate,
            import_rate,
        },
    ))
}

/// One backend and library size: what every scenario of it shares.
struct Run<'a> {
    backend: &'static str,
    count: u64,
    options: &'a Options,
}

impl Run<'_> {
    fn row(&self, scenario: &str, report: Report, ceiling: Option<&Report>, memory: Memory) -> Row {
        Row {
            backend: self.backend,
            count: self.count,
            scenario: scenario.to_owned(),
            report,
            ceiling: ceiling.cloned(),
            memory,
        }
    }
}

async fn finish(server: Server) -> Result<()> {
    let log = server.log();
    server.stop().await?;
    if !log.trim().is_empty() {
        println!("server log (warnings and errors):\n{}", log.trim_end());
    }
    Ok(())
}

/// Runs one scenario (warm-up, then the measured run) and prints its line.
async fn scenario(
    server: &Server,
    context: &Run<'_>,
    name: &str,
    url: &str,
    script: Option<&Path>,
    ceiling: Option<&Report>,
) -> Result<Option<Row>> {
    let options = context.options;
    if !options.runs(name) {
        return Ok(None);
    }
    if !options.warmup.is_zero() {
        let warmup = Load {
            duration: options.warmup,
            ..options.load
        };
        let report = wrk::run(warmup, url, script).await?;
        if report.failures() > 0 {
            println!(
                "warning: {name} warm-up: {} failed requests",
                report.failures()
            );
        }
    }
    let report = wrk::run(options.load, url, script).await?;
    let memory = server.memory()?;
    println!(
        "{name}: {:.0} req/s, p50 {} ms, p99 {} ms, {} requests, {} failed{}; {}",
        report.requests_per_sec,
        millis(report.p50),
        millis(report.p99),
        report.requests,
        report.failures(),
        ceiling.map(|c| ratios(&report, c)).unwrap_or_default(),
        memory_text(memory)
    );
    Ok(Some(context.row(name, report, ceiling, memory)))
}

/// The static ceiling, the issue's list from the cache and conditionally, metadata.
async fn measure_cached(
    server: &Server,
    instance: &Instance,
    context: &Run<'_>,
) -> Result<(Vec<Row>, Report)> {
    println!("server idle: {}", memory_text(server.memory()?));
    let etag = save_static_list(server, instance, context.count).await?;
    let base = &server.base;
    let mut rows = Vec::new();
    let ceiling = scenario(
        server,
        context,
        "static",
        &format!("{base}{STATIC_PATH}"),
        None,
        None,
    )
    .await?
    .context("the static ceiling always runs")?;
    let ceiling_report = ceiling.report.clone();
    rows.push(ceiling);
    let list = format!("{base}{LIST_QUERY}");
    rows.extend(
        scenario(
            server,
            context,
            "list (cached)",
            &list,
            None,
            Some(&ceiling_report),
        )
        .await?,
    );
    let script = scenarios::conditional(instance.path(), &etag)?;
    rows.extend(
        scenario(
            server,
            context,
            "list (304)",
            &list,
            Some(&script),
            Some(&ceiling_report),
        )
        .await?,
    );
    let script = scenarios::metadata(instance.path(), context.count)?;
    rows.extend(
        scenario(
            server,
            context,
            "metadata",
            &format!("{base}/"),
            Some(&script),
            Some(&ceiling_report),
        )
        .await?,
    );
    // Each filter as the default server answers it: repeated values come from the cache.
    for (n, filter) in FILTERS.iter().enumerate() {
        let script = scenarios::filter(instance.path(), context.count, n, filter)?;
        let name = format!("{} (cache on)", filter.name);
        rows.extend(
            scenario(
                server,
                context,
                &name,
                &format!("{base}/"),
                Some(&script),
                Some(&ceiling_report),
            )
            .await?,
        );
    }
    Ok((rows, ceiling_report))
}

/// Every request reads the database: the issue's list, each filter, deep pages.
async fn measure_uncached(
    server: &Server,
    instance: &Instance,
    context: &Run<'_>,
    ceiling: &Report,
) -> Result<Vec<Row>> {
    let base = &server.base;
    let dir = instance.path();
    let mut rows = Vec::new();
    let ceiling = Some(ceiling);
    let list = format!("{base}{LIST_QUERY}");
    rows.extend(scenario(server, context, "list (uncached)", &list, None, ceiling).await?);
    for (n, filter) in FILTERS.iter().enumerate() {
        let script = scenarios::filter(dir, context.count, n, filter)?;
        rows.extend(
            scenario(
                server,
                context,
                filter.name,
                &format!("{base}/"),
                Some(&script),
                ceiling,
            )
            .await?,
        );
    }
    let rows_for_cursors = cursor_rows(server, context.count).await?;
    let script = scenarios::deep_cursor(dir, context.count, &rows_for_cursors)?;
    rows.extend(
        scenario(
            server,
            context,
            "list: any depth, cursor",
            &format!("{base}/"),
            Some(&script),
            ceiling,
        )
        .await?,
    );
    let script = scenarios::deep_page(dir, context.count)?;
    rows.extend(
        scenario(
            server,
            context,
            "list: any depth, page number",
            &format!("{base}/"),
            Some(&script),
            ceiling,
        )
        .await?,
    );
    Ok(rows)
}

/// The issue's list under wrk while `kura seed --from` imports `--import` resources
/// beside the server: wrk runs in slices until the import ends; the row has the slices'
/// requests together, their slowest p50 and p99.
async fn measure_import(
    server: &Server,
    instance: &Instance,
    context: &Run<'_>,
    ceiling: &Report,
) -> Result<(Row, f64)> {
    let import = context.options.import;
    let list = format!("{}{LIST_QUERY}", server.base);
    let started = Instant::now();
    let seeding = tokio::spawn(instance.seed_command(context.count + 1, import, None));
    let slice = Load {
        duration: IMPORT_SLICE,
        ..context.options.load
    };
    let mut reports = Vec::new();
    while !seeding.is_finished() && reports.len() < IMPORT_SLICES as usize {
        reports.push(wrk::run(slice, &list, None).await?);
    }
    let (elapsed, printed) = seeding.await.context("the import task")??;
    let rate = import as f64 / elapsed.as_secs_f64();
    println!(
        "import of {import} more during the list load: {:.1} s, {rate:.0} resources/s (kura: \"{printed}\"), {} wrk slices of {IMPORT_SLICE:?} in {:.1} s",
        elapsed.as_secs_f64(),
        reports.len(),
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(
        !reports.is_empty(),
        "the import ended before any wrk slice ran"
    );
    let report = Report {
        requests: reports.iter().map(|r| r.requests).sum(),
        requests_per_sec: reports.iter().map(|r| r.requests_per_sec).sum::<f64>()
            / reports.len() as f64,
        p50: reports.iter().map(|r| r.p50).max().unwrap_or_default(),
        p99: reports.iter().map(|r| r.p99).max().unwrap_or_default(),
        non_2xx: reports.iter().map(|r| r.non_2xx).sum(),
        socket_errors: reports.iter().map(|r| r.socket_errors).sum(),
        unexpected: None,
    };
    let memory = server.memory()?;
    println!(
        "list during the import: {:.0} req/s, worst slice p50 {} ms, p99 {} ms{}; {}",
        report.requests_per_sec,
        millis(report.p50),
        millis(report.p99),
        ratios(&report, ceiling),
        memory_text(memory)
    );
    Ok((
        context.row("list during an import", report, Some(ceiling), memory),
        rate,
    ))
}

/// Checks the routes answer, saves the list response as the static file; its ETag.
async fn save_static_list(server: &Server, instance: &Instance, count: u64) -> Result<String> {
    let client = server::client()?;
    let response = client
        .get(format!("{}{LIST_QUERY}", server.base))
        .send()
        .await?;
    let status = response.status();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let list = response.bytes().await?;
    anyhow::ensure!(status.is_success(), "GET {LIST_QUERY}: {status}");
    anyhow::ensure!(!etag.is_empty(), "GET {LIST_QUERY}: no ETag");
    let json: serde_json::Value = serde_json::from_slice(&list).context("the list response")?;
    let items = json["items"].as_array().map_or(0, Vec::len);
    println!(
        "list response: {} bytes, {items} items of {} matching (exact: {})",
        list.len(),
        json["total"],
        json["total_exact"]
    );
    anyhow::ensure!(items > 0, "the list response has no items");
    std::fs::write(instance.web_dir().join(STATIC_FILE), &list)?;
    let copy = client
        .get(format!("{}{STATIC_PATH}", server.base))
        .send()
        .await?
        .bytes()
        .await?;
    anyhow::ensure!(copy == list, "{STATIC_PATH} differs from the list response");
    for n in [1, count] {
        let url = format!(
            "{}/api/resource/{}/metadata",
            server.base,
            scenarios::seed_code(n)
        );
        let status = client.get(&url).send().await?.status();
        anyhow::ensure!(status.is_success(), "GET {url}: {status}");
    }
    Ok(etag)
}

/// Ids and creation times of resources spread over the library (the deep cursors).
async fn cursor_rows(server: &Server, count: u64) -> Result<Vec<(u64, i64)>> {
    let client = server::client()?;
    let mut rows = Vec::new();
    for k in 0..CURSOR_ROWS.min(count) {
        let n = 1 + k * count / CURSOR_ROWS.min(count);
        let url = format!(
            "{}/api/resource/{}/metadata",
            server.base,
            scenarios::seed_code(n)
        );
        let body: serde_json::Value = client.get(&url).send().await?.json().await?;
        let id = body["id"]
            .as_u64()
            .with_context(|| format!("{url}: no id"))?;
        let at = body["created_at"]
            .as_i64()
            .with_context(|| format!("{url}: no created_at"))?;
        rows.push((id, at));
    }
    Ok(rows)
}

fn ratios(report: &Report, ceiling: &Report) -> String {
    format!(
        " (p99 {:.2}x static, rate {:.2}x static)",
        report.p99.as_secs_f64() / ceiling.p99.as_secs_f64().max(1e-9),
        report.requests_per_sec / ceiling.requests_per_sec.max(1e-9)
    )
}

fn print_table(rows: &[Row]) {
    println!("\n## Library API under wrk\n");
    println!(
        "| backend | resources | scenario | req/s | p50 ms | p99 ms | p99 / static | req/s / static | failed | VmHWM MiB |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let r = &row.report;
        let (p99_ratio, rate_ratio) = match &row.ceiling {
            Some(c) => (
                format!("{:.2}", r.p99.as_secs_f64() / c.p99.as_secs_f64().max(1e-9)),
                format!("{:.2}", r.requests_per_sec / c.requests_per_sec.max(1e-9)),
            ),
            None => ("1".to_owned(), "1".to_owned()),
        };
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {p99_ratio} | {rate_ratio} | {} | {:.1} |",
            row.backend,
            row.count,
            row.scenario,
            r.requests_per_sec,
            millis(r.p50),
            millis(r.p99),
            r.failures(),
            row.memory.hwm_kib as f64 / 1024.0
        );
    }
}

/// Each scenario's p99 across library sizes, and the largest over the second largest.
fn print_sizes(rows: &[Row], counts: &[u64]) {
    if counts.len() < 2 {
        return;
    }
    let mut counts = counts.to_vec();
    counts.sort_unstable();
    counts.dedup();
    println!("\n## p99 ms by library size\n");
    let heads: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
    let (last, before) = (counts[counts.len() - 1], counts[counts.len() - 2]);
    println!(
        "| backend | scenario | {} | {last} / {before} |",
        heads.join(" | ")
    );
    println!("|---|---|{}---:|", "---:|".repeat(counts.len()));
    let mut by_scenario: BTreeMap<(&str, &str), BTreeMap<u64, Duration>> = BTreeMap::new();
    let mut order = Vec::new();
    for row in rows {
        let key = (row.backend, row.scenario.as_str());
        if !by_scenario.contains_key(&key) {
            order.push(key);
        }
        by_scenario
            .entry(key)
            .or_default()
            .insert(row.count, row.report.p99);
    }
    for key in order {
        let values = &by_scenario[&key];
        let cells: Vec<String> = counts
            .iter()
            .map(|c| values.get(c).map_or("-".to_owned(), |p| millis(*p)))
            .collect();
        let growth = match (values.get(&last), values.get(&before)) {
            (Some(a), Some(b)) => format!("{:.2}", a.as_secs_f64() / b.as_secs_f64().max(1e-9)),
            _ => "-".to_owned(),
        };
        println!(
            "| {} | {} | {} | {growth} |",
            key.0,
            key.1,
            cells.join(" | ")
        );
    }
}

fn print_writes(writes: &[Writes]) {
    println!(
        "\n## Writes (kura seed: batches of 10,000, one transaction each; on PostgreSQL as many at once as there are cores, beside the server one fewer)\n"
    );
    println!(
        "| backend | resources | seeding, resources/s | importing beside the server, resources/s |"
    );
    println!("|---|---:|---:|---:|");
    for w in writes {
        println!(
            "| {} | {} | {:.0} | {} |",
            w.backend,
            w.count,
            w.seed_rate,
            w.import_rate.map_or("-".to_owned(), |r| format!("{r:.0}"))
        );
    }
}

fn print_memory(rows: &[Row]) {
    let mut peaks: BTreeMap<(&str, u64), u64> = BTreeMap::new();
    for row in rows {
        let peak = peaks.entry((row.backend, row.count)).or_default();
        *peak = (*peak).max(row.memory.hwm_kib);
    }
    println!("\n## Server peak RSS (VmHWM, the largest of the server runs)\n");
    for ((backend, count), kib) in peaks {
        println!(
            "- {backend}, {count} resources: {:.1} MiB",
            kib as f64 / 1024.0
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
