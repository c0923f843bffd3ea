//! The SQL of a list query: which index range it reads (`Plan`), counts and pages over
//! it (its WHERE clause is `list_filter`'s), and the summary columns a page reads.
//! `resource_list` decides which plan a request takes and runs it.

use super::bind::{Sql, Value};
use super::list_filter::{Filter, SearchSource, link_driven};
use super::{Backend, ResourceQuery, ResourceSort, Result, SortKey, StoreError};

/// The summary columns, read from the resource row `r`.
pub(super) const SUMMARY_COLUMNS: &str = "r.id AS id, r.code AS code, r.title_source AS title_source, \
     r.title_original AS title_original, r.title_translated AS title_translated, \
     r.translation_status AS translation_status, r.source_plugin AS source_plugin, \
     r.release_date AS release_date, r.duration_seconds AS duration_seconds, \
     CASE WHEN r.cover_file IS NULL THEN 0 ELSE 1 END AS has_cover, \
     CASE WHEN r.video_file IS NULL THEN 0 ELSE 1 END AS has_video, \
     r.video_size AS video_size, r.video_saved_at AS video_saved_at, \
     r.created_at AS created_at, r.updated_at AS updated_at";

/// The summary as SQLite's JSON object arguments (`'name', column, ...`), from the
/// columns of [`SUMMARY_COLUMNS`], the flags written as JSON booleans: the object is the
/// answer's as it stands (`SummaryJson`). PostgreSQL's rows are written in Rust
/// (`list_rows`).
const SQLITE_SUMMARY_JSON: &str = "'id', id, 'code', code, 'title_source', title_source, \
     'title_original', title_original, 'title_translated', title_translated, \
     'translation_status', translation_status, 'source_plugin', source_plugin, \
     'release_date', release_date, 'duration_seconds', duration_seconds, \
     'has_cover', json(CASE WHEN has_cover = 1 THEN 'true' ELSE 'false' END), \
     'has_video', json(CASE WHEN has_video = 1 THEN 'true' ELSE 'false' END), \
     'video_size', video_size, 'video_saved_at', video_saved_at, \
     'created_at', created_at, 'updated_at', updated_at";

/// On SQLite, the count of undownloaded matches as all matches less the downloaded ones,
/// in one statement (one snapshot), or None for another query. No index holds the
/// undownloaded resources (the planner would take one for pages and sort every match),
/// so they are counted row by row: for 800,000 of a million, 185 ms alone and 3.8 s
/// beside a load of list requests (1.2 s alone with a status), where both terms of the
/// difference are index counts (42 ms; 32 ms with a status). A search or a person's or
/// tag's links read their rows either way.
pub(super) fn undownloaded_by_difference(backend: Backend, query: &ResourceQuery) -> Option<Sql> {
    let counted = backend == Backend::Sqlite
        && query.downloaded == Some(false)
        && query.search.is_none()
        && !link_driven(query);
    if !counted {
        return None;
    }
    let with = |downloaded| {
        let query = ResourceQuery {
            downloaded,
            ..query.clone()
        };
        Plan::new(&query, SearchSource::Rows).count_sql(None)
    };
    let mut sql = Sql::new("SELECT (");
    sql.append(&with(None))
        .push(") - (")
        .append(&with(Some(true)))
        .push(")");
    Some(sql)
}

/// Which index range a query reads, and the WHERE clause over it.
pub(super) struct Plan {
    /// A link table driving the read (`resource_people` or `resource_tags` as `l`), or
    /// None for the resources' own indexes.
    link: Option<&'static str>,
    /// Whether the search's candidates come from the trigram index, which then drives
    /// the read (`resource_search` as `s`).
    search_index: bool,
    /// Whether the WHERE clause reads the resource row (a link-driven count needs no
    /// join otherwise).
    reads_resource: bool,
    filter: Sql,
    key: &'static str,
    id: &'static str,
    /// Whether the rows are those of a `matched` CTE ([`Plan::matched_cte`]), which
    /// passed every filter.
    matched: bool,
}

/// The resource columns the summary and the sort keys read: what a `matched` CTE holds.
/// Keep in step with [`SUMMARY_COLUMNS`] and [`sort_columns`], which read them from it
/// (a column missing here fails every search with rare trigrams).
const MATCHED_COLUMNS: &str = "r.id, r.code, r.title_source, r.title_original, \
     r.title_translated, r.translation_status, r.source_plugin, r.release_date, \
     r.duration_seconds, r.cover_file, r.video_file, r.video_size, r.video_saved_at, \
     r.created_at, r.updated_at";

