//! How many part requests a download keeps out. It starts at `concurrency +
//! request_ahead` (from a near site, at `concurrency`); when the site's latency (a
//! request's wait for its headers) is long next to the time a reader spends on a part's
//! body, the readers would wait for headers between parts, so more requests go out
//! ahead, enough to cover the latency (the bandwidth-delay product in parts), up to
//! [`MAX_IN_FLIGHT`]. On a slow link the bodies take long, so nothing more is sent ahead
//! of them. Before any part is timed, the media playlist's round trip stands for the
//! latency: when it is long ([`FAR`]), twice the configured count go out at once (up to
//! the cap), since waiting for a first body to time would cost a whole round trip more;
//! the first part timed replaces that guess (the round trip may include retries or a
//! connection's setup), and the count comes down when bodies prove slow. When it is
//! short ([`NEAR`]), none go out ahead until a part is timed, and from then on as many
//! as the timings ask for (one or two for a site that near) rather than the configured
//! count.
//! `request_ahead: 0` means none ahead, ever: one request per reader.

use std::time::Duration;

/// The most part requests out at once, whatever the latency: each holds a connection
/// and the first bytes of its body in memory, and a site sees that many at once.
pub const MAX_IN_FLIGHT: usize = 24;

/// Weight of a new measurement in the running estimates.
const WEIGHT: f64 = 0.3;

/// A playlist round trip this long or longer: the site is far enough that parts asked
/// for one batch after another would leave the readers waiting for headers.
pub(crate) const FAR: Duration = Duration::from_millis(5);

/// A media playlist that came back this fast: the site is on this machine or its
/// network, where bodies arrive as fast as the CPU takes them.
pub(crate) const NEAR: Duration = Duration::from_millis(2);

/// Bodies of one track read at once: the configured count, but from a near site
/// ([`NEAR`]) no more than the machine's cores (at least two). There the CPU, not the
/// link, is what bodies wait for, and more readers only take turns on it (a 20 MB
/// stream on loopback, two cores: 60 ms with 8 readers, 49 to 57 ms with 2, and a lower
/// peak RSS). A site farther away keeps the configured count: each connection's window
/// limits its speed.
pub(crate) fn readers(configured: usize, round_trip: Option<Duration>, cores: usize) -> usize {
    let configured = configured.max(1);
    match round_trip {
        Some(round_trip) if round_trip < NEAR => configured.min(cores.max(2)),
        _ => configured,
    }
}

/// How one part's successful try went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PartTiming {
    /// From sending the request to its headers.
    pub(crate) latency: Duration,
    /// From its turn to read to the end of its body.
    pub(crate) body: Duration,
}

/// The running estimates and the limit they give.
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    readers: usize,
    floor: usize,
    /// Whether requests may go out ahead of the readers (any were asked for).
    adapts: bool,
    latency: Option<f64>,
    body: Option<f64>,
}

impl Pacer {
    /// `readers` parts read at once; at least `readers + request_ahead` requests are out
    /// (`readers` from a near site, [`Pacer::seed`]).
    pub(crate) fn new(readers: usize, request_ahead: usize) -> Self {
        let readers = readers.max(1);
        Self {
            readers,
            // What the config asks for is kept out, even above the pacer's cap (but for a
            // near site, see `seed`).
            floor: readers + request_ahead,
            adapts: request_ahead > 0,
            latency: None,
            body: None,
        }
    }

    /// Takes the media playlist's round trip as the latency until a part is timed. A
    /// near site ([`NEAR`]) starts with no request ahead of the readers: its headers come
    /// back while a reader is on a body, and a request out ahead only held a connection
    /// and its buffers (20 MB on loopback, two cores, the median of 15 runs: 47 ms with
    /// none ahead against 60 ms with 8 for the stream with an audio rendition, 36
    /// against 40 ms for a plain one; 400 MB as fast or faster). The parts' timings may
    /// still ask for some, as a farther segment host would.
    pub(crate) fn seed(&mut self, round_trip: Duration) {
        if self.latency.is_none() {
            self.latency = Some(round_trip.as_secs_f64());
            if round_trip < NEAR {
                self.floor = self.readers;
            }
        }
    }

    /// Takes a finished part's timing into the estimates.
    pub(crate) fn record(&mut self, timing: PartTiming) {
        let blend =
            |old: Option<f64>, new: f64| Some(old.map_or(new, |old| old + WEIGHT * (new - old)));
        // The first part timed replaces the playlist's round trip.
        let seeded = self.body.is_none();
        self.latency = blend(
            self.latency.filter(|_| !seeded),
            timing.latency.as_secs_f64(),
        );
        self.body = blend(self.body, timing.body.as_secs_f64());
    }

