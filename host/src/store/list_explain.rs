//! The query plans of a list's statements, as the backend prints them, for the plan
//! tests (`store/tests/library_list.rs`), which fail when a filter or a sort falls back
//! to a scan.

use sqlx::Row;

use super::list_filter::searched_term;
use super::list_plan::Plan;
use super::list_search::Read;
use super::{Backend, ResourceQuery, Result, Store};

impl Store {
    /// The query plans of a list page and its count, as the backend prints them
    /// (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL), and of the statement
    /// that counts and pages a search from its rarest trigrams at once, when the query's
    /// term has them: for the plan tests.
    /// PostgreSQL plans with sequential scans and sorts switched off, so its plan
    /// answers "does an index serve this filter in this order" rather than "is a sort of
    /// a handful of rows cheaper here" (it rightly is, for a person with eight works).
    pub(crate) async fn explain_list(
        &self,
        query: &ResourceQuery,
        matches_at_least: u64,
    ) -> Result<(String, String, Option<String>)> {
        self.explain_list_with(query, matches_at_least, &[]).await
    }

    /// [`Store::explain_list`] with more planner settings (`SET LOCAL ...`, PostgreSQL).
    pub(crate) async fn explain_list_with(
        &self,
        query: &ResourceQuery,
        matches_at_least: u64,
        settings: &[&str],
    ) -> Result<(String, String, Option<String>)> {
        let combined = match searched_term(query) {
            Some(term) => match self.counted_source(query, term, 10_000).await? {
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
            Backend::Sqlite => "EXPLAIN QUERY PLAN ",
            Backend::Postgres => {
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
                    Backend::Sqlite => row.try_get::<String, _>("detail"),
                    Backend::Postgres => row.try_get::<String, _>(0),
                })
                .collect::<std::result::Result<Vec<_>, _>>()?;
            texts.push(lines.join("\n"));
        }
        tx.rollback().await?;
        let combined = explained_combined.then(|| texts.remove(2));
        Ok((texts.remove(0), texts.remove(0), combined))
    }
}
