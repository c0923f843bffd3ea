//! Where a list's search finds its matches: the trigram index's candidates when they are
//! few (the term's rarest trigrams, or on SQLite the phrase of all of them), rows
//! filtered along the sort's index when they are many or the library is small.

use super::list_filter::{SearchSource, searched_term};
use super::search_trigrams::{RareTrigrams, all_of, fts_string};
use super::{Backend, ResourceQuery, Result, Store};

impl Store {
    /// Where the query's search finds its matches. When one of the term's trigrams is
    /// in at most [`SEARCH_CANDIDATES_PER_PAGE`] resources, the rarest two find the
    /// candidates (`store::search_trigrams`), for counts and pages alike: there are
    /// few. Otherwise counts take the phrase of all the trigrams (the candidates stream
    /// from it, and a capped count stops early), and a page takes it only when at most
    /// that many resources match: it must sort all of them, while rows filtered along
    /// the sort's index yield a page after about `page size × library size / matches`
    /// rows, which is few for a common term. The phrase's candidates are counted (up to
    /// that limit) unless the filter's own matches, which the search's include, already
    /// exceed it. A page of a small library is read along the sort's index as soon as
    /// that reads fewer rows than the candidates' way reads ([`rows_read_fewer`]).
    pub(super) async fn search_source(
        &self,
        query: &ResourceQuery,
        read: Read,
    ) -> Result<SearchSource> {
        let Some(term) = searched_term(query) else {
            return Ok(SearchSource::Rows);
        };
        let phrase = fts_string(term);
        let limit = SEARCH_CANDIDATES_PER_PAGE;
        if let Read::Page { matches_at_least } = read
            && matches_at_least > limit
        {
            return Ok(SearchSource::Rows);
        }
        let rare = self.rare_trigrams(term, limit).await?;
        if let Read::Page { matches_at_least } = read
            && matches_at_least > 0
        {
            // The candidates' way reads every candidate, the matches at least.
            let candidates = rare
                .as_ref()
                .map_or(matches_at_least, |rare| rare.candidates)
                .max(matches_at_least);
            let library = self.sampled_library_size().await?;
            if rows_read_fewer(matches_at_least, candidates, rows_wanted(query), library) {
                return Ok(SearchSource::Rows);
            }
        }
        if let Some(rare) = rare {
            return Ok(self.trigrams_source(rare));
        }
        // PostgreSQL's planner picks its indexes for the rest.
        if self.backend == Backend::Postgres {
            return Ok(SearchSource::Rows);
        }
        if let Read::Count = read {
            return Ok(SearchSource::Index(phrase));
        }
        let candidates = self.phrase_candidates(phrase.clone(), limit).await?;
        Ok(if candidates <= limit {
            SearchSource::Index(phrase)
        } else {
            SearchSource::Rows
        })
    }

    /// The source of a count of `term`'s matches (up to `cap`) with the query's page in
    /// one statement: its rarest trigrams' candidates, or None when it has none rare, or
    /// when, in a small library, counting along the trigram index up to the cap and
    /// reading the page along the sort's index read fewer rows than those candidates
    /// ([`rows_count_fewer`]): a common word's candidates are all checked and held for
    /// the count and the page (2,800 of 10,000 resources for a title word, 130 ms a
    /// statement under load on PostgreSQL). Only for a search with no other filter: with
    /// one, fewer than the cap may match, and the count then reads every candidate
    /// anyway, once for both in the one statement.
    pub(super) async fn counted_source(
        &self,
        query: &ResourceQuery,
        term: &str,
        cap: u64,
    ) -> Result<Option<SearchSource>> {
        let Some(rare) = self.rare_trigrams(term, SEARCH_CANDIDATES_PER_PAGE).await? else {
            return Ok(None);
        };
        let library = self.sampled_library_size().await?;
        if searches_alone(query)
            && rows_count_fewer(rare.candidates, cap, rows_wanted(query), library)
        {
            return Ok(None);
        }
        Ok(Some(self.trigrams_source(rare)))
    }

    /// The source of the candidates that have every one of `rare`'s trigrams.
    fn trigrams_source(&self, rare: RareTrigrams) -> SearchSource {
        match self.backend {
            Backend::Sqlite => SearchSource::Index(all_of(&rare.trigrams)),
            Backend::Postgres => SearchSource::Trigrams(rare.trigrams),
        }
    }
}

/// Whether the query's filter is its search and nothing else (the video-time order,
/// which lists downloaded resources only, filters too).
fn searches_alone(query: &ResourceQuery) -> bool {
    let alone = ResourceQuery {
        search: query.search.clone(),
        ..ResourceQuery::default()
    };
    query.filter_only() == alone.filter_only()
}

/// The rows a page needs from the start of its order: those before it and one more
/// than the page (a page after a cursor counts as a first page).
fn rows_wanted(query: &ResourceQuery) -> u64 {
    let pages_before = if query.after.is_some() {
        0
    } else {
        u64::from(query.page.saturating_sub(1))
    };
    (pages_before + 1) * u64::from(query.page_size) + 1
}

