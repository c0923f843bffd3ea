//! The resource list: its filters and sorts, keyset and offset paging, and counts. Every
//! page reads one index range in the order asked for: the resources' own indexes, or,
//! with a person or tag filter, the link table's, which carries the sort keys (migration
//! 0006). A search reads the trigram index's candidates when they are few, and filters
//! rows along the sort's index when they are many (migration 0007). `EXPLAIN` tests keep
//! it that way on both backends (`store/tests/library_list.rs`).

use sqlx::Row;

use super::bind::Sql;
use super::list_plan::{
    Plan, SearchSource, matches_nothing, searched_term, undownloaded_by_difference,
};
use super::list_rows::page_row;
use super::search_trigrams::{all_of, fts_string};
use super::{
    Backend, Page, ResourceCursor, ResourcePage, ResourceQuery, ResourceSummary, Result, SortKey,
    Store, StoreError, SummaryJson,
};

impl Store {
    /// A page of resources with the number of matches (N-H1).
    pub(crate) async fn list_resources(
        &self,
        query: &ResourceQuery,
    ) -> Result<Page<ResourceSummary>> {
        let total = self.count_resources(query).await?;
        let page = self.resource_page(query, total).await?;
        Ok(Page {
            items: page
                .items
                .iter()
                .map(SummaryJson::summary)
                .collect::<Result<_>>()?,
            total,
            page: query.page,
            page_size: query.page_size,
        })
    }

    /// How many resources match the query's filters (its paging is ignored).
    pub(crate) async fn count_resources(&self, query: &ResourceQuery) -> Result<u64> {
        if matches_nothing(query) {
            return Ok(0);
        }
        let sql = match undownloaded_by_difference(self.backend, query) {
            Some(sql) => sql,
            None => Plan::new(query, self.search_source(query, Read::Count).await?).count_sql(None),
        };
        let count = sql.fetch_count(self.reader()).await?;
        Ok(count.max(0) as u64)
    }

    /// How many resources match the query's filters, counting at most `cap`: None when
    /// more match (a count that stops early reads at most `cap` index entries).
    pub(crate) async fn count_resources_up_to(
        &self,
        query: &ResourceQuery,
        cap: u64,
    ) -> Result<Option<u64>> {
        if matches_nothing(query) {
            return Ok(Some(0));
        }
        let source = self.search_source(query, Read::Count).await?;
        let sql = Plan::new(query, source).count_sql(Some(cap));
        let count = sql.fetch_count(self.reader()).await?.max(0) as u64;
        Ok((count <= cap).then_some(count))
    }

    /// One page of the query: after its cursor, or at its page number; with the cursor
    /// of the next page when more rows follow. `matches_at_least` is what the caller
    /// knows of the filter's matches (a total it counted, else 0): it only chooses how
    /// a search is read. The database hands the page over as one JSON value (a row per
    /// resource would cost a round of conversions and allocations per row and column).
    pub(crate) async fn resource_page(
        &self,
        query: &ResourceQuery,
        matches_at_least: u64,
    ) -> Result<ResourcePage> {
        if matches_nothing(query) {
            return Ok(ResourcePage {
                items: Vec::new(),
                next: None,
            });
        }
        let source = self
            .search_source(query, Read::Page { matches_at_least })
            .await?;
        let plan = Plan::new(query, source);
        let rows = match self.backend {
            Backend::Sqlite => {
                let sql = plan.page_json_sql(query)?;
                let text: Option<String> = sql
                    .query_on(self.backend)
                    .fetch_one(self.reader())
                    .await?
                    .try_get(0)?;
                json_rows(text.as_deref())?
            }
            Backend::Postgres => {
                let sql = plan.page_sql(query, self.backend)?;
                let rows = sql.query_on(self.backend).fetch_all(self.reader()).await?;
                rows.iter()
                    .map(|row| page_row(row, query.sort))
                    .collect::<Result<_>>()?
            }
        };
        Ok(page_of(query, rows))
    }

