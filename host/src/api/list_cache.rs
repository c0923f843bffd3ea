//! List answers kept between library writes. Keyed by the library generation
//! (`store::generation`), which moves after every committed write from any process, so a
//! cached answer is never served once the library changed:
//! - pages: the whole JSON body of `GET /api/resources` per query, bounded in bytes
//!   (`library.list_cache_mib`, 0 turns it off);
//! - totals: the number of matches per filter, always kept (a few bytes each). A large
//!   total (at least [`ESTIMATE_FROM`] matches) of an earlier generation counted less
//!   than [`ESTIMATE_FOR`] ago is served marked estimated rather than counting every
//!   match again: while writes go on, a large count runs at most once a second per
//!   filter. A small total is always counted again, so it is always exact. A request
//!   counts at most [`COUNT_CAP`] matches (a search [`SEARCH_COUNT_CAP`]): past it, the
//!   answer says so (that many, not exact) and the exact count runs once in the
//!   background, for the requests after (not a search's);
//! - ETags: computed from the process epoch, the generation and the query alone, so a
//!   conditional request is answered 304 without a query and without the cache.
//!
//! Concurrent misses of one page wait for a single computation (`quick_cache`'s
//! guards); concurrent misses of one total each count (up to the cap), since the
//! count comes with the page in one statement.

use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::store::ResourceQuery;

/// How old a total of an earlier generation may be and still be served, as an estimate.
pub(crate) const ESTIMATE_FOR: Duration = Duration::from_secs(1);
/// The fewest matches a total of an earlier generation must have to be served as an
/// estimate: counting fewer is cheap enough to do again.
pub(crate) const ESTIMATE_FROM: u64 = 10_000;
/// A request counts at most this many matches; a larger total is counted exactly in
/// the background, and answered meanwhile as this many, marked not exact.
pub(crate) const COUNT_CAP: u64 = 10_000;
/// A search counts at most this many matches, and no further: its answer then says
/// more match. A search box asks on every keystroke, and a common word's count reads
/// its candidates up to the cap: to 10,000 at a million resources, 50 to 700 ms on
/// SQLite (the downloaded ones' order reads five candidates for each match).
pub(crate) const SEARCH_COUNT_CAP: u64 = 1_000;

/// The most matches a request counts for `filter`.
pub(crate) fn count_cap(filter: &ResourceQuery) -> u64 {
    if counted_past_cap(filter) {
        COUNT_CAP
    } else {
        SEARCH_COUNT_CAP
    }
}

/// Whether the filter's matches are counted past its cap (in the background): not a
/// search's. A search box asks on every keystroke, and counting every match of a common
/// word reads each of its candidates (a second at a million resources, on a core a
/// queue of such counts kept busy); its answer says "more than 1,000".
pub(crate) fn counted_past_cap(filter: &ResourceQuery) -> bool {
    filter.search.is_none()
}

/// Filters whose totals are kept.
const TOTALS: usize = 16_384;
/// Pages a cache of the configured size is sized for (an estimate for its hash table).
const TYPICAL_PAGE_BYTES: u64 = 24 * 1024;

/// A cached answer.
#[derive(Debug, Clone)]
pub(crate) struct CachedBody {
    pub(crate) body: Bytes,
}

/// The total of a filter, and whether it is exact for the current generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Total {
    pub(crate) count: u64,
    pub(crate) exact: bool,
    /// More than the filter's [`count_cap`] match and no exact count is known yet: the
    /// caller starts one ([`ListCache::start_exact_count`]), unless the filter searches.
    pub(crate) capped: bool,
}

/// The last exact total of a filter, whatever its generation.
#[derive(Debug, Clone, Copy)]
struct Counted {
    generation: u64,
    count: u64,
    at: Instant,
}

#[derive(Clone)]
struct BodyWeight;

