//! Download progress (N-F1) from bytes actually written: segments done of total, bytes,
//! speed over a sliding window, ETA; throttled so a listener (the event bus, a progress
//! bar) sees a few updates a second however fast chunks arrive.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Shortest time between two reported updates (about 4 a second).
pub(crate) const INTERVAL: Duration = Duration::from_millis(250);

/// How far back the speed looks.
const WINDOW: Duration = Duration::from_secs(3);

/// One progress report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Progress {
    pub(crate) segments_done: usize,
    pub(crate) segments_total: usize,
    /// Bytes written to the work directory, segments from an earlier run included.
    pub(crate) bytes: u64,
    /// Recent speed of this run, bytes per second.
    pub(crate) bytes_per_second: f64,
    /// Seconds left at the recent speed; `None` until it can be estimated.
    pub(crate) eta_seconds: Option<f64>,
}

/// What the downloader knows at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) segments_done: usize,
    /// Bytes written, in-flight segments included.
    pub(crate) bytes: u64,
    /// Bytes of the segments counted in `segments_done`.
    pub(crate) completed_bytes: u64,
}

/// Turns snapshots into throttled [`Progress`] reports.
#[derive(Debug)]
pub(crate) struct Meter {
    segments_total: usize,
    /// Bytes already on disk when this run started (not part of the speed).
    baseline: u64,
    last_report: Option<Instant>,
    samples: VecDeque<(Instant, u64)>,
}

impl Meter {
    pub(crate) fn new(segments_total: usize, baseline: u64) -> Self {
        Self {
            segments_total,
            baseline,
            last_report: None,
            samples: VecDeque::new(),
        }
    }

    /// A report when at least [`INTERVAL`] passed since the last one.
    pub(crate) fn sample(&mut self, now: Instant, snapshot: Snapshot) -> Option<Progress> {
        self.record(now, snapshot.bytes);
        if self
            .last_report
            .is_some_and(|last| now.saturating_duration_since(last) < INTERVAL)
        {
            return None;
        }
        self.last_report = Some(now);
        Some(self.report(snapshot))
    }

    /// The final report, whatever the time since the last.
    pub(crate) fn finish(&mut self, now: Instant, snapshot: Snapshot) -> Progress {
        self.record(now, snapshot.bytes);
        self.last_report = Some(now);
        self.report(snapshot)
    }

    fn record(&mut self, now: Instant, bytes: u64) {
        self.samples
            .push_back((now, bytes.saturating_sub(self.baseline)));
        // Keep one sample older than the window so the window is always covered.
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|(at, _)| now.saturating_duration_since(*at) >= WINDOW)
        {
            self.samples.pop_front();
        }
    }

    fn speed(&self) -> f64 {
        match (self.samples.front(), self.samples.back()) {
            (Some((first_at, first)), Some((last_at, last))) => {
                let seconds = last_at.saturating_duration_since(*first_at).as_secs_f64();
                if seconds < 0.05 {
                    0.0
                } else {
                    last.saturating_sub(*first) as f64 / seconds
                }
            }
            _ => 0.0,
        }
    }

    fn report(&self, snapshot: Snapshot) -> Progress {
        let speed = self.speed();
        let eta_seconds = if snapshot.segments_done >= self.segments_total {
            Some(0.0)
        } else if snapshot.segments_done > 0 && speed > 0.0 {
            let average = snapshot.completed_bytes as f64 / snapshot.segments_done as f64;
            let expected_total = average * self.segments_total as f64;
            Some((expected_total - snapshot.bytes as f64).max(0.0) / speed)
        } else {
            None
        };
        Progress {
            segments_done: snapshot.segments_done,
            segments_total: self.segments_total,
            bytes: snapshot.bytes,
            bytes_per_second: speed,
            eta_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(segments_done: usize, bytes: u64) -> Snapshot {
        Snapshot {
            segments_done,
            bytes,
            completed_bytes: bytes,
        }
    }

    #[test]
    fn reports_are_throttled_to_four_a_second() {
        let start = Instant::now();
        let mut meter = Meter::new(100, 0);
        let reports = (0..1000)
            .filter_map(|i| {
                let now = start + Duration::from_millis(i);
                meter.sample(now, snapshot(i as usize / 10, i * 1000))
            })
            .count();
        // t = 0, 250, 500, 750 ms.
        assert_eq!(reports, 4);
        let last = meter.finish(
            start + Duration::from_millis(1000),
            snapshot(100, 1_000_000),
        );
        assert_eq!(last.segments_done, last.segments_total);
        assert_eq!(last.eta_seconds, Some(0.0));
    }

    #[test]
    fn speed_and_eta_come_from_recent_bytes() {
        let start = Instant::now();
        let mut meter = Meter::new(10, 500);
        let _ = meter.sample(start, snapshot(0, 500));
        let at = start + Duration::from_secs(1);
        let progress = meter.sample(at, snapshot(5, 500 + 1_000_000)).expect("due");
        assert!((progress.bytes_per_second - 1_000_000.0).abs() < 1.0);
        // 5 of 10 segments in 1_000_500 bytes: about as much again at 1 MB/s.
        let eta = progress.eta_seconds.expect("estimated");
        assert!((eta - 1.0005).abs() < 0.01, "{eta}");
        // Much later, a stalled download shows no speed once the window has passed.
        let later = at + Duration::from_secs(10);
        let _ = meter.sample(later, snapshot(5, 1_000_500));
        let stalled = meter
            .sample(later + Duration::from_secs(1), snapshot(5, 1_000_500))
            .expect("due");
        assert_eq!(stalled.bytes_per_second, 0.0);
        assert_eq!(stalled.eta_seconds, None);
    }
}
