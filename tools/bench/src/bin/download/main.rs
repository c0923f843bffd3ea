//! Prints the download engine's figures (issues 4 and 16, N-D1): for each stream size
//! (by default 20 MB in 40 segments and 400 MB in 200 segments) and each latency added
//! to every request (0 and 20 ms), the fixture site serves on loopback plain MPEG-TS
//! (DEMO-001), AES-128 (DEMO-007) and a demuxed stream (a master whose audio is a
//! rendition of its own: DEMO-001's best variant as the video, DEMO-005's first as the
//! audio). In the same run `curl` fetches the same bytes as one file per track
//! (`/stream/{CODE}/2/full`, in parallel for the two tracks), `kura download --no-remux`
//! fetches the stream with the config's defaults (and with each `--concurrency` and
//! `--request-ahead` asked for), and `kura download` with its ffmpeg remux (the default
//! when ffmpeg is installed: the time the remux adds); all under `/usr/bin/time` for
//! wall time, CPU time (user + system) and peak RSS.
//!
//! The limit of an HLS client is curl's time plus two request latencies (the master and
//! the media playlist come before the first segment); the goal is kura within 1.25x of
//! it in every case, peak RSS under 64 MiB.
//! Then `kura serve` downloads the plain stream of the last size as a task, and a
//! WebSocket client times `POST /api/downloads/{code}` to `task_started`, to the first
//! `progress_update` and to `task_completed`.
//!
//! Builds nothing itself and drives the release binaries beside it, over 127.0.0.1 only;
//! segments are generated once and then served from memory (`--cache-segments`), after
//! an untimed warm-up of each tool, so the figures are the clients', not the generator's;
//! each run starts after an untimed `sync`, so no tool waits for the disk to take the
//! files an earlier run left unwritten:
//!
//! ```sh
//! cargo build --release -p kura -p fixture-site
//! cargo run --release -p kura-bench --bin download -- [--runs N]
//!     [--sizes SEGMENTS:SEGMENT_BYTES,..] [--latencies 0,20] [--concurrency N,..]
//!     [--request-ahead N,..] [--no-remux]
//! ```

mod fixture;
mod measure;
mod serve;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use fixture::Fixture;
use measure::{Tool, Usage};

/// The goal: kura's wall time at most this many times the limit (curl's, plus two
/// request latencies).
const GOAL_RATIO: f64 = 1.25;
/// The goal: kura's peak RSS under this.
const GOAL_RSS_BYTES: u64 = 64 * 1024 * 1024;

/// The flags, for `--help` and an unknown argument.
const USAGE: &str = "flags: --runs N, --sizes SEGMENTS:BYTES[,..], --latencies MS[,MS..], \
     --concurrency N[,N..], --request-ahead N[,N..], --no-remux";

/// A stream size: the fixture's `--stream-segments` and `--segment-bytes` (variant 2
/// segments are 4/3 of it).
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub segments: usize,
    pub segment_bytes: usize,
}

/// The command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// Timed runs per tool and case (the median is shown), after one warm-up run.
    pub runs: usize,
    pub sizes: Vec<Size>,
    pub latencies: Vec<u64>,
    /// `kura download --concurrency` values timed besides the defaults.
    pub concurrency: Vec<usize>,
    /// `kura download --request-ahead` values, each timed with each concurrency.
    pub request_ahead: Vec<usize>,
    /// Time the remux too.
    pub remux: bool,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self {
            runs: 3,
            sizes: vec![
                Size {
                    segments: 40,
                    segment_bytes: 393_216,
                },
                Size {
                    segments: 200,
                    segment_bytes: 1_572_864,
                },
            ],
            latencies: vec![0, 20],
            concurrency: Vec::new(),
            request_ahead: Vec::new(),
            remux: true,
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--runs" => options.runs = value()?.parse()?,
                "--sizes" => {
                    options.sizes = value()?
                        .split(',')
                        .map(|size| {
                            let (segments, bytes) = size
                                .trim()
                                .split_once(':')
                                .context("a size is SEGMENTS:SEGMENT_BYTES")?;
                            Ok(Size {
                                segments: segments.parse()?,
                                segment_bytes: bytes.parse()?,
                            })
                        })
                        .collect::<Result<_>>()?;
                }
                "--latencies" => {
                    options.latencies = value()?
                        .split(',')
                        .map(|ms| ms.trim().parse())
                        .collect::<Result<_, _>>()?;
                }
                "--concurrency" => options.concurrency = numbers(&value()?)?,
                "--request-ahead" => options.request_ahead = numbers(&value()?)?,
                "--no-remux" => options.remux = false,
                "--help" | "-h" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                _ => anyhow::bail!("unknown argument `{flag}`; {USAGE}"),
            }
        }
        anyhow::ensure!((1..=20).contains(&options.runs), "--runs is 1 to 20");
        anyhow::ensure!(
            !options.sizes.is_empty()
                && options.sizes.iter().all(|size| {
                    (1..=2000).contains(&size.segments)
                        && (4096..=16 * 1024 * 1024).contains(&size.segment_bytes)
                }),
            "--sizes lists 1 to 2000 segments of 4096 to 16 MiB"
        );
        anyhow::ensure!(
            !options.latencies.is_empty() && options.latencies.iter().all(|ms| *ms <= 1000),
            "--latencies lists 0 to 1000 ms"
        );
        anyhow::ensure!(
            options.concurrency.iter().all(|n| (1..=64).contains(n)),
            "--concurrency lists 1 to 64"
        );
        anyhow::ensure!(
            options.request_ahead.iter().all(|n| *n <= 64),
            "--request-ahead lists 0 to 64"
        );
        anyhow::ensure!(
            options.concurrency.is_empty() == options.request_ahead.is_empty(),
            "--concurrency and --request-ahead go together"
        );
        Ok(options)
    }
}

