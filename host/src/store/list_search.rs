//! Where a list's search finds its matches: the trigram index's candidates when they are
//! few (the term's rarest trigrams, or on SQLite the phrase of all of them), rows
//! filtered along the sort's index when they are many or the library is small.

use super::list_filter::{SearchSource, searched_term};
use super::search_trigrams::{all_of, fts_string};
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
    /// that reads fewer rows than there are matches to sort ([`rows_read_fewer`]).
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
        if let Read::Page { matches_at_least } = read {
            if matches_at_least > limit {
                return Ok(SearchSource::Rows);
            }
            if matches_at_least > 0 {
                let library = self.sampled_library_size().await?;
                if rows_read_fewer(matches_at_least, rows_wanted(query), library) {
                    return Ok(SearchSource::Rows);
                }
            }
        }
        if let Some(source) = self.rare_source(term).await? {
            return Ok(source);
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

    /// The candidates of `term` by its two rarest trigrams, when one of them is in at
    /// most [`SEARCH_CANDIDATES_PER_PAGE`] resources: a source for its count and its
    /// pages alike.
    pub(super) async fn rare_source(&self, term: &str) -> Result<Option<SearchSource>> {
        let rare = self.rare_trigrams(term, SEARCH_CANDIDATES_PER_PAGE).await?;
        Ok(rare.map(|rare| match self.backend {
            Backend::Sqlite => SearchSource::Index(all_of(&rare)),
            Backend::Postgres => SearchSource::Trigrams(rare),
        }))
    }
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
/// when the matches are spread, are fewer than the `matches` the candidates' way sorts,
/// in a library of at most [`SMALL_LIBRARY`] resources: matches bunched at the far end
/// of the order, as a code fragment's neighbouring codes are, then cost at most a read
/// of that small library.
fn rows_read_fewer(matches: u64, wanted: u64, library: u64) -> bool {
    matches > 0
        && library <= SMALL_LIBRARY
        && wanted.saturating_mul(library) < matches.saturating_mul(matches)
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
    use super::super::{ResourceCursor, SortKey};
    use super::*;

    #[test]
    fn rows_are_read_along_the_order_only_when_fewer_than_the_matches() {
        // 10,000 resources, 1,700 matches: a page reads about 300 rows, not 1,700.
        assert!(rows_read_fewer(1_700, 51, 10_000));
        // 100,000: about 3,000 rows against 1,700 matches.
        assert!(!rows_read_fewer(1_700, 51, 100_000));
        // A deep page reads more rows before it.
        assert!(!rows_read_fewer(1_700, 20 * 50 + 1, 10_000));
        // Nothing known of the matches: the candidates' way.
        assert!(!rows_read_fewer(0, 51, 10));
        // Never past a small library, however many the matches.
        assert!(rows_read_fewer(4_000, 51, SMALL_LIBRARY));
        assert!(!rows_read_fewer(4_000, 51, SMALL_LIBRARY + 1));
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