impl Plan {
    /// The plan of `query`, its search's matches taken from `source`.
    pub(super) fn new(query: &ResourceQuery, source: SearchSource) -> Self {
        let Filter {
            sql: filter,
            link,
            search_index,
            reads_resource,
        } = Filter::new(query, source);
        let (key, id) = sort_columns(link.is_some(), query.sort);
        Self {
            link,
            search_index,
            reads_resource,
            filter,
            key,
            id,
            matched: false,
        }
    }

    /// `WITH matched AS MATERIALIZED (…)`: the plan's rows, for a statement that reads
    /// them more than once.
    pub(super) fn matched_cte(&self) -> Sql {
        self.filter.with_text(format!(
            "WITH matched AS MATERIALIZED (SELECT {MATCHED_COLUMNS} FROM {}{}) ",
            self.from(),
            self.filter.text
        ))
    }

    /// The plan over the rows of [`Plan::matched_cte`] (as `r`), in the query's order.
    pub(super) fn over_matched(query: &ResourceQuery) -> Self {
        let (key, id) = sort_columns(false, query.sort);
        Self {
            link: None,
            search_index: false,
            reads_resource: false,
            filter: Sql::new(" WHERE 1 = 1"),
            key,
            id,
            matched: true,
        }
    }

    /// [`Plan::page_sql`] folded by SQLite into one JSON array of `[summary, sort key, id]`,
    /// in no particular order.
    pub(super) fn page_json_sql(&self, query: &ResourceQuery) -> Result<Sql> {
        let rows = self.page_sql(query, Backend::Sqlite)?;
        let text = format!(
            "SELECT json_group_array(json_array(json_object({SQLITE_SUMMARY_JSON}), sort_key, id)) \
             FROM ({}) AS page_rows",
            rows.text
        );
        Ok(rows.with_text(text))
    }

    /// The FROM clause of a page.
    fn from(&self) -> String {
        if self.matched {
            return "matched r".to_owned();
        }
        match self.link {
            Some(link) => format!("{link} l JOIN resources r ON r.id = l.resource_id"),
            // CROSS JOIN keeps the candidates in the outer loop, streaming in rowid
            // order: a capped count stops after its cap. NOT INDEXED leaves each
            // candidate's row to its rowid: the planner would otherwise walk a partial
            // index (the downloaded resources') for every candidate.
            None if self.search_index => {
                "resource_search s CROSS JOIN resources r NOT INDEXED ON r.id = s.rowid".to_owned()
            }
            None => "resources r".to_owned(),
        }
    }

    /// The count of the filter's matches; with `cap`, counting stops past it (the answer
    /// is then `cap + 1`).
    pub(super) fn count_sql(&self, cap: Option<u64>) -> Sql {
        let Some(cap) = cap else {
            return self
                .filter
                .with_head(&format!("SELECT COUNT(*) FROM {}", self.count_from()));
        };
        let mut sql = self.filter.with_head(&format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {}",
            self.count_from()
        ));
        sql.limit(cap.saturating_add(1)).push(") AS capped");
        sql
    }

    /// The FROM clause of a count: the link table alone when no filter reads the row.
    fn count_from(&self) -> String {
        match self.link {
            Some(link) if !self.reads_resource => format!("{link} l"),
            _ => self.from(),
        }
    }

    /// The filter's rows with their summary columns and sort key, unordered.
    fn rows_sql(&self) -> Sql {
        self.filter.with_text(format!(
            "SELECT {SUMMARY_COLUMNS}, {} AS sort_key FROM {}{}",
            self.key,
            self.from(),
            self.filter.text
        ))
    }

    /// The SELECT of one page: keyset after the cursor, else offset by page number; one
    /// row more than the page, to know whether another follows.
    pub(super) fn page_sql(&self, query: &ResourceQuery, backend: Backend) -> Result<Sql> {
        let mut sql = self.rows_sql();
        let after = if query.descending { "<" } else { ">" };
        if let Some(cursor) = &query.after {
            if !cursor.fits(query.sort) {
                return Err(StoreError::Conflict(
                    "the cursor belongs to another sort".to_owned(),
                ));
            }
            let key = match &cursor.key {
                SortKey::Text(text) => Value::Text(text.clone()),
                SortKey::Int(int) => Value::Int(*int),
            };
            if query.sort != ResourceSort::Code && backend == Backend::Sqlite {
                return Ok(self.page_after_sql(query, key, cursor.id));
            }
            // Codes are unique, so the code alone orders; the other keys are paired with
            // the id as a row value, which PostgreSQL reads as one index range.
            if query.sort == ResourceSort::Code {
                sql.push(&format!(" AND {} {after} ", self.key)).bind(key);
            } else {
                sql.push(&format!(" AND ({}, {}) {after} (", self.key, self.id))
                    .bind(key)
                    .push(", ")
                    .bind(Value::Int(cursor.id))
                    .push(")");
            }
        }
        sql.push(&format!(" ORDER BY {}", order_by(query, self.key, self.id)));
        sql.limit(u64::from(query.page_size) + 1);
        if query.after.is_none() && query.page > 1 {
            sql.push(" OFFSET ").bind(Value::Int(
                i64::from(query.page - 1) * i64::from(query.page_size),
            ));
        }
        Ok(sql)
    }

    /// A page after a cursor `(key, id)` on SQLite, read as two index ranges: the rows
    /// tied on the cursor's key after its id, then the rows after its key. SQLite reads a
    /// row value `(key, id) < (?, ?)` as a range on the key alone (on an expression such
    /// as the release key, not even that), so a page deep among many equal keys (an
    /// import writes thousands with one `created_at`) would step over every tie before
    /// it. Each range gives at most a page and one more row; the caller orders the union
    /// and keeps what the page needs.
    fn page_after_sql(&self, query: &ResourceQuery, key: Value, id: i64) -> Sql {
        let (after, direction) = if query.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let rows = u64::from(query.page_size) + 1;
        let mut tied = self.rows_sql();
        tied.push(&format!(" AND {} = ", self.key))
            .bind(key.clone())
            .push(&format!(" AND {} {after} ", self.id))
            .bind(Value::Int(id))
            .push(&format!(" ORDER BY {} {direction}", self.id))
            .limit(rows);
        let mut later = self.rows_sql();
        later
            .push(&format!(" AND {} {after} ", self.key))
            .bind(key)
            .push(&format!(" ORDER BY {}", order_by(query, self.key, self.id)))
            .limit(rows);
        let mut sql = Sql::new("SELECT * FROM (");
        sql.append(&tied)
            .push(") AS page_rows_tied UNION ALL SELECT * FROM (")
            .append(&later)
            .push(") AS page_rows_later");
        sql
    }
}

