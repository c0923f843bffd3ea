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
    /// 0 to 100, one decimal: the bytes so far of the expected total (estimated from the
    /// segments done), 100 only when every segment is done.
    pub(crate) percent: f64,
    /// `bytes_per_second` for people: `12.3 MB/s`.
    pub(crate) speed: String,
}

impl Progress {
    /// A report from its figures; `percent` and `speed` are derived from them.
    pub(crate) fn new(
        segments_done: usize,
        segments_total: usize,
        bytes: u64,
        bytes_per_second: f64,
        eta_seconds: Option<f64>,
        expected_bytes: Option<f64>,
    ) -> Self {
        let percent = if segments_total == 0 || segments_done >= segments_total {
            if segments_total == 0 { 0.0 } else { 100.0 }
        } else {
            let share = match expected_bytes.filter(|total| *total > 0.0) {
                Some(total) => bytes as f64 / total,
                None => segments_done as f64 / segments_total as f64,
            };
            ((share * 1000.0).round() / 10.0).clamp(0.0, 99.9)
        };
        Self {
            segments_done,
            segments_total,
            bytes,
            bytes_per_second,
            eta_seconds,
            percent,
            speed: human_speed(bytes_per_second),
        }
    }

    /// The expected total bytes this report implies (bytes over the share done).
    fn expected_bytes(&self) -> Option<f64> {
        (self.percent > 0.0).then(|| self.bytes as f64 * 100.0 / self.percent)
    }
}

/// `12.3 MB/s`, `850.0 kB/s`, `0 B/s` (decimal units, as download tools show them).
pub(crate) fn human_speed(bytes_per_second: f64) -> String {
    let rate = bytes_per_second.max(0.0);
    match rate {
        r if r >= 1e9 => format!("{:.1} GB/s", r / 1e9),
        r if r >= 1e6 => format!("{:.1} MB/s", r / 1e6),
        r if r >= 1e3 => format!("{:.1} kB/s", r / 1e3),
        r => format!("{r:.0} B/s"),
    }
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
        let expected = (snapshot.segments_done > 0).then(|| {
            snapshot.completed_bytes as f64 / snapshot.segments_done as f64
                * self.segments_total as f64
        });
        Progress::new(
            snapshot.segments_done,
            self.segments_total,
            snapshot.bytes,
            speed,
            eta_seconds,
            expected,
        )
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
        let (mut done, mut total, mut bytes, mut speed) = (0, 0, 0, 0.0);
        let mut eta = Some(0.0_f64);
        let mut expected = Some(0.0_f64);
        for track in &self.tracks {
            let Some(track) = track else {
                eta = None;
                expected = None;
                continue;
            };
            done += track.segments_done;
            total += track.segments_total;
            bytes += track.bytes;
            speed += track.bytes_per_second;
            eta = match (eta, track.eta_seconds) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
            expected = match (expected, track.expected_bytes()) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
        }
        Progress::new(done, total, bytes, speed, eta, expected)
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
        let report =
            |done, total, bytes, speed, eta| Progress::new(done, total, bytes, speed, eta, None);
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
                // Weighted by bytes: 1050 of the 10,000 + 250 the two tracks imply.
                Progress::new(3, 20, 1050, 110.0, Some(9.0), Some(10_250.0)),
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
    fn percent_and_speed_read_as_people_expect() {
        let half = Progress::new(5, 10, 500, 12_345_678.0, Some(1.0), Some(1000.0));
        assert_eq!((half.percent, half.speed.as_str()), (50.0, "12.3 MB/s"));
        // Not done: never 100, even when the estimate says so.
        let almost = Progress::new(9, 10, 1000, 999.0, None, Some(1000.0));
        assert_eq!((almost.percent, almost.speed.as_str()), (99.9, "999 B/s"));
        let done = Progress::new(10, 10, 1000, 0.0, Some(0.0), Some(1000.0));
        assert_eq!(done.percent, 100.0);
        let third = Progress::new(1, 3, 10, 2500.0, None, None);
        assert_eq!((third.percent, third.speed.as_str()), (33.3, "2.5 kB/s"));
        assert_eq!(human_speed(2.5e9), "2.5 GB/s");
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
