//! Prints the download engine's figures (issue 4, N-D1): the fixture site serves a
//! 200-segment stream of about 400 MB on loopback, plain MPEG-TS (DEMO-001) and AES-128
//! (DEMO-007), with 0 ms and with 20 ms added to every request. In the same run,
//! `kura download` fetches the stream with each `--concurrency` and `--request-ahead`
//! asked for (by default 8 at once, the config's default, with 0 and with 8 requests
//! ahead, the config's default: 0 shows what sending requests ahead of their turn buys
//! when the site adds latency) and `curl` fetches one file of the same bytes from the
//! same server
//! (`/stream/{CODE}/2/full`, behind the same Referer check); all run under
//! `/usr/bin/time` for wall time, CPU time (user + system) and peak RSS. Goals: kura
//! within 1.5x of curl's wall time in all four cases, peak RSS under 64 MiB.
//! Then `kura serve` downloads the plain stream as a task, and a WebSocket client times
//! `POST /api/downloads/{code}` to `task_started`, to the first `progress_update` and to
//! `task_completed`.
//!
//! Builds nothing itself and drives the release binaries beside it, over 127.0.0.1 only;
//! segments are generated once and then served from memory (`--cache-segments`), after
//! an untimed warm-up of each tool, so the figures are the clients', not the generator's:
//!
//! ```sh
//! cargo build --release -p kura -p fixture-site
//! cargo run --release -p kura-bench --bin download -- [--runs N] [--segments N]
//!     [--segment-bytes N] [--latencies 0,20] [--concurrency 8] [--request-ahead 0,8]
//! ```

mod fixture;
mod measure;
mod serve;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use fixture::Fixture;
use measure::{Tool, Usage};

/// The goal: kura's wall time at most this many times curl's.
const GOAL_RATIO: f64 = 1.5;
/// The goal: kura's peak RSS under this.
const GOAL_RSS_BYTES: u64 = 64 * 1024 * 1024;

/// The command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// Timed runs per tool and case (the median is shown), after one warm-up run.
    pub runs: usize,
    pub segments: usize,
    /// The fixture's `--segment-bytes`: variant 2 segments are 4/3 of it.
    pub segment_bytes: usize,
    pub latencies: Vec<u64>,
    /// `kura download --concurrency` values, each timed (8 is the config's default).
    pub concurrency: Vec<usize>,
    /// `kura download --request-ahead` values, each timed with each concurrency (8 is
    /// the config's default).
    pub request_ahead: Vec<usize>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self {
            runs: 3,
            segments: 200,
            segment_bytes: 1_572_864,
            latencies: vec![0, 20],
            concurrency: vec![8],
            request_ahead: vec![0, 8],
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--runs" => options.runs = value()?.parse()?,
                "--segments" => options.segments = value()?.parse()?,
                "--segment-bytes" => options.segment_bytes = value()?.parse()?,
                "--latencies" => {
                    options.latencies = value()?
                        .split(',')
                        .map(|ms| ms.trim().parse())
                        .collect::<Result<_, _>>()?;
                }
                "--concurrency" => options.concurrency = numbers(&value()?)?,
                "--request-ahead" => options.request_ahead = numbers(&value()?)?,
                _ => anyhow::bail!(
                    "unknown argument `{flag}`; flags: --runs N, --segments N, \
                     --segment-bytes N, --latencies MS[,MS..], --concurrency N[,N..], \
                     --request-ahead N[,N..]"
                ),
            }
        }
        anyhow::ensure!((1..=20).contains(&options.runs), "--runs is 1 to 20");
        anyhow::ensure!(
            (1..=2000).contains(&options.segments),
            "--segments is 1 to 2000"
        );
        anyhow::ensure!(
            (4096..=16 * 1024 * 1024).contains(&options.segment_bytes),
            "--segment-bytes is 4096 to 16 MiB"
        );
        anyhow::ensure!(
            !options.latencies.is_empty() && options.latencies.iter().all(|ms| *ms <= 1000),
            "--latencies lists 0 to 1000 ms"
        );
        anyhow::ensure!(
            !options.concurrency.is_empty()
                && options.concurrency.iter().all(|n| (1..=64).contains(n)),
            "--concurrency lists 1 to 64"
        );
        anyhow::ensure!(
            !options.request_ahead.is_empty() && options.request_ahead.iter().all(|n| *n <= 64),
            "--request-ahead lists 0 to 64"
        );
        Ok(options)
    }
}