/// The sort key and the id a page is ordered by: the resource's columns, or the copies
/// on a person's or tag's links (`linked`).
fn sort_columns(linked: bool, sort: ResourceSort) -> (&'static str, &'static str) {
    match (linked, sort) {
        (false, ResourceSort::Code) => ("r.code", "r.id"),
        (false, ResourceSort::ReleaseDate) => ("COALESCE(r.release_date, '')", "r.id"),
        (false, ResourceSort::AddedAt) => ("r.created_at", "r.id"),
        (false, ResourceSort::VideoTime) => ("r.video_saved_at", "r.id"),
        (true, ResourceSort::Code) => ("l.code", "l.resource_id"),
        (true, ResourceSort::ReleaseDate) => ("l.release_key", "l.resource_id"),
        (true, ResourceSort::AddedAt) => ("l.created_at", "l.resource_id"),
        (true, ResourceSort::VideoTime) => ("l.video_saved_at", "l.resource_id"),
    }
}

/// The query's order over `key` and `id`: codes are unique, so the code alone orders;
/// other keys are tied by the id, in the same direction.
fn order_by(query: &ResourceQuery, key: &str, id: &str) -> String {
    let direction = if query.descending { "DESC" } else { "ASC" };
    if query.sort == ResourceSort::Code {
        format!("{key} {direction}")
    } else {
        format!("{key} {direction}, {id} {direction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every statement of a contradictory query is constant false: SQLite would
    /// otherwise walk every downloaded resource's row to find that none matches (seconds
    /// at a million resources).
    #[test]
    fn a_contradiction_is_false_in_every_statement() {
        for downloaded in [None, Some(false), Some(true)] {
            for sort in [ResourceSort::VideoTime, ResourceSort::Code] {
                let query = ResourceQuery {
                    downloaded,
                    sort,
                    ..ResourceQuery::default()
                };
                let plan = Plan::new(&query, SearchSource::Rows);
                let texts = [
                    plan.count_sql(None).text,
                    plan.count_sql(Some(10)).text,
                    plan.page_sql(&query, Backend::Postgres).expect("page").text,
                    plan.page_json_sql(&query).expect("page").text,
                ];
                let contradicts = sort == ResourceSort::VideoTime && downloaded == Some(false);
                for text in texts {
                    assert_eq!(text.contains(" WHERE 1 = 0"), contradicts, "{text}");
                    assert_eq!(text.contains(" WHERE 1 = 1"), !contradicts, "{text}");
                }
            }
        }
    }
}
