//! The server case: `kura serve` with the fixture plugins adds a resource, then a
//! WebSocket client times `POST /api/downloads/{code}` to `task_started`, to the first
//! `progress_update` and to `task_completed`, and the server's CPU time during the
//! download and its peak RSS are read from `/proc`.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;

use super::fixture::Fixture;
use super::{Binaries, Stream};

const PLUGINS: [&str; 3] = ["fixture-alpha", "fixture-beta", "fixture-meta"];
/// How long the server may take to answer `/healthz`.
const READY_LIMIT: Duration = Duration::from_secs(60);
/// How long the download may take.
const DOWNLOAD_LIMIT: Duration = Duration::from_secs(600);

/// Runs the server case for `stream`; one line of figures.
pub async fn first_progress(
    binaries: &Binaries,
    fixture: &Fixture,
    stream: Stream,
    scratch: &Path,
) -> Result<String> {
    let data = tempfile::Builder::new()
        .prefix("serve")
        .tempdir_in(scratch)?;
    let plugin_dir = data.path().join("plugins");
    std::fs::create_dir_all(&plugin_dir)?;
    for name in PLUGINS {
        let built = binaries
            .root
            .join("plugins/target/wasm32-wasip2/release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        anyhow::ensure!(
            built.is_file(),
            "{} is missing: run `cargo xtask build-plugins`",
            built.display()
        );
        std::fs::copy(&built, plugin_dir.join(format!("{name}.wasm")))?;
    }
    let base = &fixture.base;
    let config = data.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "fetch:\n  allow_private_hosts: [\"{}\"]\n\
             sources:\n  fixture-alpha:\n    domain: \"{base}/alpha\"\n  fixture-beta:\n    domain: \"{base}/beta\"\n\
             scrapers:\n  fixture-meta:\n    domain: \"{base}/meta\"\n\
             download:\n  remux: false\n",
            fixture.host_port()
        ),
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(&binaries.kura)
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(data.path())
        .args(["--silent", "serve", "--port", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("starting kura serve")?;
    let result = measure(child.id().context("kura pid")?, port, stream, data.path()).await;
    stop(child).await;
    result
}

async fn measure(pid: u32, port: u16, stream: Stream, data: &Path) -> Result<String> {
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await
            && response.status().is_success()
        {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < READY_LIMIT,
            "kura serve did not answer /healthz within {READY_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = client
        .post(format!("{base}/api/resource?wait=60"))
        .json(&json!({ "code": stream.code }))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().as_u16() == 201,
        "adding {}: {} {}",
        stream.code,
        response.status(),
        response.text().await.unwrap_or_default()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://127.0.0.1:{port}/ws/tasks?types=task_*,progress_update"
    ))
    .await
    .context("WebSocket")?;
    let hello = next(&mut ws, Duration::from_secs(10)).await?;
    anyhow::ensure!(hello["type"] == "hello", "expected hello, got {hello}");

    let cpu_before = cpu_time(pid)?;
    let posted = Instant::now();
    let response = client
        .post(format!("{base}/api/downloads/{}", stream.code))
        .json(&json!({}))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().as_u16() == 202,
        "POST /api/downloads: {}",
        response.status()
    );
    let answered = posted.elapsed();
    let body: Value = response.json().await?;
    let id = body["task"]["id"].as_i64().context("task id")?;
    let (mut task_started, mut first_progress) = (None, None);
    let (completed, result) = loop {
        let left = DOWNLOAD_LIMIT.saturating_sub(posted.elapsed());
        let event = next(&mut ws, left).await?;
        if event["data"]["task_id"].as_i64() != Some(id) {
            continue;
        }
        match event["type"].as_str().unwrap_or_default() {
            "task_started" => task_started = task_started.or(Some(posted.elapsed())),
            "progress_update" => first_progress = first_progress.or(Some(posted.elapsed())),
            "task_completed" => break (posted.elapsed(), event["data"]["result"].clone()),
            "task_failed" => anyhow::bail!("the download failed: {event}"),
            _ => {}
        }
    };
    let cpu = cpu_time(pid)?.saturating_sub(cpu_before);
    let peak_rss = peak_rss_bytes(pid)?;
    let bytes = result["bytes"].as_u64().unwrap_or(0);
    // The file the task published (`{CODE}.ts` for a stream kept as MPEG-TS).
    let file = data.join(
        result["file"]
            .as_str()
            .context("the task result names no file")?,
    );
    anyhow::ensure!(
        std::fs::metadata(&file)?.len() == bytes && bytes > 0,
        "the video file is not the reported {bytes} bytes"
    );
    let millis = |duration: Option<Duration>| {
        duration.map_or("never".to_owned(), |d| {
            format!("{:.1} ms", d.as_secs_f64() * 1000.0)
        })
    };
    Ok(format!(
        "POST answered in {}, task_started {}, first progress_update {}, task_completed {:.2} s \
         ({:.0} MB/s); server CPU {:.2} s during the download, peak RSS {:.1} MiB (whole process life)",
        millis(Some(answered)),
        millis(task_started),
        millis(first_progress),
        completed.as_secs_f64(),
        bytes as f64 / 1e6 / completed.as_secs_f64().max(1e-9),
        cpu.as_secs_f64(),
        peak_rss as f64 / (1024.0 * 1024.0),
    ))
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON text message within `limit`.
async fn next(ws: &mut Ws, limit: Duration) -> Result<Value> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = tokio::time::timeout(left, ws.next())
            .await
            .context("no event in time")?
            .context("the WebSocket closed")??;
        if let Message::Text(text) = message {
            return Ok(serde_json::from_str(&text)?);
        }
    }
}

/// User + system CPU time of process `pid` so far (`/proc/PID/stat` fields 14 and 15).
fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after_name = stat.rsplit_once(')').context("/proc stat format")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Field 3 (state) is the first after the name: utime is field 14, stime 15.
    let ticks: u64 = fields.get(11).context("utime")?.parse::<u64>()?
        + fields.get(12).context("stime")?.parse::<u64>()?;
    Ok(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second(),
    ))
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// `VmHWM` of process `pid`.
fn peak_rss_bytes(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .context("VmHWM")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kb * 1024)
}

async fn stop(mut child: Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}
