//! The resource list: its filters and sorts, keyset and offset paging, and counts. Every
//! page reads one index range in the order asked for: the resources' own indexes, or,
//! with a person or tag filter, the link table's, which carries the sort keys (migration
//! 0006). A search reads the trigram index's candidates when they are few, and filters
//! rows along the sort's index when they are many (migration 0007). `EXPLAIN` tests keep
//! it that way on both backends (`store/tests/library_list.rs`). Which source a search
//! takes is `list_search`'s; the statements are `list_plan`'s, over `list_filter`'s WHERE
//! clause.

use sqlx::Row;

use super::bind::Sql;
use super::list_filter::{SearchSource, matches_nothing, searched_term};
use super::list_plan::{Plan, undownloaded_by_difference};
use super::list_rows::page_row;
use super::list_search::Read;
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
    /// would take two, unless SQLite searches a term whose candidates are not read
    /// whole ([`Store::counted_source`]: none of its trigrams is rare, or a common
    /// word's in a small library). That term's count reads the trigram index while its
    /// page is read along the sort's index when the count is large, so those are a
    /// count and then a page (PostgreSQL's planner picks its indexes for both in one
    /// statement).
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
            Some(term) => match self.counted_source(query, term, cap).await? {
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
    pub(super) fn count_and_page_sql(
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
