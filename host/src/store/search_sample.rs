//! A sample of the library's searched text, spread evenly over the resources' ids and
//! kept in memory for a while: it tells how common a search term's trigrams are without
//! asking the trigram indexes. Those count a trigram by reading all its postings (on
//! PostgreSQL a bitmap a `LIMIT` cannot shorten): at a million resources, 270 ms for
//! `see`, which every seeded code has, and 120–150 ms for each trigram of a common word.
//! The sample rules out what is surely common and takes what is surely rare; the index
//! counts the rest. Staleness or chance only choose where a search's candidates come
//! from: every candidate is checked against the term all the same.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Mutex;

use super::bind::{Sql, Value};
use super::{Result, Store, StoreError};

/// The most resources a sample holds: enough that a trigram in one resource of a
/// hundred shows in about forty of them, few enough to read in milliseconds.
const SAMPLED: i64 = 4_096;
/// The fewest sampled resources having some trigrams for the sample to rule that they
/// are common: fewer could be chance, or a cluster of neighbouring codes.
const TRUSTED_HITS: u64 = 16;
/// How far past a bound the sample must put a count to rule it out: room for the
/// sample's error and for resources written since it was taken.
const MARGIN: u64 = 2;
/// How long a sample serves after the library changed before a new one is taken: an
/// import renews it every few seconds, in the background, one at a time.
const RENEW_AFTER: Duration = Duration::from_secs(5);

/// The trigrams of the searched text of every `weight`-th resource by id, case-folded as
/// a search term's trigrams are (`search_trigrams::trigrams`).
pub(super) struct SearchSample {
    /// For each trigram of the sampled resources' code and titles (each column on its
    /// own, folded), the resources that have it, by their place in the sample, in order.
    /// A new term's trigrams are looked up here: searching each sampled text for each of
    /// them was 50,000 substring searches a term, 8% of a server's time under a load of
    /// new code fragments at a million resources (`perf`).
    postings: HashMap<[char; 3], Vec<u32>>,
    /// How many resources it holds.
    count: usize,
    /// How many resources each sampled one stands for: the step between sampled ids.
    weight: u64,
    /// When it was taken.
    taken: Instant,
    /// The library generation it was taken at (read before its rows).
    generation: u64,
    /// Which sample of this process it is (answers found with it are kept under it).
    pub(super) serial: u64,
}

impl SearchSample {
    /// A sample of `texts` (each resource's searched columns), one per `weight` resources.
    #[cfg(test)]
    pub(super) fn new(texts: Vec<[String; 4]>, weight: u64) -> Self {
        Self::taken_at(texts, weight, 0, 0)
    }

    fn taken_at(texts: Vec<[String; 4]>, weight: u64, generation: u64, serial: u64) -> Self {
        let mut postings: HashMap<[char; 3], Vec<u32>> = HashMap::new();
        for (place, columns) in (0u32..).zip(&texts) {
            for column in columns {
                for trigram in folded_trigrams(column) {
                    let places = postings.entry(trigram).or_default();
                    if places.last() != Some(&place) {
                        places.push(place);
                    }
                }
            }
        }
        Self {
            postings,
            count: texts.len(),
            weight: weight.max(1),
            taken: Instant::now(),
            generation,
            serial,
        }
    }

    /// How many resources the library holds, by the sample: one per sampled id step.
    pub(super) fn resources(&self) -> u64 {
        (self.count as u64).saturating_mul(self.weight)
    }

    /// How many resources it holds.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// For each sampled resource, which of `trigrams` it has: bit `n` for the `n`-th
    /// (the first 64 only).
    pub(super) fn having(&self, trigrams: &[String]) -> Vec<u64> {
        let mut having = vec![0u64; self.count];
        for (n, trigram) in trigrams.iter().take(64).enumerate() {
            let chars: Vec<char> = trigram.chars().collect();
            let Ok(key) = <[char; 3]>::try_from(chars.as_slice()) else {
                continue;
            };
            for &place in self.postings.get(&key).map_or(&[][..], Vec::as_slice) {
                if let Some(bits) = having.get_mut(place as usize) {
                    *bits |= 1 << n;
                }
            }
        }
        having
    }

    /// About how many resources of the library have every trigram of `mask`: the
    /// sampled ones that do, times what each stands for.
    pub(super) fn estimate(&self, having: &[u64], mask: u64) -> u64 {
        hits(having, mask).saturating_mul(self.weight)
    }