/// A stream of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Stream {
    pub label: &'static str,
    pub code: &'static str,
}

const STREAMS: [Stream; 2] = [
    Stream {
        label: "plain",
        code: "DEMO-001",
    },
    Stream {
        label: "AES-128",
        code: "DEMO-007",
    },
];

/// One line of the table: a tool's median run of one case.
struct Row {
    case: String,
    tool: Tool,
    usage: Usage,
    bytes: u64,
    /// kura's wall time over curl's, on kura's line.
    ratio: Option<f64>,
}

/// The release binaries beside this one.
pub struct Binaries {
    pub kura: PathBuf,
    pub fixture_site: PathBuf,
    pub time: PathBuf,
    /// The repository, for the built plugins.
    pub root: PathBuf,
}

impl Binaries {
    fn find() -> Result<Self> {
        let here = std::env::current_exe()?;
        let kura = here.with_file_name("kura");
        let fixture_site = here.with_file_name("fixture-site");
        for binary in [&kura, &fixture_site] {
            anyhow::ensure!(
                binary.is_file(),
                "{} is missing: this bench builds nothing; run \
                 `cargo build --release -p kura -p fixture-site` first",
                binary.display()
            );
        }
        let time = PathBuf::from("/usr/bin/time");
        anyhow::ensure!(
            time.is_file(),
            "/usr/bin/time (GNU time) is missing: `apt-get install -y time`"
        );
        measure::check_curl()?;
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .canonicalize()?;
        Ok(Self {
            kura,
            fixture_site,
            time,
            root,
        })
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = Options::parse(std::env::args().skip(1))?;
    let binaries = Binaries::find()?;
    let load_before = load_average();
    println!(
        "kura download bench: {} cores, load average {load_before} before the run \
         (the fixture site, the client and other builds share the machine)",
        std::thread::available_parallelism()?
    );
    println!(
        "stream: {} segments of variant 2 (fixture-site --segment-bytes {} --stream-segments {} \
         --cache-segments), plain = DEMO-001, AES-128 = DEMO-007, behind alpha's Referer check",
        options.segments, options.segment_bytes, options.segments
    );
    println!(
        "kura cN aM: `kura download URL --output FILE --header 'Referer: ..' --no-remux \
         --concurrency N --request-ahead M` (the config's defaults: 8 and 8); \
         curl: `curl -sf -o FILE -H 'Referer: ..' URL/2/full` (the same bytes, one request)"
    );
    println!(
        "median of {} timed runs per tool after one untimed warm-up each; \
         wall, CPU and peak RSS from /usr/bin/time",
        options.runs
    );
    let scratch = tempfile::Builder::new()
        .prefix("kura-download-bench")
        .tempdir()?;
    let mut rows = Vec::new();
    let mut server_lines = Vec::new();
    for &latency in &options.latencies {
        let fixture = Fixture::start(&binaries, &options, latency).await?;
        let result = run_latency(&binaries, &options, &fixture, latency, scratch.path()).await;
        let server = match &result {
            Ok(_) => {
                Some(serve::first_progress(&binaries, &fixture, STREAMS[0], scratch.path()).await)
            }
            Err(_) => None,
        };
        fixture.stop().await;
        rows.extend(result?);
        if let Some(server) = server {
            server_lines.push(format!("{latency:>2} ms: {}", server?));
        }
    }
    print_table(&rows);
    println!("\nserver (`kura serve`, a download task of DEMO-001 with the fixture plugins):");
    for line in &server_lines {
        println!("  {line}");
    }
    println!("\nload average {} after the run", load_average());
    Ok(())
}

/// Every stream at one latency: curl and kura at each concurrency, warm-up then timed
/// runs taken in turns, so a slow moment of the machine hits every tool alike.
async fn run_latency(
    binaries: &Binaries,
    options: &Options,
    fixture: &Fixture,
    latency: u64,
    scratch: &Path,
) -> Result<Vec<Row>> {
    let tools: Vec<Tool> = std::iter::once(Tool::Curl)
        .chain(options.concurrency.iter().flat_map(|&concurrency| {
            options
                .request_ahead
                .iter()
                .map(move |&ahead| Tool::Kura(concurrency, ahead))
        }))
        .collect();
    let mut rows = Vec::new();
    for stream in STREAMS {
        let case = format!("{}, {latency} ms", stream.label);
        eprintln!("{case}: warm-up");
        let curl_file = scratch.join("curl.bin");
        let kura_file = scratch.join("kura.ts");
        let file = |tool: Tool| match tool {
            Tool::Curl => &curl_file,
            Tool::Kura(..) => &kura_file,
        };
        let expected = measure::run(binaries, fixture, stream, Tool::Curl, &curl_file)
            .await
            .with_context(|| format!("{case}: curl warm-up"))?
            .bytes;
        for &tool in &tools[1..] {
            let _ = std::fs::remove_file(&kura_file);
            measure::run(binaries, fixture, stream, tool, &kura_file)
                .await
                .with_context(|| format!("{case}: {} warm-up", tool.name()))?;
            anyhow::ensure!(
                measure::same_bytes(&curl_file, &kura_file)?,
                "{case}: {}'s file differs from curl's",
                tool.name()
            );
        }
        let mut runs: Vec<Vec<Usage>> = vec![Vec::new(); tools.len()];
        for run in 0..options.runs {
            eprintln!("{case}: run {}", run + 1);
            for (slot, &tool) in tools.iter().enumerate() {
                let _ = std::fs::remove_file(file(tool));
                let outcome = measure::run(binaries, fixture, stream, tool, file(tool))
                    .await
                    .with_context(|| format!("{case}: {} run {}", tool.name(), run + 1))?;
                anyhow::ensure!(
                    outcome.bytes == expected,
                    "{case}: {} wrote {} bytes, expected {expected}",
                    tool.name(),
                    outcome.bytes
                );
                runs[slot].push(outcome.usage);
            }
        }
        let _ = std::fs::remove_file(&curl_file);
        let _ = std::fs::remove_file(&kura_file);
        let curl = Usage::median(&runs[0]);
        for (slot, &tool) in tools.iter().enumerate() {
            let usage = Usage::median(&runs[slot]);
            let ratio =
                (slot > 0).then(|| usage.wall.as_secs_f64() / curl.wall.as_secs_f64().max(1e-9));
            rows.push(Row {
                case: case.clone(),
                tool,
                usage,
                bytes: expected,
                ratio,
            });
        }
    }
    Ok(rows)
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<16} {:<11} {:>8} {:>8} {:>8} {:>8} {:>10} {:>8} {:>9}  goals",
        "case", "tool", "MB", "wall s", "CPU s", "MB/s", "peak RSS", "vs curl", "CPU/GB"
    );
    for row in rows {
        let wall = row.usage.wall.as_secs_f64();
        let cpu = row.usage.cpu().as_secs_f64();
        let megabytes = row.bytes as f64 / 1e6;
        let ratio = row
            .ratio
            .map(|ratio| format!("{ratio:.2}x"))
            .unwrap_or_default();
        let goals = match row.ratio {
            Some(ratio) => format!(
                "time {}, RSS {}",
                if ratio <= GOAL_RATIO { "ok" } else { "MISSED" },
                if row.usage.peak_rss_bytes < GOAL_RSS_BYTES {
                    "ok"
                } else {
                    "MISSED"
                }
            ),
            None => String::new(),
        };
        println!(
            "{:<16} {:<11} {:>8.1} {:>8.2} {:>8.2} {:>8.0} {:>6.1} MiB {:>8} {:>8.2}s  {goals}",
            row.case,
            row.tool.name(),
            megabytes,
            wall,
            cpu,
            megabytes / wall.max(1e-9),
            row.usage.peak_rss_bytes as f64 / (1024.0 * 1024.0),
            ratio,
            cpu / (megabytes / 1000.0).max(1e-9),
        );
    }
    println!(
        "(CPU = user + system of the client process; goals: kura within {GOAL_RATIO}x of curl's \
         wall time, peak RSS under {} MiB)",
        GOAL_RSS_BYTES / (1024 * 1024)
    );
}

/// `8,16` as numbers.
fn numbers(list: &str) -> Result<Vec<usize>> {
    Ok(list
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?)
}

/// `/proc/loadavg`'s three averages.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
