//! Which of a search term's trigrams find its candidates fastest in the trigram indexes
//! (SQLite's FTS5 index, PostgreSQL's pg_trgm index): the rarest, ranked by a sample
//! of the library (`search_sample`) and counted in the index only when the sample can
//! tell them neither from common ones nor from rare ones, the answer kept with the
//! sample it was found by. All the term's trigrams read
//! every trigram's postings: a code fragment such as `SEED-0123` read those of `see` and
//! `eed`, which every code of the library has. The two rarest trigrams find the same
//! matches and a few more candidates, which the `LIKE` check every candidate passes
//! through drops.

#[cfg(test)]
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

use super::bind::{Sql, Value};
use super::search_sample::{KeptSample, SearchSample, folded_trigrams, hits};
use super::{Backend, Result, Store};

/// How long an index count is trusted. A library that grows makes it stale, which costs
/// speed, never rows: every candidate is checked with `LIKE`.
const COUNT_FOR: Duration = Duration::from_secs(60);
/// Counts and terms kept (a few dozen bytes each).
const KEPT: usize = 16_384;
/// How many of a term's rarest trigrams find its candidates: one more than a single
/// rare trigram costs little and drops most of its stray candidates.
const ASKED: usize = 2;
/// A long term's trigrams considered at most (its first ones): the rarest among them is
/// rare enough.
const CONSIDERED: usize = 12;
// The sample marks the trigrams a resource has in the bits of a `u64`.
const _: () = assert!(CONSIDERED <= 64);
/// How many times more resources than the cap each of the two rarest trigrams may be in
/// and still be counted together, when the rarest alone is past the cap: at a million
/// resources `012` and `123` are each in thousands of codes and titles, both in a few
/// hundred.
const PAIRED_UP_TO: u64 = 10;

/// A term's rarest trigrams, keyed by the term, the cap and the sample they were found
/// by; and the resources some trigrams, or a phrase, were found in by the index, counted
/// up to a cap, keyed by the trigrams, the cap and the minute of the count (since the
/// first), so one older than [`COUNT_FOR`] is never read. Concurrent searches that miss
/// one key wait for a single answer (`quick_cache`'s guards): a burst of requests for a
/// new term finds its trigrams once.
pub(crate) struct TrigramCounts {
    counts: Cache<(String, u64, u64), u64>,
    /// SQLite's candidates of a term's whole phrase, counted up to a cap.
    phrases: Cache<(String, u64, u64), u64>,
    rarest: Cache<(String, u64, u64), Option<RareTrigrams>>,
    pub(super) sample: KeptSample,
    /// How many counts the trigram indexes were asked for (read by tests).
    #[cfg(test)]
    index_counts: AtomicU64,
    since: Instant,
}

impl Default for TrigramCounts {
    fn default() -> Self {
        Self {
            counts: Cache::new(KEPT),
            phrases: Cache::new(KEPT),
            rarest: Cache::new(KEPT),
            sample: KeptSample::default(),
            #[cfg(test)]
            index_counts: AtomicU64::new(0),
            since: Instant::now(),
        }
    }
}

impl TrigramCounts {
    fn key(&self, text: &str, cap: u64) -> (String, u64, u64) {
        let period = self.since.elapsed().as_secs() / COUNT_FOR.as_secs();
        (text.to_owned(), cap, period)
    }
}

/// The term's distinct trigrams (runs of three characters, spaces included, as FTS5's
/// trigram tokenizer cuts them), case-folded as the index folds them, in order.
pub(super) fn trigrams(term: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for window in folded_trigrams(term) {
        let trigram: String = window.iter().collect();
        if !found.contains(&trigram) {
            found.push(trigram);
        }
    }
    found
}

/// A term's rarest trigrams, and about how many resources have them all: the
/// candidates a search by them reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RareTrigrams {
    pub(crate) trigrams: Vec<String>,
    /// The index's count when one was made, else the sample's estimate.
    pub(crate) candidates: u64,
}

/// `text` as an FTS5 string: in double quotes, its own doubled.
pub(super) fn fts_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

impl Store {
    /// The term's rarest trigrams (two at most), when the resources that have them all
    /// are at most `cap`: the rarest alone is in at most `cap`, or the two rarest,
    /// each in at most [`PAIRED_UP_TO`] times `cap`, are in at most `cap` together. Those
    /// resources include every match. None when the trigrams are more common, or the
    /// term has none the backend's index can look up on its own. The counts are the
    /// sample's estimates where it is sure of them, else the index's. Kept while the
    /// sample serves, and found once for concurrent searches of one term.
    pub(super) async fn rare_trigrams(&self, term: &str, cap: u64) -> Result<Option<RareTrigrams>> {
        let sample = self.search_sample().await?;
        let key = (term.to_owned(), cap, sample.serial);
        kept(
            &self.trigram_counts.rarest,
            key,
            self.find_rare_trigrams(term, cap, &sample),
        )
        .await
    }