impl Weighter<(u64, ResourceQuery), CachedBody> for BodyWeight {
    fn weight(&self, _key: &(u64, ResourceQuery), value: &CachedBody) -> u64 {
        // The key and the entry's bookkeeping, roughly.
        value.body.len() as u64 + 256
    }
}

/// The list cache of one server process.
pub(crate) struct ListCache {
    /// Distinguishes this process's ETags from another's and from before a restart.
    epoch: u64,
    pages: Option<Cache<(u64, ResourceQuery), CachedBody, BodyWeight>>,
    /// Totals by generation and filter; None: more than the filter's cap, the exact count
    /// still running.
    exact: Cache<(u64, ResourceQuery), Option<u64>>,
    latest: Cache<ResourceQuery, Counted>,
    estimate_for: Duration,
    /// Exact counts running in the background, so each runs once.
    counting: std::sync::Mutex<std::collections::HashSet<(u64, ResourceQuery)>>,
    /// One exact count at a time: each may read every match (a second at a million
    /// resources), and requests need the database's connections meanwhile.
    counting_turn: Arc<tokio::sync::Semaphore>,
}

impl ListCache {
    /// A cache holding up to `page_bytes` of pages (0: pages are not kept).
    pub(crate) fn new(page_bytes: u64) -> Arc<Self> {
        Self::with_estimates(page_bytes, ESTIMATE_FOR)
    }

