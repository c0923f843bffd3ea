//! Fetching one part (a segment or an init section): streamed chunk by chunk through
//! the shared client, decrypted on the way, checked for length and handed to the disk
//! thread ([`super::join`]) as it arrives, without a copy; retried with backoff.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::DownloadError;
use super::decrypt::StreamDecryptor;
use super::gate::Ticket;
use super::join::PartSink;
use super::keys::Keys;
use super::pacer::PartTiming;
use super::playlist::Part;
use super::remote::Remote;
use super::retry::{self, Failure};
use crate::fetch::{CookieJar, EgressPolicy, FetchClient, FetchRequest, FetchScope};

/// What every part fetch of one stream URL shares.
pub(crate) struct PartFetcher {
    pub(crate) client: FetchClient,
    pub(crate) jar: CookieJar,
    pub(crate) policy: EgressPolicy,
    pub(crate) headers: Vec<(String, String)>,
    /// The stream's AES-128 keys, fetched by the first part that needs each.
    pub(crate) keys: Arc<Keys>,
    pub(crate) sink: PartSink,
    pub(crate) retries: u32,
    pub(crate) retry_delay: Duration,
    pub(crate) idle_timeout: Duration,
    /// Plain bytes written by all parts, in-flight ones included (for progress).
    pub(crate) written: Arc<AtomicU64>,
}

impl PartFetcher {
    /// The small requests (a key) of this stream URL.
    fn remote(&self) -> Remote<'_> {
        Remote {
            client: &self.client,
            jar: &self.jar,
            policy: &self.policy,
            headers: &self.headers,
            retries: self.retries,
            retry_delay: self.retry_delay,
        }
    }
}

/// Why one try failed.
enum TryError {
    Failure(Failure),
    /// Local trouble (disk full, I/O): no retry helps.
    Fatal(DownloadError),
}

impl From<Failure> for TryError {
    fn from(failure: Failure) -> Self {
        Self::Failure(failure)
    }
}

/// The disk thread stopped: its own error is what the download reports.
fn stopped() -> DownloadError {
    DownloadError::Internal("the download's disk thread stopped".to_owned())
}

/// A part saved by the disk thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartDone {
    /// Plain bytes written.
    pub(crate) bytes: u64,
    /// How its last (successful) try went.
    pub(crate) timing: PartTiming,
}