    /// [`Store::rare_trigrams`], found: the sample ranks the term's trigrams, takes the
    /// rarest two when they are surely within the cap and rules out what is surely
    /// common; the index counts the rest, up to the cap.
    async fn find_rare_trigrams(
        &self,
        term: &str,
        cap: u64,
        sample: &SearchSample,
    ) -> Result<Option<RareTrigrams>> {
        let usable: Vec<String> = trigrams(term)
            .into_iter()
            .filter(|trigram| self.backend == Backend::Sqlite || alphanumeric(trigram))
            .take(CONSIDERED)
            .collect();
        if usable.is_empty() {
            return Ok(None);
        }
        let having = sample.having(&usable);
        let ranked = rarest_first(&usable, &having);
        let rarest: Vec<String> = ranked
            .iter()
            .take(ASKED)
            .map(|&n| usable[n].clone())
            .collect();
        // The rarest two are in at most as many resources as the rarest alone: when the
        // sample finds them surely within the cap, they are taken without a count (at a
        // million resources, an index count of a digit trigram in 4,000 codes rechecks
        // as many rows, 100 ms).
        let first_two = ranked
            .iter()
            .take(ASKED)
            .fold(0, |mask, &n| mask | 1u64 << n);
        let found = |candidates| {
            Some(RareTrigrams {
                trigrams: rarest.clone(),
                candidates,
            })
        };
        if sample.surely_at_most(&having, first_two, cap) {
            return Ok(found(sample.estimate(&having, first_two)));
        }
        let single = 1u64 << ranked[0];
        if !sample.surely_more_than(&having, single, cap) {
            let alone = self.resources_having(&rarest[..1], cap).await?;
            if alone <= cap {
                // The two have fewer than the rarest alone.
                return Ok(found(alone.min(sample.estimate(&having, first_two))));
            }
        }
        if rarest.len() < ASKED || !pairable(sample, &having, &ranked, cap) {
            return Ok(None);
        }
        let together = self.resources_having(&rarest, cap).await?;
        Ok(if together <= cap {
            found(together)
        } else {
            None
        })
    }

    /// The library's size as its search sample estimates it.
    pub(super) async fn sampled_library_size(&self) -> Result<u64> {
        Ok(self.search_sample().await?.resources())
    }

    /// How many resources have every one of `trigrams`, counting at most `cap + 1`: kept
    /// for [`COUNT_FOR`], and counted once for concurrent searches that ask together.
    async fn resources_having(&self, trigrams: &[String], cap: u64) -> Result<u64> {
        let key = self.trigram_counts.key(&trigrams.join("\u{0}"), cap);
        kept(
            &self.trigram_counts.counts,
            key,
            self.count_having(trigrams, cap),
        )
        .await
    }

    /// How many resources have every one of `trigrams`, counting at most `cap + 1`.
    async fn count_having(&self, trigrams: &[String], cap: u64) -> Result<u64> {
        #[cfg(test)]
        self.trigram_counts
            .index_counts
            .fetch_add(1, Ordering::Relaxed);
        match self.backend {
            Backend::Sqlite => self.count_fts_candidates(all_of(trigrams), cap).await,
            // Freshly gathered statistics make a sequential scan (with workers) look
            // cheaper than the trigram index for a count that stops at the cap; it
            // reads the whole table, a LIKE on the joined text a row.
            Backend::Postgres => {
                let mut sql = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM resources r WHERE ");
                for (n, trigram) in trigrams.iter().enumerate() {
                    if n > 0 {
                        sql.push(" AND ");
                    }
                    push_contains_trigram(&mut sql, "r", trigram);
                }
                sql.limit(cap.saturating_add(1)).push(") AS candidates");
                let mut tx = self.reader().begin().await?;
                sqlx::query("SET LOCAL enable_seqscan = off")
                    .execute(&mut *tx)
                    .await?;
                let (count,): (i64,) = sql.query_as().fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(count.max(0) as u64)
            }
        }
    }

    /// How many counts the trigram indexes were asked for by searches so far.
    #[cfg(test)]
    pub(crate) fn trigram_index_counts(&self) -> u64 {
        self.trigram_counts.index_counts.load(Ordering::Relaxed)
    }

    /// How many resources SQLite's trigram index finds for the FTS5 phrase `phrase`,
    /// counting at most `cap + 1`: kept for [`COUNT_FOR`] (a common term's pages, read
    /// along the sort's index, ask it each time), and counted once for concurrent
    /// searches that ask together.
    pub(super) async fn phrase_candidates(&self, phrase: String, cap: u64) -> Result<u64> {
        let key = self.trigram_counts.key(&phrase, cap);
        kept(
            &self.trigram_counts.phrases,
            key,
            self.count_fts_candidates(phrase, cap),
        )
        .await
    }

    /// How many resources SQLite's trigram index finds for the FTS5 `expression`,
    /// counting at most `cap + 1`.
    async fn count_fts_candidates(&self, expression: String, cap: u64) -> Result<u64> {
        let mut sql = Sql::new(
            "SELECT COUNT(*) FROM (SELECT 1 FROM resource_search WHERE resource_search MATCH ",
        );
        sql.bind(Value::Text(expression))
            .limit(cap.saturating_add(1))
            .push(") AS candidates");
        Ok(sql.fetch_count(self.reader()).await?.max(0) as u64)
    }
}