    /// The same, serving a total of an earlier generation as an estimate for
    /// `estimate_for` after it was counted.
    fn with_estimates(page_bytes: u64, estimate_for: Duration) -> Arc<Self> {
        static MADE: AtomicU64 = AtomicU64::new(0);
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let mut epoch = DefaultHasher::new();
        (
            started.as_nanos(),
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed),
        )
            .hash(&mut epoch);
        Arc::new(Self {
            epoch: epoch.finish(),
            pages: (page_bytes > 0).then(|| {
                let items = (page_bytes / TYPICAL_PAGE_BYTES).max(16) as usize;
                Cache::with_weighter(items, page_bytes, BodyWeight)
            }),
            exact: Cache::new(TOTALS),
            latest: Cache::new(TOTALS),
            estimate_for,
            counting: std::sync::Mutex::default(),
            counting_turn: Arc::new(tokio::sync::Semaphore::new(1)),
        })
    }

    /// The ETag of the answer to `query` at `generation`.
    pub(crate) fn etag(&self, generation: u64, query: &ResourceQuery) -> String {
        let mut hasher = DefaultHasher::new();
        query.hash(&mut hasher);
        format!("\"{:x}-{generation:x}-{:x}\"", self.epoch, hasher.finish())
    }

    /// The answer to `query` at `generation`: from the cache, or made by `make` (and kept
    /// when it says so; one `make` runs at a time per key).
    pub(crate) async fn page<E, F>(
        &self,
        generation: u64,
        query: &ResourceQuery,
        make: F,
    ) -> Result<CachedBody, E>
    where
        F: Future<Output = Result<(CachedBody, bool), E>>,
    {
        let Some(pages) = &self.pages else {
            return make.await.map(|(body, _)| body);
        };
        let key = (generation, query.clone());
        match pages.get_value_or_guard_async(&key).await {
            Ok(body) => Ok(body),
            Err(guard) => {
                let (body, keep) = make.await?;
                if keep {
                    let _ = guard.insert(body.clone());
                }
                Ok(body)
            }
        }
    }

    /// The total of `filter` at `generation` known without counting: exact from the
    /// cache, or, for a large total counted less than the estimate window ago at an
    /// earlier generation, that count marked estimated.
    pub(crate) fn known_total(&self, generation: u64, filter: &ResourceQuery) -> Option<Total> {
        if let Some(known) = self.exact.get(&(generation, filter.clone())) {
            return Some(Self::answer(known, count_cap(filter)));
        }
        self.latest
            .get(filter)
            .filter(|last| {
                last.generation < generation
                    && last.count >= ESTIMATE_FROM
                    && last.at.elapsed() < self.estimate_for
            })
            .map(|last| Total {
                count: last.count,
                exact: false,
                capped: false,
            })
    }

    /// Keeps a count the caller made of `filter` at `generation` (up to its
    /// [`count_cap`], None past it), when [`ListCache::known_total`] knew none; returns
    /// the total it answers.
    pub(crate) fn record_count(
        &self,
        generation: u64,
        filter: &ResourceQuery,
        counted: Option<u64>,
    ) -> Total {
        let key = (generation, filter.clone());
        // A capped count that ends after the background's exact count was recorded
        // leaves the exact one in place (else that count would run again).
        if counted.is_none()
            && let Some(Some(known)) = self.exact.get(&key)
        {
            return Self::answer(Some(known), count_cap(filter));
        }
        self.exact.insert(key, counted);
        if let Some(count) = counted {
            self.remember(generation, filter, count);
        }
        Self::answer(counted, count_cap(filter))
    }

    /// The total a count gives: `None` is past `cap`.
    fn answer(known: Option<u64>, cap: u64) -> Total {
        match known {
            Some(count) => Total {
                count,
                exact: true,
                capped: false,
            },
            None => Total {
                count: cap,
                exact: false,
                capped: true,
            },
        }
    }

    /// Records the exact total of `filter` at `generation` (from a background count).
    pub(crate) fn record_exact(&self, generation: u64, filter: &ResourceQuery, count: u64) {
        self.exact.insert((generation, filter.clone()), Some(count));
        self.remember(generation, filter, count);
    }

    fn remember(&self, generation: u64, filter: &ResourceQuery, count: u64) {
        let newer = self
            .latest
            .get(filter)
            .is_none_or(|last| last.generation <= generation);
        if newer {
            self.latest.insert(
                filter.clone(),
                Counted {
                    generation,
                    count,
                    at: Instant::now(),
                },
            );
        }
    }

    /// Whether the caller should start the exact count of `filter` at `generation`:
    /// true once, until [`ListCache::exact_count_ended`].
    pub(crate) fn start_exact_count(&self, generation: u64, filter: &ResourceQuery) -> bool {
        match self.counting.lock() {
            Ok(mut running) => running.insert((generation, filter.clone())),
            Err(_) => false,
        }
    }

    /// Whether a background count of `filter` for `generation` that got its turn while
    /// the library is at `now` still tells anyone anything: yes for the current
    /// generation, and for an earlier one unless a count of the filter from within the
    /// estimate window already serves as the estimate.
    pub(crate) fn worth_counting(&self, generation: u64, now: u64, filter: &ResourceQuery) -> bool {
        generation == now
            || self
                .latest
                .get(filter)
                .is_none_or(|last| last.at.elapsed() >= self.estimate_for)
    }

    /// Waits for the background counts' turn (one at a time); None once the cache is
    /// going away.
    pub(crate) async fn exact_count_turn(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.counting_turn.clone().acquire_owned().await.ok()
    }

    /// The background count of `filter` at `generation` ended (recorded or failed, or
    /// skipped).
    pub(crate) fn exact_count_ended(&self, generation: u64, filter: &ResourceQuery) {
        if let Ok(mut running) = self.counting.lock() {
            running.remove(&(generation, filter.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TranslationStatus;

    fn query(status: Option<TranslationStatus>) -> ResourceQuery {
        ResourceQuery {
            translation_status: status,
            ..ResourceQuery::default()
        }
    }

    #[tokio::test]
    async fn pages_are_kept_per_generation_and_query() {
        let cache = ListCache::new(1024 * 1024);
        let made = std::sync::atomic::AtomicU32::new(0);
        let make = |text: &'static str| {
            made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                Ok::<_, ()>((
                    CachedBody {
                        body: Bytes::from_static(text.as_bytes()),
                    },
                    true,
                ))
            }
        };
        let all = query(None);
        let done = query(Some(TranslationStatus::Completed));
        assert_eq!(cache.page(1, &all, make("a")).await.unwrap().body, "a");
        assert_eq!(cache.page(1, &all, make("b")).await.unwrap().body, "a");
        assert_eq!(cache.page(1, &done, make("c")).await.unwrap().body, "c");
        assert_eq!(cache.page(2, &all, make("d")).await.unwrap().body, "d");
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_page_not_to_keep_is_made_again() {
        let cache = ListCache::new(1024 * 1024);
        let all = query(None);
        let body = |text: &'static str, keep| async move {
            Ok::<_, ()>((
                CachedBody {
                    body: Bytes::from_static(text.as_bytes()),
                },
                keep,
            ))
        };
        assert_eq!(
            cache.page(1, &all, body("a", false)).await.unwrap().body,
            "a"
        );
        assert_eq!(
            cache.page(1, &all, body("b", true)).await.unwrap().body,
            "b"
        );
        assert_eq!(
            cache.page(1, &all, body("c", true)).await.unwrap().body,
            "b"
        );
    }

    #[tokio::test]
    async fn without_page_memory_every_page_is_made() {
        let cache = ListCache::new(0);
        let all = query(None);
        for text in ["a", "b"] {
            let body = cache
                .page(1, &all, async {
                    Ok::<_, ()>((
                        CachedBody {
                            body: Bytes::from_static(text.as_bytes()),
                        },
                        true,
                    ))
                })
                .await
                .unwrap();
            assert_eq!(body.body, text);
        }
    }

    /// A request's total, as the list handler gets it: known, or counted and kept.
    async fn total(
        cache: &ListCache,
        generation: u64,
        filter: &ResourceQuery,
        count: impl Future<Output = Result<Option<u64>, ()>>,
    ) -> Result<Total, ()> {
        if let Some(known) = cache.known_total(generation, filter) {
            return Ok(known);
        }
        Ok(cache.record_count(generation, filter, count.await?))
    }

    fn exact(count: u64) -> Result<Total, ()> {
        Ok(Total {
            count,
            exact: true,
            capped: false,
        })
    }

    #[tokio::test]
    async fn totals_are_exact_per_generation_and_large_ones_estimated_briefly_after_a_write() {
        // A window no test run outlasts, so the estimate does not depend on timing.
        let cache = ListCache::with_estimates(0, Duration::from_secs(3600));
        let all = query(None);
        let large = ESTIMATE_FROM;
        assert_eq!(
            total(&cache, 1, &all, async { Ok(Some(large)) }).await,
            exact(large)
        );
        let kept = total(&cache, 1, &all, async { Ok(Some(99)) }).await;
        assert_eq!(kept, exact(large), "kept");
        // Right after a write: the last large count, marked estimated, without counting.
        let estimated = total(&cache, 2, &all, async { Err(()) }).await;
        assert_eq!(
            estimated,
            Ok(Total {
                count: large,
                exact: false,
                capped: false
            })
        );
        // Another filter has no earlier count: counted.
        let done = query(Some(TranslationStatus::Completed));
        assert_eq!(
            total(&cache, 2, &done, async { Ok(Some(3)) }).await,
            exact(3)
        );
        // A small total is counted again after a write: always exact.
        assert_eq!(
            total(&cache, 3, &done, async { Ok(Some(2)) }).await,
            exact(2)
        );
    }

    #[tokio::test]
    async fn an_estimate_past_its_window_is_counted_again() {
        let cache = ListCache::with_estimates(0, Duration::ZERO);
        let all = query(None);
        let large = ESTIMATE_FROM;
        assert_eq!(
            total(&cache, 1, &all, async { Ok(Some(large)) }).await,
            exact(large)
        );
        let again = total(&cache, 2, &all, async { Ok(Some(large + 1)) }).await;
        assert_eq!(again, exact(large + 1));
    }

    #[tokio::test]
    async fn a_search_past_its_own_cap_is_answered_at_that_cap() {
        let cache = ListCache::new(0);
        let search = ResourceQuery {
            search: Some("summer".into()),
            ..query(Some(TranslationStatus::Completed))
        };
        assert_eq!(count_cap(&search), SEARCH_COUNT_CAP);
        assert_eq!(count_cap(&query(None)), COUNT_CAP);
        let past = Ok(Total {
            count: SEARCH_COUNT_CAP,
            exact: false,
            capped: true,
        });
        assert_eq!(total(&cache, 1, &search, async { Ok(None) }).await, past);
        // Kept: the next request of the generation counts nothing.
        assert_eq!(total(&cache, 1, &search, async { Err(()) }).await, past);
    }

    #[tokio::test]
    async fn a_total_past_the_cap_is_answered_capped_until_the_exact_count_is_recorded() {
        let cache = ListCache::new(0);
        let all = query(None);
        let capped = total(&cache, 1, &all, async { Ok(None) }).await;
        assert_eq!(
            capped,
            Ok(Total {
                count: COUNT_CAP,
                exact: false,
                capped: true
            })
        );
        assert!(
            cache.start_exact_count(1, &all),
            "the first asks for the count"
        );
        assert!(!cache.start_exact_count(1, &all), "once");
        // Not counted again while the exact count runs.
        let again = total(&cache, 1, &all, async { Err(()) }).await;
        assert_eq!(again.map(|t| t.capped), Ok(true));
        cache.record_exact(1, &all, 123_456);
        cache.exact_count_ended(1, &all);
        assert_eq!(
            total(&cache, 1, &all, async { Err(()) }).await,
            exact(123_456)
        );
        // A capped count that ends after the exact one leaves it in place.
        assert_eq!(cache.record_count(1, &all, None), exact(123_456).unwrap());
        assert_eq!(cache.known_total(1, &all), Some(exact(123_456).unwrap()));
        assert!(
            cache.start_exact_count(2, &all),
            "another generation counts again"
        );
    }

    #[tokio::test]
    async fn background_counts_take_turns_and_a_stale_one_is_skipped_while_an_estimate_serves() {
        let cache = ListCache::with_estimates(0, Duration::from_secs(3600));
        let first = cache.exact_count_turn().await.expect("a turn");
        let second = tokio::time::timeout(Duration::from_millis(50), cache.exact_count_turn());
        assert!(second.await.is_err(), "one count at a time");
        drop(first);
        assert!(
            cache.exact_count_turn().await.is_some(),
            "the next one's turn"
        );

        let all = query(None);
        assert!(cache.worth_counting(1, 1, &all), "the current generation");
        assert!(
            cache.worth_counting(1, 2, &all),
            "stale, but nothing to estimate from"
        );
        cache.record_exact(2, &all, 50_000);
        assert!(
            !cache.worth_counting(1, 3, &all),
            "stale, a recent count serves"
        );
        assert!(
            cache.worth_counting(3, 3, &all),
            "the current generation still counts"
        );
        let expired = ListCache::with_estimates(0, Duration::ZERO);
        expired.record_exact(2, &all, 50_000);
        assert!(
            expired.worth_counting(1, 3, &all),
            "the recent count's window is over"
        );
    }

    #[test]
    fn etags_follow_the_generation_and_the_query() {
        let cache = ListCache::new(0);
        let all = query(None);
        let done = query(Some(TranslationStatus::Completed));
        assert_eq!(cache.etag(1, &all), cache.etag(1, &all));
        assert_ne!(cache.etag(1, &all), cache.etag(2, &all));
        assert_ne!(cache.etag(1, &all), cache.etag(1, &done));
        assert_ne!(
            cache.etag(1, &all),
            ListCache::new(0).etag(1, &all),
            "another process"
        );
    }
}