    /// The filter's matches counted up to `cap` (None when more match), and the query's
    /// page: in one statement, one round to the database where a count and then a page
    /// would take two, unless SQLite searches a term none of whose trigrams is rare.
    /// That term's count reads the trigram index while its page is read along the
    /// sort's index when the count is large, so those are a count and then a page
    /// (PostgreSQL's planner picks its indexes for both in one statement).
    pub(crate) async fn count_and_page(
        &self,
        query: &ResourceQuery,
        cap: u64,
    ) -> Result<(Option<u64>, ResourcePage)> {
        if matches_nothing(query) {
            let page = ResourcePage {
                items: Vec::new(),
                next: None,
            };
            return Ok((Some(0), page));
        }
        let source = match searched_term(query) {
            None => SearchSource::Rows,
            Some(term) => match self.rare_source(term).await? {
                Some(source) => source,
                None if self.backend == Backend::Postgres => SearchSource::Rows,
                None => {
                    let counted = self.count_resources_up_to(query, cap).await?;
                    let more = counted.unwrap_or(cap.saturating_add(1));
                    let page = self.resource_page(query, more).await?;
                    return Ok((counted, page));
                }
            },
        };
        let sql = self.count_and_page_sql(query, source, cap)?;
        let (counted, rows) = match self.backend {
            Backend::Sqlite => {
                let row = sql.query_on(self.backend).fetch_one(self.reader()).await?;
                let counted: i64 = row.try_get(0)?;
                let text: Option<String> = row.try_get(1)?;
                (counted, json_rows(text.as_deref())?)
            }
            Backend::Postgres => {
                let rows = sql.query_on(self.backend).fetch_all(self.reader()).await?;
                let counted = match rows.first() {
                    Some(row) => row.try_get::<i64, _>("counted")?,
                    None => 0,
                };
                let mut page = Vec::with_capacity(rows.len());
                for row in &rows {
                    if row.try_get::<Option<i64>, _>("id")?.is_some() {
                        page.push(page_row(row, query.sort)?);
                    }
                }
                (counted, page)
            }
        };
        let count = counted.max(0) as u64;
        Ok(((count <= cap).then_some(count), page_of(query, rows)))
    }

