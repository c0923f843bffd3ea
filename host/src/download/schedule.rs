//! The fetching phase of a download: load the playlist, reconcile the work directory,
//! then keep part fetches running (`concurrency + request_ahead`, more when the site's
//! latency is long next to a body's transfer, see [`super::pacer`]) while the joiner
//! appends the completed ones in order, report progress, and when the stream URL
//! expires let the in-flight parts finish, ask for a fresh URL, reload the playlist and
//! go on with the parts still missing.

use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::gate::ReadGate;
use super::held::HeldBudget;
use super::join::{self, Joined, Joiner};
use super::keys::Keys;
use super::pacer::{self, Pacer};
use super::playlist::{Master, Stream};
use super::progress::{self, Meter, Progress, Snapshot};
use super::refresh::SharedRefresh;
use super::remote::{self, Loaded, Pick, Remote};
use super::segments::{self, PartDone, PartFetcher};
use super::{DownloadError, DownloadRequest, FreshStream, workdir};
use crate::fetch::{CookieJar, EgressPolicy, FetchClient};

/// Refreshes in a row that may go without a part completing before giving up: a source
/// that keeps handing out dead URLs must not loop forever.
const MAX_REFRESHES_WITHOUT_PROGRESS: u32 = 3;

/// One download's fetching state.
pub(crate) struct Schedule<'a, P> {
    pub(crate) client: &'a FetchClient,
    pub(crate) jar: &'a CookieJar,
    pub(crate) policy: &'a EgressPolicy,
    pub(crate) request: &'a DownloadRequest,
    /// Fresh URLs, shared by the download's tracks.
    pub(crate) refresh: Option<&'a SharedRefresh<'a>>,
    pub(crate) cancel: &'a CancellationToken,
    pub(crate) progress: P,
    /// The stream URL and headers in use (changed by refreshes).
    pub(crate) source: FreshStream,
    /// Which of the shared refresh's URLs `source` is (0: the request's own).
    pub(crate) generation: u32,
    /// Which media playlist of the master this schedule fetches.
    pub(crate) pick: Pick,
    /// Its work directory (the video's, or a rendition's sub-directory of it).
    pub(crate) work_dir: PathBuf,
    /// The master playlist already fetched, read instead of fetching it for the first load.
    pub(crate) preloaded: Option<Master>,
    /// Refreshes in a row without a part completing.
    pub(crate) refreshes_without_progress: u32,
    /// The memory early parts may wait in, shared by the download's tracks.
    pub(crate) held: &'a HeldBudget,
    /// How long the last media playlist's request took (the pacer's first latency).
    pub(crate) round_trip: Option<Duration>,
}

/// What the fetching phase leaves for assembly.
pub(crate) struct Fetched {
    pub(crate) stream: Stream,
    pub(crate) downloaded_bytes: u64,
    pub(crate) reused_segments: usize,
    pub(crate) meter: Meter,
    pub(crate) last: Snapshot,
}