    /// Whether, by the sample, surely more than `bound` resources have every trigram of
    /// `mask` (bits of [`SearchSample::having`]'s answer `having`).
    pub(super) fn surely_more_than(&self, having: &[u64], mask: u64, bound: u64) -> bool {
        let hits = hits(having, mask);
        hits >= TRUSTED_HITS && hits.saturating_mul(self.weight) > bound.saturating_mul(MARGIN)
    }

    /// Whether, by the sample, surely at most `bound` resources have every trigram of
    /// `mask`: the hits plus twice their square root plus three (a count that sampling
    /// puts under its hits about one time in twenty at most), times what each hit
    /// stands for, are within it.
    pub(super) fn surely_at_most(&self, having: &[u64], mask: u64, bound: u64) -> bool {
        // A sample of an empty library says nothing of the resources written since.
        if self.count == 0 {
            return false;
        }
        let hits = hits(having, mask);
        let high = hits + 2 * hits.isqrt() + 3;
        high.saturating_mul(self.weight) <= bound
    }
}

/// How many sampled resources have every trigram of `mask`.
pub(super) fn hits(having: &[u64], mask: u64) -> u64 {
    having.iter().filter(|bits| *bits & mask == mask).count() as u64
}

/// `text` case-folded as the trigram index folds it, for a search term and the sample
/// alike: each character to its lower case where that is one character; one whose lower
/// case is two (`İ`, whose is `i` and a combining dot) stays as it is, as SQLite's
/// index keeps it.
pub(super) fn fold(text: &str) -> String {
    text.chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(single), None) => single,
                _ => c,
            }
        })
        .collect()
}

/// The trigrams of `text` as the trigram index cuts them (runs of three characters,
/// spaces included), case-folded as it folds them ([`fold`]), in order, repeats kept:
/// the sample's and a search term's alike.
pub(super) fn folded_trigrams(text: &str) -> Vec<[char; 3]> {
    let folded: Vec<char> = fold(text).chars().collect();
    folded
        .windows(3)
        .map(|window| [window[0], window[1], window[2]])
        .collect()
}

/// The sample in use, and the right to take a new one, held by one caller at a time.
#[derive(Default)]
pub(super) struct KeptSample {
    current: std::sync::Mutex<Option<Arc<SearchSample>>>,
    taking: Arc<Mutex<()>>,
    /// Samples taken so far.
    taken: AtomicU64,
}

impl KeptSample {
    /// The sample in use, if one was taken.
    fn current(&self) -> Option<Arc<SearchSample>> {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The right to take a new sample (tests wait on it for a renewal to end).
    #[cfg(test)]
    pub(super) fn taking(&self) -> Arc<Mutex<()>> {
        self.taking.clone()
    }

    /// Puts `sample` in use.
    fn replace(&self, sample: Arc<SearchSample>) {
        *self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(sample);
    }
}

impl Store {
    /// The library's search sample. The first is taken while the caller waits (other
    /// callers wait for it too). Once the library has changed since a sample was taken,
    /// and [`RENEW_AFTER`] has passed, it is still answered while a new one is taken in
    /// the background, since a sample costs thousands of row reads (60 ms at a million
    /// resources on PostgreSQL, 0.7 s with a cold disk cache) that no search should wait
    /// for. A library that does not change keeps its sample.
    pub(super) async fn search_sample(&self) -> Result<Arc<SearchSample>> {
        self.search_sample_renewed_after(RENEW_AFTER).await
    }

    /// [`Store::search_sample`], renewed `renew_after` a change.
    pub(super) async fn search_sample_renewed_after(
        &self,
        renew_after: Duration,
    ) -> Result<Arc<SearchSample>> {
        let kept = &self.trigram_counts.sample;
        if let Some(sample) = kept.current() {
            let changed = self.library_generation() != sample.generation;
            if changed
                && sample.taken.elapsed() >= renew_after
                && let Ok(taking) = kept.taking.clone().try_lock_owned()
            {
                let store = self.clone();
                tokio::spawn(async move {
                    match store.take_search_sample().await {
                        Ok(sample) => store.trigram_counts.sample.replace(Arc::new(sample)),
                        Err(error) => {
                            tracing::warn!(%error, "cannot sample the library for searches")
                        }
                    }
                    drop(taking);
                });
            }
            return Ok(sample);
        }
        let _taking = kept.taking.lock().await;
        if let Some(sample) = kept.current() {
            return Ok(sample);
        }
        let sample = Arc::new(self.take_search_sample().await?);
        kept.replace(sample.clone());
        Ok(sample)
    }

