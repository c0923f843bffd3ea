//! Runs `wrk` (Debian package `wrk`) against the server, bounded in time, and reads its
//! report: requests per second, the 50% and 99% latencies, and every kind of failure.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};

/// How hard and how long to push.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub threads: u32,
    pub connections: u32,
    pub duration: Duration,
}

/// What one `wrk --latency` run reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub requests: u64,
    pub requests_per_sec: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// `Non-2xx or 3xx responses`.
    pub non_2xx: u64,
    /// `Socket errors`: connect, read, write and timeout together.
    pub socket_errors: u64,
    /// `Unexpected statuses`, printed by a script that checks statuses itself (the
    /// conditional scenario, where every answer should be a 304).
    pub unexpected: Option<u64>,
}

impl Report {
    /// Failed requests: unexpected statuses (non-2xx, unless the script judged them),
    /// and socket errors.
    pub fn failures(&self) -> u64 {
        self.unexpected.unwrap_or(self.non_2xx) + self.socket_errors
    }
}

/// Per-request deadline inside wrk; slower answers count as socket timeouts.
const REQUEST_TIMEOUT: &str = "5s";
/// How long wrk may overrun its own duration before it is killed.
const GRACE: Duration = Duration::from_secs(30);

/// Runs wrk on `url` (with the Lua `script`, when given) and parses its output.
pub async fn run(load: Load, url: &str, script: Option<&Path>) -> Result<Report> {
    let mut command = tokio::process::Command::new("wrk");
    command
        .arg("--latency")
        .args(["--threads", &load.threads.to_string()])
        .args(["--connections", &load.connections.to_string()])
        .args([
            "--duration",
            &format!("{}s", load.duration.as_secs().max(1)),
        ])
        .args(["--timeout", REQUEST_TIMEOUT]);
    if let Some(script) = script {
        command.arg("--script").arg(script);
    }
    let child = command
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot run `wrk`: install the Debian package `wrk`")?;
    let output = tokio::time::timeout(load.duration + GRACE, child.wait_with_output())
        .await
        .context("wrk did not finish in time (killed)")??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "wrk failed ({}): {}{stdout}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    parse(&stdout).with_context(|| format!("cannot read wrk's output:\n{stdout}"))
}

/// Reads the report `wrk --latency` prints.
pub fn parse(output: &str) -> Result<Report> {
    let (mut requests, mut rate, mut p50, mut p99) = (None, None, None, None);
    let (mut non_2xx, mut socket_errors, mut unexpected) = (0, 0, None);
    for line in output.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            rate = Some(rest.trim().parse::<f64>()?);
        } else if let Some(rest) = line.strip_prefix("50%") {
            p50 = Some(latency(rest.trim())?);
        } else if let Some(rest) = line.strip_prefix("99%") {
            p99 = Some(latency(rest.trim())?);
        } else if let Some(rest) = line.strip_prefix("Unexpected statuses:") {
            unexpected = Some(rest.trim().parse()?);
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx = rest.trim().parse()?;
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            for part in rest.split(',') {
                let count = part
                    .split_whitespace()
                    .last()
                    .context("socket error count")?;
                socket_errors += count.parse::<u64>()?;
            }
        } else if let Some((count, _)) = line.split_once(" requests in ") {
            requests = Some(count.trim().parse()?);
        }
    }
    Ok(Report {
        requests: requests.context("no `N requests in` line")?,
        requests_per_sec: rate.context("no `Requests/sec` line")?,
        p50: p50.context("no 50% latency (was --latency given?)")?,
        p99: p99.context("no 99% latency (was --latency given?)")?,
        non_2xx,
        socket_errors,
        unexpected,
    })
}

/// `812.00us`, `1.23ms`, `2.50s`, `1.00m` (wrk's units).
fn latency(text: &str) -> Result<Duration> {
    // Nanoseconds per unit; "us" and "ms" are tried before "s", "m" after "ms".
    let units = [
        ("us", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
    ];
    let (number, scale) = units
        .iter()
        .find_map(|(unit, scale)| text.strip_suffix(unit).map(|n| (n, *scale)))
        .with_context(|| format!("latency `{text}` has no known unit"))?;
    let value: f64 = number
        .parse()
        .with_context(|| format!("latency `{text}` is not a number"))?;
    anyhow::ensure!(value >= 0.0, "latency `{text}` is negative");
    Ok(Duration::from_nanos((value * scale).round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "Running 10s test @ http://127.0.0.1:40000/api/resources
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.21ms    1.02ms  30.50ms   90.12%
    Req/Sec     6.15k   350.21     7.01k    75.50%
  Latency Distribution
     50%    5.05ms
     75%    5.60ms
     90%    6.30ms
     99%    9.87ms
  122400 requests in 10.00s, 1.52GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  12238.45
Transfer/sec:    155.40MB
";

    #[test]
    fn reads_the_figures_and_the_failures() {
        let report = parse(OUTPUT).expect("parses");
        assert_eq!(report.requests, 122_400);
        assert!((report.requests_per_sec - 12_238.45).abs() < 1e-9);
        assert_eq!(report.p50, Duration::from_micros(5050));
        assert_eq!(report.p99, Duration::from_micros(9870));
        assert_eq!((report.non_2xx, report.socket_errors), (4, 3));
        assert_eq!(report.failures(), 7);
    }

    #[test]
    fn a_clean_run_has_no_failures() {
        let clean: String = OUTPUT
            .lines()
            .filter(|l| !l.contains("errors") && !l.contains("Non-2xx"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(parse(&clean).expect("parses").failures(), 0);
    }

    #[test]
    fn latency_units() {
        for (text, micros) in [
            ("812.00us", 812),
            ("1.50ms", 1500),
            ("2.00s", 2_000_000),
            ("1.00m", 60_000_000),
        ] {
            assert_eq!(
                latency(text).expect(text),
                Duration::from_micros(micros),
                "{text}"
            );
        }
        assert!(latency("12").is_err());
        assert!(parse("nothing here").is_err());
    }
}