    /// The one statement of [`Self::count_and_page`]: on SQLite a row of the count and
    /// the page as JSON; on PostgreSQL the page's rows, each beside the count (one row
    /// with no page when none matches).
    fn count_and_page_sql(
        &self,
        query: &ResourceQuery,
        source: SearchSource,
        cap: u64,
    ) -> Result<Sql> {
        // A search's candidates are checked once, for the count and the page alike.
        let (mut sql, plan) = match source {
            SearchSource::Rows => (Sql::new(""), Plan::new(query, source)),
            SearchSource::Index(_) | SearchSource::Trigrams(_) => {
                let matched = Plan::new(query, source).matched_cte();
                (matched, Plan::over_matched(query))
            }
        };
        match self.backend {
            Backend::Sqlite => {
                sql.push("SELECT (");
                sql.append(&plan.count_sql(Some(cap)))
                    .push(") AS counted, (")
                    .append(&plan.page_json_sql(query)?)
                    .push(") AS page");
            }
            Backend::Postgres => {
                sql.push("SELECT counted.n AS counted, page_rows.* FROM (")
                    .append(&plan.count_sql(Some(cap)))
                    .push(") AS counted(n) LEFT JOIN (")
                    .append(&plan.page_sql(query, self.backend)?)
                    .push(") AS page_rows ON true");
            }
        }
        Ok(sql)
    }

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
    async fn search_source(&self, query: &ResourceQuery, read: Read) -> Result<SearchSource> {
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
    async fn rare_source(&self, term: &str) -> Result<Option<SearchSource>> {
        let rare = self.rare_trigrams(term, SEARCH_CANDIDATES_PER_PAGE).await?;
        Ok(rare.map(|rare| match self.backend {
            Backend::Sqlite => SearchSource::Index(all_of(&rare)),
            Backend::Postgres => SearchSource::Trigrams(rare),
        }))
    }

    /// The query plans of a list page and its count, as the backend prints them
    /// (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL), and of the statement
    /// that counts and pages a search from its rarest trigrams at once, when the query's
    /// term has them: for the plan tests.
    /// PostgreSQL plans with sequential scans and sorts switched off, so its plan
    /// answers "does an index serve this filter in this order" rather than "is a sort of
    /// a handful of rows cheaper here" (it rightly is, for a person with eight works).
    #[cfg(test)]
    pub(crate) async fn explain_list(
        &self,
        query: &ResourceQuery,
        matches_at_least: u64,
    ) -> Result<(String, String, Option<String>)> {
        self.explain_list_with(query, matches_at_least, &[]).await
    }

    /// [`Store::explain_list`] with more planner settings (`SET LOCAL ...`, PostgreSQL).
    #[cfg(test)]
    pub(crate) async fn explain_list_with(
        &self,
        query: &ResourceQuery,
        matches_at_least: u64,
        settings: &[&str],
    ) -> Result<(String, String, Option<String>)> {
        let combined = match searched_term(query) {
            Some(term) => match self.rare_source(term).await? {
                Some(source) => Some(self.count_and_page_sql(query, source, 10_000)?),
                None => None,
            },
            None => None,
        };
        let source = self
            .search_source(query, Read::Page { matches_at_least })
            .await?;
        let plan = Plan::new(query, source);
        let page = match self.backend {
            Backend::Sqlite => plan.page_json_sql(query)?,
            Backend::Postgres => plan.page_sql(query, self.backend)?,
        };
        let source = self.search_source(query, Read::Count).await?;
        let count = Plan::new(query, source).count_sql(Some(10_000));
        let mut tx = self.pool().begin().await?;
        let explain = match self.backend {
            super::Backend::Sqlite => "EXPLAIN QUERY PLAN ",
            super::Backend::Postgres => {
                let defaults = [
                    "SET LOCAL enable_seqscan = off",
                    "SET LOCAL enable_sort = off",
                ];
                for setting in defaults.iter().chain(settings) {
                    sqlx::query(sqlx::AssertSqlSafe(*setting))
                        .execute(&mut *tx)
                        .await?;
                }
                "EXPLAIN "
            }
        };
        let explained_combined = combined.is_some();
        let mut texts = Vec::new();
        for sql in [page, count].into_iter().chain(combined) {
            let rows = sql
                .with_text(format!("{explain}{}", sql.text))
                .query()
                .fetch_all(&mut *tx)
                .await?;
            let lines = rows
                .iter()
                .map(|row| match self.backend {
                    super::Backend::Sqlite => row.try_get::<String, _>("detail"),
                    super::Backend::Postgres => row.try_get::<String, _>(0),
                })
                .collect::<std::result::Result<Vec<_>, _>>()?;
            texts.push(lines.join("\n"));
        }
        tx.rollback().await?;
        let combined = explained_combined.then(|| texts.remove(2));
        Ok((texts.remove(0), texts.remove(0), combined))
    }
}

/// The rows of the JSON page query: `[summary, sort key, id]` each, in no order.
fn json_rows(text: Option<&str>) -> Result<Vec<(SummaryJson, SortKey, i64)>> {
    match text {
        None | Some("") => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text)
            .map_err(|error| StoreError::Corrupt(format!("a list page: {error}"))),
    }
}

/// The page of `rows` (a page and one more at most, in any order): in the query's
/// order, at most a page of them, and the cursor of the next page when another row
/// followed.
fn page_of(query: &ResourceQuery, mut rows: Vec<(SummaryJson, SortKey, i64)>) -> ResourcePage {
    // The rows come in any order (an aggregate ordering them would sort them again
    // in the database); the keys order them as the query did.
    rows.sort_unstable_by(|(_, a_key, a_id), (_, b_key, b_id)| {
        let order = a_key.cmp(b_key).then(a_id.cmp(b_id));
        if query.descending {
            order.reverse()
        } else {
            order
        }
    });
    let more = rows.len() > query.page_size as usize;
    let mut items = Vec::with_capacity(rows.len().min(query.page_size as usize));
    let mut next = None;
    for (item, key, id) in rows.into_iter().take(query.page_size as usize) {
        if more {
            next = Some(ResourceCursor { key, id });
        }
        items.push(item);
    }
    ResourcePage { items, next }
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
enum Read {
    Count,
    /// A page of a filter known to have at least this many matches.
    Page {
        matches_at_least: u64,
    },
}

#[cfg(test)]
mod tests {
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