/// The answer `cache` keeps under `key`, else `find`'s, then kept: concurrent callers
/// that miss one key wait for a single `find` (`quick_cache`'s guards).
async fn kept<V: Clone>(
    cache: &Cache<(String, u64, u64), V>,
    key: (String, u64, u64),
    find: impl std::future::Future<Output = Result<V>>,
) -> Result<V> {
    match cache.get_value_or_guard_async(&key).await {
        Ok(found) => Ok(found),
        Err(guard) => {
            let found = find.await?;
            let _ = guard.insert(found.clone());
            Ok(found)
        }
    }
}

/// Whether every character of `trigram` is an ASCII letter or digit: PostgreSQL's
/// trigram indexes (`pg_trgm`) cut words at any other character, so only such a run
/// of three is looked up as the one trigram it is.
fn alphanumeric(trigram: &str) -> bool {
    trigram.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The positions of `trigrams` from the rarest in the sample (`having`, as
/// [`SearchSample::having`] gives it) to the most common; equally rare ones in
/// alphabetical order.
fn rarest_first(trigrams: &[String], having: &[u64]) -> Vec<usize> {
    let mut ranked: Vec<usize> = (0..trigrams.len()).collect();
    ranked.sort_by_key(|&n| (hits(having, 1 << n), &trigrams[n]));
    ranked
}

/// Whether the two rarest trigrams (the first two of `ranked`) may be counted together:
/// the sample rules out neither being in more than [`PAIRED_UP_TO`] times `cap`
/// resources (a count reads each one's postings), nor both being in more than `cap`.
fn pairable(sample: &SearchSample, having: &[u64], ranked: &[usize], cap: u64) -> bool {
    let [first, second] = [1u64 << ranked[0], 1u64 << ranked[1]];
    let past = |mask, bound| sample.surely_more_than(having, mask, bound);
    let each_bound = cap.saturating_mul(PAIRED_UP_TO);
    !past(first, each_bound) && !past(second, each_bound) && !past(first | second, cap)
}

/// Appends, for PostgreSQL, "the resource `alias`'s code or one of its titles contains
/// `trigram`" (a condition its trigram index answers).
pub(super) fn push_contains_trigram(sql: &mut Sql, alias: &str, trigram: &str) {
    sql.push(&format!("{} LIKE ", searched_text(alias, "")))
        .bind(Value::Text(format!("%{trigram}%")));
}

/// What a search looks in: the resource `alias`'s code and three titles, lower-cased,
/// joined by [`SEARCHED_SEPARATOR`], with `suffix` appended to the whole (`|| ''` keeps
/// an index from matching it). On PostgreSQL one trigram index is on exactly this
/// expression (migration 0009): each trigram of a term is read from one index, where
/// four (one per column) were read and joined, and a term's condition is planned as one
/// `LIKE`, not four.
pub(super) fn searched_text(alias: &str, suffix: &str) -> String {
    format!(
        "(lower({alias}.code || '{SEARCHED_SEPARATOR}' || COALESCE({alias}.title_source, '') \
         || '{SEARCHED_SEPARATOR}' || COALESCE({alias}.title_original, '') \
         || '{SEARCHED_SEPARATOR}' || COALESCE({alias}.title_translated, '')){suffix})"
    )
}

/// Joins the searched columns: a line feed, which no search term holds (a term with a
/// control character is refused, `search_term_problem`, and matches nothing in the
/// store), so a term never matches across two columns.
pub(super) const SEARCHED_SEPARATOR: char = '\n';

/// An FTS5 expression of rows that have every one of `trigrams`.
pub(super) fn all_of(trigrams: &[String]) -> String {
    trigrams
        .iter()
        .map(|trigram| fts_string(trigram))
        .collect::<Vec<_>>()
        .join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_is_cut_into_its_distinct_folded_trigrams() {
        assert_eq!(
            trigrams("SEED-0123"),
            ["see", "eed", "ed-", "d-0", "-01", "012", "123"]
        );
        assert_eq!(trigrams("aaaa"), ["aaa"]);
        assert_eq!(trigrams("ab"), Vec::<String>::new());
        assert_eq!(trigrams("夏の島 X"), ["夏の島", "の島 ", "島 x"]);
        // A letter whose lower case is two characters stays itself, as the index keeps
        // it: `i̇s` (i and a combining dot) would find nothing.
        assert_eq!(trigrams("İSTa"), ["İst", "sta"]);
    }

    #[test]
    fn trigrams_are_quoted_for_fts5() {
        assert_eq!(fts_string("a\"b"), "\"a\"\"b\"");
        assert_eq!(
            all_of(&["012".into(), "a\"b".into()]),
            "\"012\" AND \"a\"\"b\""
        );
    }

    #[test]
    fn postgres_looks_up_runs_of_letters_and_digits_alone() {
        assert!(alphanumeric("d12"));
        assert!(!alphanumeric("d-0") && !alphanumeric("g 1") && !alphanumeric("夏の島"));
    }
}