/// Whether rows read along the sort's index, about `wanted × library / matches` of them
/// when the matches are spread, are fewer than the `candidates` the candidates' way
/// reads (each looked up and checked; the matches among them sorted), in a library of
/// at most [`SMALL_LIBRARY`] resources: matches bunched at the far end of the order, as
/// a code fragment's neighbouring codes are, then cost at most a read of that small
/// library. The candidates of a word may be many more than a filter's matches: at
/// 10,000 resources a title word's rarest trigrams were in 2,800 resources, 560 of them
/// downloaded, and its page in the order of the downloads read all 2,800 (9 ms on
/// PostgreSQL, 600 requests/s under load) where 180 rows along that order gave it.
fn rows_read_fewer(matches: u64, candidates: u64, wanted: u64, library: u64) -> bool {
    matches > 0
        && library <= SMALL_LIBRARY
        && wanted.saturating_mul(library) < matches.saturating_mul(candidates.max(matches))
}

/// Whether a count of at most `cap + 1` matches and a page read along the sort's index
/// (about `wanted × library / candidates` rows, the candidates standing for the
/// matches, as they do for a search with no other filter) read fewer rows than the
/// `candidates` of a term's rarest trigrams, in a
/// library of at most [`SMALL_LIBRARY`] resources (see [`rows_read_fewer`]).
fn rows_count_fewer(candidates: u64, cap: u64, wanted: u64, library: u64) -> bool {
    let along = wanted.saturating_mul(library) / candidates.max(1);
    library <= SMALL_LIBRARY
        && cap.saturating_add(1).min(candidates).saturating_add(along) < candidates
}

/// The largest library whose search pages may be read along the sort's index for their
/// matches' number alone (20,000 rows checked with `LIKE` take a few milliseconds).
const SMALL_LIBRARY: u64 = 20_000;

/// The most resources a search may match for a page to be read from the trigram index's
/// candidates (and sorted); past it, rows are filtered along the sort's index. At the
/// switch either way reads a few thousand rows, at a million resources.
const SEARCH_CANDIDATES_PER_PAGE: u64 = 5_000;

/// What a search's source is chosen for.
pub(super) enum Read {
    Count,
    /// A page of a filter known to have at least this many matches.
    Page {
        matches_at_least: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::super::{ResourceCursor, ResourceSort, SortKey};
    use super::*;

    #[test]
    fn rows_are_read_along_the_order_only_when_fewer_than_the_candidates() {
        // 10,000 resources, 1,700 matches and candidates: a page reads about 300 rows,
        // not 1,700.
        assert!(rows_read_fewer(1_700, 1_700, 51, 10_000));
        // 100,000: about 3,000 rows against 1,700 matches.
        assert!(!rows_read_fewer(1_700, 1_700, 51, 100_000));
        // A deep page reads more rows before it.
        assert!(!rows_read_fewer(1_700, 1_700, 20 * 50 + 1, 10_000));
        // 560 downloaded matches among 2,800 candidates: about 900 rows along the
        // order, against 2,800 candidates; against the matches alone, the candidates.
        assert!(rows_read_fewer(560, 2_800, 51, 10_000));
        assert!(!rows_read_fewer(560, 560, 51, 10_000));
        // Candidates are never fewer than the matches.
        assert!(rows_read_fewer(1_700, 0, 51, 10_000));
        // Nothing known of the matches: the candidates' way.
        assert!(!rows_read_fewer(0, 5_000, 51, 10));
        // Never past a small library, however many the matches.
        assert!(rows_read_fewer(4_000, 4_000, 51, SMALL_LIBRARY));
        assert!(!rows_read_fewer(4_000, 4_000, 51, SMALL_LIBRARY + 1));
    }

    #[test]
    fn a_common_word_is_counted_and_paged_along_the_indexes_in_a_small_library() {
        // 10,000 resources, 2,800 candidates: 1,001 counted and about 180 along the
        // order, against 2,800.
        assert!(rows_count_fewer(2_800, 1_000, 51, 10_000));
        // A rare term's few candidates: those.
        assert!(!rows_count_fewer(400, 1_000, 51, 10_000));
        assert!(!rows_count_fewer(0, 1_000, 51, 10_000));
        // A large library: the candidates, whatever their number.
        assert!(!rows_count_fewer(4_000, 1_000, 51, SMALL_LIBRARY + 1));
    }

    #[test]
    fn a_search_is_alone_without_other_filters_or_the_video_order() {
        let search = |query: ResourceQuery| ResourceQuery {
            search: Some("summer".into()),
            ..query
        };
        let default = ResourceQuery::default;
        assert!(searches_alone(&search(ResourceQuery {
            sort: ResourceSort::ReleaseDate,
            descending: true,
            page: 3,
            ..default()
        })));
        for other in [
            ResourceQuery {
                downloaded: Some(true),
                ..default()
            },
            ResourceQuery {
                source: Some("fixture-alpha".into()),
                ..default()
            },
            ResourceQuery {
                sort: ResourceSort::VideoTime,
                ..default()
            },
        ] {
            assert!(!searches_alone(&search(other.clone())), "{other:?}");
        }
    }

    #[test]
    fn a_page_wants_the_rows_before_it_and_one_more() {
        let query = |page, after| ResourceQuery {
            page,
            page_size: 50,
            after,
            ..ResourceQuery::default()
        };
        assert_eq!(rows_wanted(&query(1, None)), 51);
        assert_eq!(rows_wanted(&query(3, None)), 151);
        let cursor = ResourceCursor {
            key: SortKey::Int(1),
            id: 1,
        };
        assert_eq!(rows_wanted(&query(3, Some(cursor))), 51);
    }
}