    /// Reads every `step`-th id, `step` chosen so at most [`SAMPLED`] ids are asked: one
    /// index lookup each. Ids are given in the order resources are added, so the sample
    /// spreads over the library's history; gaps left by deletions only make it smaller.
    /// The first id is anywhere in the first step, a different one each time, so a
    /// pattern in the ids that lines up with the step misleads one sample, not each.
    async fn take_search_sample(&self) -> Result<SearchSample> {
        let kept = &self.trigram_counts.sample;
        let serial = kept.taken.fetch_add(1, Ordering::Relaxed) + 1;
        let generation = self.library_generation();
        let (lowest, highest): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT CAST(MIN(id) AS BIGINT), CAST(MAX(id) AS BIGINT) FROM resources",
        )
        .fetch_one(self.reader())
        .await?;
        let (Some(lowest), Some(highest)) = (lowest, highest) else {
            return Ok(SearchSample::taken_at(Vec::new(), 1, generation, serial));
        };
        let span = highest.saturating_sub(lowest).saturating_add(1).max(1);
        let step = (span - 1) / SAMPLED + 1;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| i64::from(since.subsec_nanos()));
        let first = lowest.saturating_add(nanos % step);
        let mut sql = Sql::new("WITH RECURSIVE picked(id) AS (SELECT CAST(");
        sql.bind(Value::Int(first))
            .push(" AS BIGINT) UNION ALL SELECT id + ")
            .bind(Value::Int(step))
            .push(" FROM picked WHERE id <= ")
            .bind(Value::Int(highest.saturating_sub(step)))
            .push(
                ") SELECT r.code, COALESCE(r.title_source, ''), COALESCE(r.title_original, ''), \
                 COALESCE(r.title_translated, '') FROM picked p JOIN resources r ON r.id = p.id",
            );
        let rows: Vec<(String, String, String, String)> =
            sql.query_as().fetch_all(self.reader()).await?;
        let texts = rows
            .into_iter()
            .map(|(code, source, original, translated)| [code, source, original, translated])
            .collect();
        // Thousands of texts cut into trigrams: off the async workers.
        tokio::task::spawn_blocking(move || {
            SearchSample::taken_at(texts, step as u64, generation, serial)
        })
        .await
        .map_err(|error| StoreError::Corrupt(format!("the search sample's task: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(texts: &[&str], weight: u64) -> SearchSample {
        let texts = texts
            .iter()
            .map(|code| {
                [
                    code.to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]
            })
            .collect();
        SearchSample::new(texts, weight)
    }

    #[test]
    fn each_resource_tells_which_trigrams_it_has() {
        let sample = SearchSample::new(
            vec![
                [
                    "ABC-012".into(),
                    "Summer".into(),
                    String::new(),
                    String::new(),
                ],
                ["XYZ-123".into(), String::new(), "sum".into(), String::new()],
            ],
            1,
        );
        let trigrams = ["012".to_owned(), "sum".to_owned(), "xyz".to_owned()];
        assert_eq!(sample.having(&trigrams), [0b011, 0b110]);
        // A trigram never spans two columns.
        assert_eq!(sample.having(&["12s".to_owned()]), [0, 0]);
    }

    #[test]
    fn only_many_hits_well_past_the_bound_rule_a_count_out() {
        let common = sample(&["see"; 40], 100);
        let having = common.having(&["see".to_owned()]);
        // 40 hits standing for 4,000 resources.
        assert!(common.surely_more_than(&having, 1, 1_999));
        assert!(!common.surely_more_than(&having, 1, 2_000));
        // Too few hits prove nothing, however many each stands for.
        let few = sample(&["see"; 15], 1_000_000);
        let having = few.having(&["see".to_owned()]);
        assert!(!few.surely_more_than(&having, 1, 1));
        assert_eq!(hits(&[0b11, 0b01, 0b10, 0b11], 0b11), 2);
    }

    #[test]
    fn a_count_is_surely_within_a_bound_well_above_its_hits() {
        // 16 hits: at most 16 + 8 + 3 = 27 sampled ones, each standing for 10.
        let sixteen = sample(&["see"; 16], 10);
        let having = sixteen.having(&["see".to_owned()]);
        assert!(sixteen.surely_at_most(&having, 1, 270));
        assert!(!sixteen.surely_at_most(&having, 1, 269));
        // No hit at all still leaves room for three.
        let none = sample(&["abc"; 100], 245);
        let having = none.having(&["see".to_owned()]);
        assert!(none.surely_at_most(&having, 1, 735));
        assert!(!none.surely_at_most(&having, 1, 734));
    }
}