/// Fetches part `index` to the disk thread, retrying.
pub(crate) async fn fetch_part(
    fetcher: Arc<PartFetcher>,
    index: usize,
    part: Part,
    ticket: &Ticket,
) -> Result<PartDone, DownloadError> {
    let mut attempt = 0;
    loop {
        let mut counted = 0;
        let error = match try_once(&fetcher, index, &part, ticket, &mut counted).await {
            Ok(written) => return Ok(written),
            Err(error) => error,
        };
        // Undo this try's bytes; the next try starts afresh.
        fetcher.written.fetch_sub(counted, Ordering::Relaxed);
        fetcher.sink.abort(index).await.map_err(|_| stopped())?;
        let failure = match error {
            TryError::Fatal(error) => return Err(error),
            TryError::Failure(failure) => failure,
        };
        let segment_error = |reason: String| DownloadError::Segment {
            name: part.name.clone(),
            url: part.url.to_string(),
            reason,
        };
        match failure {
            Failure::Expired { status } => {
                return Err(DownloadError::Expired {
                    url: part.url.to_string(),
                    status,
                });
            }
            Failure::Permanent { reason } => return Err(segment_error(reason)),
            Failure::Retry { reason, .. } if attempt >= fetcher.retries => {
                return Err(segment_error(format!(
                    "{reason} (after {} tries)",
                    attempt + 1
                )));
            }
            Failure::Retry { ref reason, .. } => {
                let wait = retry::delay(&failure, fetcher.retry_delay, attempt);
                tracing::debug!(part = %part.name, %reason, ?wait, "retrying part");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        }
    }
}

async fn try_once(
    fetcher: &PartFetcher,
    index: usize,
    part: &Part,
    ticket: &Ticket,
    counted: &mut u64,
) -> Result<PartDone, TryError> {
    let scope = FetchScope {
        caller: "download",
        policy: &fetcher.policy,
        cookies: &fetcher.jar,
        deadline: None,
    };
    let mut request = FetchRequest::get(part.url.as_str());
    request.headers = fetcher.headers.clone();
    // Waiting for the headers is idle time too: a server that accepts the request and
    // never answers is given up on as a stalled body is (else `fetch.timeout_ms`).
    request.timeout = Some(fetcher.idle_timeout);
    if let Some(range) = part.range {
        let last = range.offset + range.length.saturating_sub(1);
        request
            .headers
            .push(("Range".to_owned(), format!("bytes={}-{last}", range.offset)));
    }
    // The key (each fetched once, shared by every part that needs it) is asked for at
    // the same time as the part: its round trip overlaps the part's.
    let key = async {
        match &part.key {
            Some(part_key) => fetcher
                .keys
                .get(&fetcher.remote(), &part_key.uri)
                .await
                .map(|key| Some((key, part_key.iv))),
            None => Ok(None),
        }
    };
    let sent = Instant::now();
    let request = async {
        let response = fetcher.client.fetch_streaming(&scope, request).await;
        (response, sent.elapsed())
    };
    let ((response, latency), key) = tokio::join!(request, key);
    let mut response = response.map_err(|error| retry::classify_fetch_error(&error))?;
    if !matches!(response.status, 200 | 206) {
        return Err(retry::classify_status(response.status, response.header("retry-after")).into());
    }
    let mut decryptor = key
        .map_err(TryError::Fatal)?
        .map(|(key, iv)| StreamDecryptor::new(key, iv));
    // With a range the server ignored (200: the whole resource), skip to the range.
    let (mut skip, mut take) = match (part.range, response.status) {
        (Some(range), 200) => (range.offset, Some(range.length)),
        (Some(range), _) => (0, Some(range.length)),
        (None, _) => (0, None),
    };
    // Past a range inside a whole resource the rest is not needed: stop reading there.
    // A 206 is read to its end, so its connection goes back to the pool.
    let stop_at_range_end = response.status == 200 && part.range.is_some();
    let announced = response.content_length();
    // Headers in hand, the body waits for this part's turn among the readers.
    ticket.wait_turn().await;
    let turn = Instant::now();
    let sink = &fetcher.sink;
    let write_error = |_| TryError::Fatal(stopped());
    sink.begin(index).await.map_err(write_error)?;
    let retry = |reason: String| {
        TryError::Failure(Failure::Retry {
            reason,
            retry_after: None,
        })
    };
    let mut received = 0u64;
    let mut ended = false;
    while !(stop_at_range_end && take == Some(0)) {
        let chunk = match tokio::time::timeout(fetcher.idle_timeout, response.chunk()).await {
            Err(_) => {
                return Err(retry(format!(
                    "no data for {} s",
                    fetcher.idle_timeout.as_secs_f32()
                )));
            }
            Ok(Err(error)) => return Err(retry::classify_fetch_error(&error).into()),
            Ok(Ok(None)) => {
                ended = true;
                break;
            }
            Ok(Ok(Some(chunk))) => chunk,
        };
        received += chunk.len() as u64;
        let (mut start, mut end) = (0, chunk.len());
        if skip > 0 {
            let n = end.min(usize::try_from(skip).unwrap_or(usize::MAX));
            start = n;
            skip -= n as u64;
        }
        if let Some(left) = take.as_mut() {
            let n = (end - start).min(usize::try_from(*left).unwrap_or(usize::MAX));
            end = start + n;
            *left -= n as u64;
        }
        let plain = match decryptor.as_mut() {
            Some(decryptor) => Bytes::from(
                decryptor
                    .update(&chunk[start..end])
                    .map_err(|error| retry(error.to_string()))?,
            ),
            None => chunk.slice(start..end),
        };
        if plain.is_empty() {
            continue;
        }
        let length = plain.len() as u64;
        sink.write(index, plain).await.map_err(write_error)?;
        *counted += length;
        fetcher.written.fetch_add(length, Ordering::Relaxed);
    }
    if let Some(left) = take.filter(|left| *left > 0) {
        return Err(retry(format!(
            "body ended {left} bytes before the range did"
        )));
    }
    if let Some(announced) = announced.filter(|announced| ended && *announced != received) {
        return Err(retry(format!("truncated: {received} of {announced} bytes")));
    }
    if let Some(decryptor) = decryptor {
        let tail = decryptor
            .finish()
            .map_err(|error| retry(error.to_string()))?;
        let length = tail.len() as u64;
        if length > 0 {
            sink.write(index, Bytes::from(tail))
                .await
                .map_err(write_error)?;
            *counted += length;
            fetcher.written.fetch_add(length, Ordering::Relaxed);
        }
    }
    if *counted == 0 {
        return Err(retry("empty body".to_owned()));
    }
    // Timed before the disk thread saves it: a part held in memory waits there for
    // the parts before it, which is not the site's doing.
    let body = turn.elapsed();
    // A range cut from a whole resource leaves its connection mid-body: closed now,
    // not held while the part waits for its turn.
    drop(response);
    ticket.leave();
    sink.finish(index).await.map_err(write_error)?;
    Ok(PartDone {
        bytes: *counted,
        timing: PartTiming { latency, body },
    })
}
