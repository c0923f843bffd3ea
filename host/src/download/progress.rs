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

/// The progress of a download's tracks (the video and each rendition) as one report:
/// segments, bytes and speed summed, the ETA of the slowest track; throttled like a
/// single track's.
#[derive(Debug)]
pub(crate) struct Combined<F> {
    emit: F,
    tracks: Vec<Option<Progress>>,
    last_report: Option<Instant>,
}

impl<F: FnMut(&Progress)> Combined<F> {
    pub(crate) fn new(tracks: usize, emit: F) -> Self {
        Self {
            emit,
            tracks: vec![None; tracks.max(1)],
            last_report: None,
        }
    }

    /// Adds a track (a rendition found once the master playlist was read); its index.
    pub(crate) fn add_track(&mut self) -> usize {
        self.tracks.push(None);
        self.tracks.len() - 1
    }

    /// Track `track` reported: passes the sum on when [`INTERVAL`] passed since the last.
    pub(crate) fn update(&mut self, track: usize, progress: &Progress) {
        if let Some(slot) = self.tracks.get_mut(track) {
            *slot = Some(progress.clone());
        }
        let now = Instant::now();
        if self
            .last_report
            .is_some_and(|last| now.saturating_duration_since(last) < INTERVAL)
        {
            return;
        }
        self.last_report = Some(now);
        let sum = self.sum();
        (self.emit)(&sum);
    }

    /// Records a track's last report without passing anything on (see [`Self::finish`]).
    pub(crate) fn record(&mut self, track: usize, progress: &Progress) {
        if let Some(slot) = self.tracks.get_mut(track) {
            *slot = Some(progress.clone());
        }
    }

    /// Passes the sum on, whatever the time since the last report.
    pub(crate) fn finish(&mut self) {
        self.last_report = Some(Instant::now());
        let sum = self.sum();
        (self.emit)(&sum);
    }

    fn sum(&self) -> Progress {
        let mut total = Progress {
            segments_done: 0,
            segments_total: 0,
            bytes: 0,
            bytes_per_second: 0.0,
            eta_seconds: Some(0.0),
        };
        for track in &self.tracks {
            let Some(track) = track else {
                total.eta_seconds = None;
                continue;
            };
            total.segments_done += track.segments_done;
            total.segments_total += track.segments_total;
            total.bytes += track.bytes;
            total.bytes_per_second += track.bytes_per_second;
            total.eta_seconds = match (total.eta_seconds, track.eta_seconds) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
        }
        total
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
    fn tracks_add_up_into_one_report() {
        let mut reports = Vec::new();
        let report = |done, total, bytes, speed, eta| Progress {
            segments_done: done,
            segments_total: total,
            bytes,
            bytes_per_second: speed,
            eta_seconds: eta,
        };
        {
            let mut combined = Combined::new(1, |p: &Progress| reports.push(p.clone()));
            combined.update(0, &report(1, 10, 1000, 100.0, Some(9.0)));
            let audio = combined.add_track();
            // Within the interval: kept, not passed on.
            combined.update(audio, &report(2, 10, 50, 10.0, Some(4.0)));
            combined.finish();
            combined.record(audio, &report(10, 10, 250, 0.0, Some(0.0)));
            combined.record(0, &report(10, 10, 5000, 0.0, Some(0.0)));
            combined.finish();
        }
        assert_eq!(
            reports,
            [
                // The audio track was not known yet.
                report(1, 10, 1000, 100.0, Some(9.0)),
                report(3, 20, 1050, 110.0, Some(9.0)),
                report(20, 20, 5250, 0.0, Some(0.0)),
            ]
        );
        let mut unknown = Vec::new();
        let mut combined = Combined::new(2, |p: &Progress| unknown.push(p.eta_seconds));
        combined.update(0, &report(1, 10, 1000, 100.0, Some(9.0)));
        drop(combined);
        assert_eq!(unknown, [None], "a track not heard from yet: no ETA");
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