/// How a stream is packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Plain,
    Aes,
    /// The audio in a rendition of its own.
    Demuxed,
}

/// A stream of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Stream {
    pub label: &'static str,
    pub code: &'static str,
    pub kind: StreamKind,
}

const STREAMS: [Stream; 3] = [
    Stream {
        label: "plain",
        code: "DEMO-001",
        kind: StreamKind::Plain,
    },
    Stream {
        label: "AES-128",
        code: "DEMO-007",
        kind: StreamKind::Aes,
    },
    Stream {
        label: "demuxed",
        code: "DEMO-001",
        kind: StreamKind::Demuxed,
    },
];

/// One line of the table: a tool's median run of one case.
struct Row {
    case: String,
    tool: Tool,
    usage: Usage,
    bytes: u64,
    /// curl's wall time plus two request latencies.
    limit: f64,
    /// kura's wall time over the limit, on kura's line.
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
        "streams: variant 2 of the fixture's (--stream-segments N --segment-bytes B \
         --cache-segments); plain = DEMO-001, AES-128 = DEMO-007, behind alpha's Referer \
         check; demuxed = DEMO-001's variant 2 with DEMO-005's variant 0 as its audio rendition"
    );
    println!(
        "kura: `kura download URL --output FILE --header 'Referer: ..' --no-remux` with the \
         config's defaults; kura remux: the same with ffmpeg's remux to MP4; curl: `curl -sf \
         --parallel -o FILE URL/2/full [-o AUDIO AUDIO_URL]` (the same bytes, one request per track)"
    );
    println!(
        "median of {} timed runs per tool after one untimed warm-up each; \
         wall, CPU and peak RSS from /usr/bin/time; limit = curl + 2 x latency",
        options.runs
    );
    let scratch = tempfile::Builder::new()
        .prefix("kura-download-bench")
        .tempdir()?;
    let mut rows = Vec::new();
    let mut server_lines = Vec::new();
    for (index, &size) in options.sizes.iter().enumerate() {
        for &latency in &options.latencies {
            let fixture = Fixture::start(&binaries, size, latency).await?;
            let result =
                run_latency(&binaries, &options, &fixture, size, latency, scratch.path()).await;
            let last_size = index + 1 == options.sizes.len();
            let server = match &result {
                Ok(_) if last_size => Some(
                    serve::first_progress(&binaries, &fixture, STREAMS[0], scratch.path()).await,
                ),
                _ => None,
            };
            fixture.stop().await;
            rows.extend(result?);
            if let Some(server) = server {
                server_lines.push(format!("{latency:>2} ms: {}", server?));
            }
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

/// Every stream of one size at one latency: curl and each kura tool, warm-up then timed
/// runs taken in turns, so a slow moment of the machine hits every tool alike.
async fn run_latency(
    binaries: &Binaries,
    options: &Options,
    fixture: &Fixture,
    size: Size,
    latency: u64,
    scratch: &Path,
) -> Result<Vec<Row>> {
    let mut tools = vec![Tool::Curl, Tool::Kura];
    for &concurrency in &options.concurrency {
        for &ahead in &options.request_ahead {
            tools.push(Tool::KuraWith(concurrency, ahead));
        }
    }
    if options.remux {
        tools.push(Tool::KuraRemux);
    }
    let megabytes = size.segments * size.segment_bytes * 4 / 3 / 1_000_000;
    let mut rows = Vec::new();
    for stream in STREAMS {
        let case = format!("{megabytes} MB {}, {latency} ms", stream.label);
        eprintln!("{case}: warm-up");
        let curl_file = scratch.join("curl.ts");
        let kura_file = scratch.join("kura.ts");
        let remux_file = scratch.join("kura.mp4");
        let file = |tool: Tool| match tool {
            Tool::Curl => &curl_file,
            Tool::Kura | Tool::KuraWith(..) => &kura_file,
            Tool::KuraRemux => &remux_file,
        };
        let clear = |tool: Tool| {
            let _ = std::fs::remove_file(file(tool));
            let _ = std::fs::remove_file(measure::sidecar(file(tool)));
        };
        let expected = measure::run(binaries, fixture, stream, Tool::Curl, &curl_file)
            .await
            .with_context(|| format!("{case}: curl warm-up"))?
            .bytes;
        for &tool in &tools[1..] {
            clear(tool);
            measure::run(binaries, fixture, stream, tool, file(tool))
                .await
                .with_context(|| format!("{case}: {} warm-up", tool.name()))?;
            if tool.writes_stream_bytes() {
                let mut same = measure::same_bytes(&curl_file, &kura_file)?;
                if stream.kind == StreamKind::Demuxed {
                    same &= measure::same_bytes(
                        &measure::sidecar(&curl_file),
                        &measure::sidecar(&kura_file),
                    )?;
                }
                anyhow::ensure!(same, "{case}: {}'s files differ from curl's", tool.name());
            }
        }
        let mut runs: Vec<Vec<Usage>> = vec![Vec::new(); tools.len()];
        let mut sizes = vec![0; tools.len()];
        for run in 0..options.runs {
            eprintln!("{case}: run {}", run + 1);
            for (slot, &tool) in tools.iter().enumerate() {
                clear(tool);
                let outcome = measure::run(binaries, fixture, stream, tool, file(tool))
                    .await
                    .with_context(|| format!("{case}: {} run {}", tool.name(), run + 1))?;
                anyhow::ensure!(
                    !tool.writes_stream_bytes() || outcome.bytes == expected,
                    "{case}: {} wrote {} bytes, expected {expected}",
                    tool.name(),
                    outcome.bytes
                );
                sizes[slot] = outcome.bytes;
                runs[slot].push(outcome.usage);
            }
        }
        for tool in &tools {
            clear(*tool);
        }
        let curl = Usage::median(&runs[0]);
        let limit = curl.wall.as_secs_f64() + 2.0 * latency as f64 / 1000.0;
        for (slot, &tool) in tools.iter().enumerate() {
            let usage = Usage::median(&runs[slot]);
            let ratio = (slot > 0).then(|| usage.wall.as_secs_f64() / limit.max(1e-9));
            rows.push(Row {
                case: case.clone(),
                tool,
                usage,
                bytes: sizes[slot],
                limit,
                ratio,
            });
        }
    }
    Ok(rows)
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<26} {:<11} {:>7} {:>7} {:>7} {:>6} {:>7} {:>10} {:>8}  goals",
        "case", "tool", "MB", "wall s", "limit s", "CPU s", "MB/s", "peak RSS", "vs limit"
    );
    for row in rows {
        let wall = row.usage.wall.as_secs_f64();
        let cpu = row.usage.cpu().as_secs_f64();
        let megabytes = row.bytes as f64 / 1e6;
        let ratio = row
            .ratio
            .map(|ratio| format!("{ratio:.2}x"))
            .unwrap_or_default();
        let goals = match (row.ratio, row.tool) {
            (Some(_), Tool::KuraRemux) => "(MP4: download + remux)".to_owned(),
            (Some(ratio), _) => format!(
                "time {}, RSS {}",
                if ratio <= GOAL_RATIO { "ok" } else { "MISSED" },
                if row.usage.peak_rss_bytes < GOAL_RSS_BYTES {
                    "ok"
                } else {
                    "MISSED"
                }
            ),
            (None, _) => String::new(),
        };
        println!(
            "{:<26} {:<11} {:>7.1} {:>7.3} {:>7.3} {:>6.2} {:>7.0} {:>6.1} MiB {:>8}  {goals}",
            row.case,
            row.tool.name(),
            megabytes,
            wall,
            row.limit,
            cpu,
            megabytes / wall.max(1e-9),
            row.usage.peak_rss_bytes as f64 / (1024.0 * 1024.0),
            ratio,
        );
    }
    println!(
        "(CPU = user + system of the client process; limit = curl's wall time + 2 request \
         latencies; goals: kura within {GOAL_RATIO}x of the limit, peak RSS under {} MiB; \
         kura remux's time less kura's is what the remux adds)",
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