    /// Requests to keep out now.
    pub(crate) fn in_flight(&self) -> usize {
        if !self.adapts {
            return self.floor;
        }
        let (Some(latency), Some(body)) = (self.latency, self.body) else {
            return match self.latency {
                Some(latency) if latency >= FAR.as_secs_f64() => {
                    (2 * self.floor).min(MAX_IN_FLIGHT).max(self.floor)
                }
                _ => self.floor,
            };
        };
        // While `readers` bodies take `body` each, a request sent now has its headers
        // after `latency`: this many must already be waiting to keep every reader busy.
        let ahead = (self.readers as f64 * latency / body.max(1e-4)).ceil();
        let wanted = self
            .readers
            .saturating_add(ahead.min(MAX_IN_FLIGHT as f64) as usize);
        wanted.clamp(self.floor, MAX_IN_FLIGHT.max(self.floor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(latency_ms: u64, body_ms: u64) -> PartTiming {
        PartTiming {
            latency: Duration::from_millis(latency_ms),
            body: Duration::from_millis(body_ms),
        }
    }

    #[test]
    fn latency_long_next_to_bodies_sends_more_ahead() {
        let mut pacer = Pacer::new(8, 8);
        assert_eq!(pacer.in_flight(), 16, "the configured start");
        // 20 ms to the headers, 10 ms per body: 8 readers need 16 requests waiting.
        pacer.record(timing(20, 10));
        assert_eq!(pacer.in_flight(), 24);
        // A distant site with a fast link: capped.
        pacer.record(timing(2000, 1));
        assert_eq!(pacer.in_flight(), MAX_IN_FLIGHT);
    }

    #[test]
    fn a_far_playlist_sends_the_first_parts_up_to_the_cap() {
        let mut far = Pacer::new(8, 8);
        far.seed(Duration::from_millis(20));
        assert_eq!(far.in_flight(), MAX_IN_FLIGHT, "no body timed yet");
        // The first bodies prove slow: back to the configured count.
        far.record(timing(20, 2000));
        assert_eq!(far.in_flight(), 16);
        // A seed never overrides a timed part.
        far.seed(Duration::from_millis(500));
        assert_eq!(far.in_flight(), 16);
        let mut between = Pacer::new(8, 8);
        between.seed(FAR / 2);
        assert_eq!(
            between.in_flight(),
            16,
            "nearer than FAR: the configured count"
        );
        let mut none_ahead = Pacer::new(8, 0);
        none_ahead.seed(Duration::from_millis(200));
        assert_eq!(none_ahead.in_flight(), 8, "none ahead asked for: none");
        let mut few = Pacer::new(1, 1);
        few.seed(Duration::from_millis(200));
        assert_eq!(
            few.in_flight(),
            4,
            "twice the configured count, not the cap"
        );
        // A round trip inflated by a retry is replaced by the first part's latency.
        let mut retried = Pacer::new(8, 8);
        retried.seed(Duration::from_secs(1));
        retried.record(timing(1, 10));
        assert_eq!(retried.in_flight(), 16);
    }

    #[test]
    fn a_near_site_is_read_by_as_many_readers_as_cores() {
        let near = Some(Duration::from_micros(600));
        assert_eq!(readers(8, near, 2), 2);
        assert_eq!(readers(8, near, 1), 2, "at least two");
        assert_eq!(readers(8, near, 16), 8, "never more than configured");
        assert_eq!(readers(1, near, 4), 1);
        assert_eq!(readers(8, Some(NEAR), 2), 8, "a site past NEAR");
        assert_eq!(readers(8, Some(Duration::from_millis(20)), 2), 8);
        assert_eq!(readers(8, None, 2), 8, "no round trip measured");
        assert_eq!(readers(0, None, 2), 1);
    }

    #[test]
    fn a_near_site_starts_with_none_ahead_until_timings_ask() {
        let mut near = Pacer::new(2, 8);
        near.seed(NEAR / 2);
        assert_eq!(near.in_flight(), 2, "only the readers' requests");
        // Bodies far faster than the headers come back: the latency is covered again.
        near.record(timing(20, 10));
        assert_eq!(near.in_flight(), 6);
        // Headers back at once: none ahead; a millisecond's wait for them: one.
        let mut local = Pacer::new(2, 8);
        local.seed(NEAR / 2);
        local.record(timing(0, 5));
        assert_eq!(local.in_flight(), 2);
        let mut lan = Pacer::new(2, 8);
        lan.seed(NEAR / 2);
        lan.record(timing(1, 5));
        assert_eq!(lan.in_flight(), 3);
        // A site past NEAR keeps the configured count from the start.
        let mut farther = Pacer::new(2, 8);
        farther.seed(NEAR);
        assert_eq!(farther.in_flight(), 10);
    }

    #[test]
    fn slow_bodies_or_no_latency_keep_the_configured_count() {
        let mut slow = Pacer::new(8, 8);
        slow.record(timing(50, 2000));
        assert_eq!(slow.in_flight(), 16);
        let mut local = Pacer::new(8, 1);
        local.record(timing(0, 5));
        assert_eq!(local.in_flight(), 9);
        // None ahead asked for: none, whatever the latency.
        let mut none = Pacer::new(8, 0);
        none.record(timing(500, 5));
        assert_eq!(none.in_flight(), 8);
        // A configured count above the cap is kept as it is.
        let mut many = Pacer::new(8, 40);
        assert_eq!(many.in_flight(), 48);
        many.record(timing(500, 5));
        assert_eq!(many.in_flight(), 48);
        // The estimates follow the site: latency gone, the count comes back down.
        let mut changing = Pacer::new(4, 4);
        changing.record(timing(50, 10));
        assert_eq!(changing.in_flight(), 24);
        for _ in 0..30 {
            changing.record(timing(0, 10));
        }
        assert_eq!(changing.in_flight(), 8);
    }
}