impl<P: FnMut(&Progress) + Send> Schedule<'_, P> {
    /// Loads the media playlist, asking for a fresh URL when the current one expired.
    pub(crate) async fn load(&mut self) -> Result<Loaded, DownloadError> {
        let mut preloaded = self.preloaded.take();
        loop {
            let master = preloaded.take();
            match self.cancellable(self.load_stream(master)).await {
                Err(error @ DownloadError::Expired { .. }) => self.refresh_source(error).await?,
                Ok(loaded) => {
                    self.round_trip = Some(loaded.round_trip);
                    return Ok(loaded);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Loads the stream and fetches it: [`Self::load`], then [`Self::fetch`].
    pub(crate) async fn run(
        &mut self,
        checkpoints: bool,
    ) -> Result<(Fetched, Joined), DownloadError> {
        let loaded = self.load().await?;
        self.fetch(loaded.stream, checkpoints).await
    }

    /// Fetches every part not already on disk while the joiner appends them in order,
    /// and returns the whole joined stream with it; `checkpoints`: fsync the joined
    /// stream as it grows (it is published as it is).
    pub(crate) async fn fetch(
        &mut self,
        stream: Stream,
        checkpoints: bool,
    ) -> Result<(Fetched, Joined), DownloadError> {
        if stream.live {
            tracing::warn!(
                "live playlist (no #EXT-X-ENDLIST): downloading the segments listed now"
            );
        }
        let order_names = stream
            .order
            .iter()
            .map(|&index| stream.parts[index].name.clone())
            .collect();
        let resume = workdir::prepare(&self.work_dir, &stream.fingerprint, order_names).await?;
        let committed = resume.joined.entries.len();
        let last_use = join::last_uses(&stream.order, stream.parts.len());
        let on_disk: Vec<bool> = stream
            .parts
            .iter()
            .map(|part| resume.parts.contains_key(&part.name))
            .collect();
        // Done: on disk, or joined for the last time (or never needed).
        let done: Vec<bool> = (0..stream.parts.len())
            .map(|i| on_disk[i] || last_use[i].is_none_or(|last| last < committed))
            .collect();
        let waiting_bytes: u64 = stream
            .parts
            .iter()
            .enumerate()
            .filter(|&(i, _)| on_disk[i] && last_use[i].is_some_and(|last| last >= committed))
            .filter_map(|(_, part)| resume.parts.get(&part.name))
            .sum();
        let reused_bytes = resume.joined.end() + waiting_bytes;
        let joiner = Joiner::start(join::Plan {
            dir: self.work_dir.clone(),
            names: stream.parts.iter().map(|part| part.name.clone()).collect(),
            order: stream.order.clone(),
            committed,
            end: resume.joined.end(),
            on_disk,
            checkpoints,
            held: self.held.clone(),
        })?;
        let fetched = self
            .fetch_missing(stream, &done, reused_bytes, &joiner)
            .await;
        let joined = joiner.finish().await;
        match (fetched, joined) {
            // The joiner's error (a full disk...) is the cause of the fetches stopping.
            (_, Err(error)) | (Err(error), Ok(_)) => Err(error),
            (Ok(fetched), Ok(join::Progress::Whole(joined))) => Ok((fetched, joined)),
            (Ok(_), Ok(join::Progress::Waiting { next })) => {
                Err(DownloadError::Incomplete { missing: next })
            }
        }
    }

    /// The fetch loop: keeps up to `concurrency + request_ahead` part fetches running
    /// (the earliest `concurrency` reading, through the [`ReadGate`]), each handing its
    /// bytes to the joiner.
    async fn fetch_missing(
        &mut self,
        mut stream: Stream,
        done: &[bool],
        reused_bytes: u64,
        joiner: &Joiner,
    ) -> Result<Fetched, DownloadError> {
        let is_segment: Vec<bool> = stream.parts.iter().map(|p| p.is_segment).collect();
        let mut snapshot = Snapshot {
            segments_done: (0..done.len())
                .filter(|&i| done[i] && is_segment[i])
                .count(),
            bytes: reused_bytes,
            completed_bytes: reused_bytes,
        };
        let reused_segments = snapshot.segments_done;
        let mut meter = Meter::new(stream.n_segments, reused_bytes);
        let written = Arc::new(AtomicU64::new(reused_bytes));
        self.emit(&mut meter, snapshot);

        let joiner_failed = joiner.failed();
        let mut pending: VecDeque<usize> = (0..done.len()).filter(|&i| !done[i]).collect();
        let keys = Arc::new(Keys::default());
        let mut generation: Option<Arc<PartFetcher>> = None;
        let mut expired: Option<DownloadError> = None;
        let mut tasks: JoinSet<(usize, Result<PartDone, DownloadError>)> = JoinSet::new();
        let mut ticker = tokio::time::interval(progress::INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let concurrency = pacer::readers(self.request.concurrency, self.round_trip, cores);
        let mut pacer = Pacer::new(concurrency, self.request.request_ahead);
        if let Some(round_trip) = self.round_trip {
            pacer.seed(round_trip);
        }
        let gate = ReadGate::new(concurrency);
        loop {
            if tasks.is_empty() {
                if let Some(error) = expired.take() {
                    // Every in-flight part has finished: now swap the URL.
                    self.refresh_source(error).await?;
                    match self.reload(&stream).await {
                        Ok(fresh) => stream = fresh,
                        Err(error @ DownloadError::Expired { .. }) => expired = Some(error),
                        Err(error) => return Err(error),
                    }
                    generation = None;
                    keys.forget_failures();
                    continue;
                }
                if pending.is_empty() {
                    break;
                }
            }
            let fetcher =
                Arc::clone(generation.get_or_insert_with(|| {
                    Arc::new(self.start_generation(&keys, &written, joiner))
                }));
            while expired.is_none() && tasks.len() < pacer.in_flight() {
                let Some(index) = pending.pop_front() else {
                    break;
                };
                let part = stream.parts[index].clone();
                let fetcher = Arc::clone(&fetcher);
                let ticket = gate.enter(index);
                tasks.spawn(async move {
                    let fetched = segments::fetch_part(fetcher, index, part, &ticket).await;
                    drop(ticket);
                    (index, fetched)
                });
            }
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => {
                    return Err(self.stop(&mut tasks, DownloadError::Cancelled).await);
                }
                () = joiner_failed.cancelled() => {
                    // The joiner's own error is what the caller reports.
                    let error = DownloadError::Internal("joining stopped".to_owned());
                    return Err(self.stop(&mut tasks, error).await);
                }
                Some(joined) = tasks.join_next() => match joined {
                    Ok((index, Ok(done))) => {
                        let bytes = done.bytes;
                        pacer.record(done.timing);
                        self.refreshes_without_progress = 0;
                        if is_segment[index] {
                            snapshot.segments_done += 1;
                        }
                        snapshot.completed_bytes += bytes;
                        snapshot.bytes = written.load(Ordering::Relaxed);
                        self.emit(&mut meter, snapshot);
                    }
                    Ok((index, Err(error @ DownloadError::Expired { status, .. }))) => {
                        tracing::info!(part = %stream.parts[index].name, status, "stream URL expired");
                        pending.push_front(index);
                        expired.get_or_insert(error);
                    }
                    Ok((_, Err(error))) => return Err(self.stop(&mut tasks, error).await),
                    Err(join_error) => {
                        let error = DownloadError::Internal(format!("part task: {join_error}"));
                        return Err(self.stop(&mut tasks, error).await);
                    }
                },
                _ = ticker.tick() => {
                    snapshot.bytes = written.load(Ordering::Relaxed);
                    self.emit(&mut meter, snapshot);
                }
            }
        }
        snapshot.bytes = written.load(Ordering::Relaxed);
        Ok(Fetched {
            stream,
            downloaded_bytes: snapshot.bytes.saturating_sub(reused_bytes),
            reused_segments,
            meter,
            last: snapshot,
        })
    }

    fn emit(&mut self, meter: &mut Meter, snapshot: Snapshot) {
        if let Some(report) = meter.sample(Instant::now(), snapshot) {
            (self.progress)(&report);
        }
    }

    fn remote(&self) -> Remote<'_> {
        Remote {
            client: self.client,
            jar: self.jar,
            policy: self.policy,
            headers: &self.source.headers,
            retries: self.request.retries,
            retry_delay: self.request.retry_delay,
        }
    }

    async fn load_stream(&self, master: Option<Master>) -> Result<Loaded, DownloadError> {
        remote::load_stream(
            &self.remote(),
            &self.source.playlist_url,
            &self.pick,
            master,
            self.request.rewrite.as_deref(),
        )
        .await
    }

    /// The playlist again from the fresh URL; it must describe the same content.
    async fn reload(&self, current: &Stream) -> Result<Stream, DownloadError> {
        let fresh = self.cancellable(self.load_stream(None)).await?.stream;
        if fresh.fingerprint != current.fingerprint {
            return Err(DownloadError::StreamChanged(format!(
                "{} segments before, {} now, or other durations",
                current.n_segments, fresh.n_segments
            )));
        }
        Ok(fresh)
    }

    /// Asks the caller for a fresh URL after `error` (an expiry), within limits.
    async fn refresh_source(&mut self, error: DownloadError) -> Result<(), DownloadError> {
        let Some(refresh) = self.refresh else {
            return Err(error);
        };
        if self.refreshes_without_progress >= MAX_REFRESHES_WITHOUT_PROGRESS {
            return Err(error);
        }
        let seen = self.generation;
        let (generation, fresh) = self
            .cancellable(async {
                refresh
                    .fresh_since(seen)
                    .await
                    .map_err(DownloadError::Refresh)
            })
            .await?;
        tracing::info!(generation, "stream URL refreshed");
        self.source = fresh;
        self.generation = generation;
        self.refreshes_without_progress += 1;
        Ok(())
    }

    /// The shared state of the part fetches for the current URL.
    fn start_generation(
        &self,
        keys: &Arc<Keys>,
        written: &Arc<AtomicU64>,
        joiner: &Joiner,
    ) -> PartFetcher {
        PartFetcher {
            client: self.client.clone(),
            jar: self.jar.clone(),
            policy: self.policy.clone(),
            headers: self.source.headers.clone(),
            keys: Arc::clone(keys),
            sink: joiner.sink(),
            retries: self.request.retries,
            retry_delay: self.request.retry_delay,
            idle_timeout: self.request.idle_timeout,
            written: Arc::clone(written),
        }
    }

    /// Aborts the running fetches (dropping their requests; the disk thread drops
    /// what they wrote) and hands back `error`.
    async fn stop(
        &self,
        tasks: &mut JoinSet<(usize, Result<PartDone, DownloadError>)>,
        error: DownloadError,
    ) -> DownloadError {
        tasks.shutdown().await;
        error
    }

    async fn cancellable<T>(
        &self,
        work: impl Future<Output = Result<T, DownloadError>>,
    ) -> Result<T, DownloadError> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(DownloadError::Cancelled),
            result = work => result,
        }
    }
}
