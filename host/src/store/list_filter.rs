//! The WHERE clause of a list query: its filters, the source of its search's matches,
//! and the link table (a person's or a tag's) that drives the read when one is given.
//! `list_plan` puts it over an index range and builds the statements.

use super::bind::{Sql, Value, contains_pattern};
use super::search_trigrams::{SEARCHED_SEPARATOR, push_contains_trigram, searched_text};
use super::{ResourceQuery, ResourceSort};

/// Whether the filters contradict each other: the video-time sort lists downloaded
/// resources only, so with `downloaded=false` nothing matches (and a query would read
/// every downloaded resource to find that out).
pub(super) fn matches_nothing(query: &ResourceQuery) -> bool {
    query.sort == ResourceSort::VideoTime && query.downloaded == Some(false)
}

/// Whether a person's or a tag's links drive the read.
pub(super) fn link_driven(query: &ResourceQuery) -> bool {
    query.person_id.is_some() || query.tag_id.is_some()
}

/// Where a search's matches come from.
pub(super) enum SearchSource {
    /// Each row read along the sort's index is checked with `LIKE` (on PostgreSQL, its
    /// planner may take the trigram index instead).
    Rows,
    /// SQLite's trigram index (`resource_search`) hands over the candidates for this
    /// FTS5 expression (the term's phrase, or its rarest trigrams), and each is checked
    /// with `LIKE` as well, so both sources give the same rows.
    Index(String),
    /// PostgreSQL reads the candidates that have these trigrams (the term's rarest)
    /// from its trigram index, fenced off so that the planner reads the term's more
    /// common trigrams from no index; each is checked with `LIKE` as well.
    Trigrams(Vec<String>),
}

/// The term a search reads the trigram index for: None without a search, for a term
/// too short to have a trigram, and for a search beside a person or a tag, whose links
/// drive the read.
pub(super) fn searched_term(query: &ResourceQuery) -> Option<&str> {
    let term = query.search.as_deref().map(str::trim)?;
    (!link_driven(query) && term.chars().count() >= 3).then_some(term)
}

/// The WHERE clause of a query and what it reads.
pub(super) struct Filter {
    /// ` WHERE …`, with its values bound.
    pub(super) sql: Sql,
    /// A link table driving the read (`resource_people` or `resource_tags`, as `l`), or
    /// None for the resources' own indexes.
    pub(super) link: Option<&'static str>,
    /// Whether the search's candidates come from the trigram index, which then drives
    /// the read (`resource_search` as `s`).
    pub(super) search_index: bool,
    /// Whether the clause reads the resource row (a link-driven count needs no join
    /// otherwise).
    pub(super) reads_resource: bool,
}

impl Filter {
    /// The WHERE clause of `query` with its search's matches taken from `source`.
    pub(super) fn new(query: &ResourceQuery, source: SearchSource) -> Self {
        // A contradiction is answered before any statement; should one run all the
        // same, the constant false ends it before its first row, where the columns'
        // conditions alone would walk every downloaded resource's row.
        let mut filter = Sql::new(if matches_nothing(query) {
            " WHERE 1 = 0"
        } else {
            " WHERE 1 = 1"
        });
        let search = query.search.as_deref().filter(|s| !s.trim().is_empty());
        let mut term_checked = false;
        let search_index = match source {
            SearchSource::Index(phrase) if !link_driven(query) => {
                filter
                    .push(" AND s.resource_search MATCH ")
                    .bind(Value::Text(phrase));
                true
            }
            SearchSource::Trigrams(trigrams) if !link_driven(query) => {
                // OFFSET 0 keeps the subquery whole: the planner neither merges it
                // with the LIKE below nor walks a sort index to probe it.
                filter.push(" AND r.id IN (SELECT c.id FROM resources c WHERE ");
                for (n, trigram) in trigrams.iter().enumerate() {
                    if n > 0 {
                        filter.push(" AND ");
                    }
                    push_contains_trigram(&mut filter, "c", trigram);
                }
                // Each candidate is checked against the whole term in the subquery, so
                // the planner estimates few and reads the resources by id after it;
                // the check is written so that no index matches it (`|| ''`): the
                // planner looked the term up in the trigram indexes too, through the
                // postings of its common trigrams (`see` of `SEED-`: 12 ms of a 16 ms
                // statement at a million resources). Checked on the resource row, its
                // estimate of one row made the planner run the subquery again for
                // each downloaded resource (8 s at 10,000 resources).
                if let Some(search) = search {
                    filter.push(" AND ");
                    push_term_check(&mut filter, "c", search, " || ''");
                    term_checked = true;
                }
                filter.push(" OFFSET 0)");
                false
            }
            _ => false,
        };
        let mut reads_resource = false;
        // A person has fewer works than a tag has: the person's links drive when both
        // are given, and the tag is checked per row through the link's primary key.
        let link = if let Some(person) = query.person_id {
            filter.push(" AND l.person_id = ").bind(Value::Int(person));
            if let Some(tag) = query.tag_id {
                filter
                    .push(
                        " AND EXISTS (SELECT 1 FROM resource_tags t \
                         WHERE t.resource_id = l.resource_id AND t.tag_id = ",
                    )
                    .bind(Value::Int(tag))
                    .push(")");
            }
            Some("resource_people")
        } else if let Some(tag) = query.tag_id {
            filter.push(" AND l.tag_id = ").bind(Value::Int(tag));
            Some("resource_tags")
        } else {
            None
        };
        let linked = link.is_some();
        if let Some(search) = search {
            reads_resource = true;
            if !term_checked {
                filter.push(" AND ");
                push_term_check(&mut filter, "r", search, "");
            }
        }
        match query.downloaded {
            Some(true) if linked => {
                filter.push(" AND l.video_saved_at IS NOT NULL");
            }
            Some(true) => {
                filter.push(" AND r.video_file IS NOT NULL");
            }
            Some(false) if linked => {
                filter.push(" AND l.video_saved_at IS NULL");
            }
            Some(false) => {
                filter.push(" AND r.video_file IS NULL");
            }
            None => {}
        }
        // The video sort lists downloaded resources only; the condition is spelled as
        // the partial indexes' predicate so the planner can use them.
        if query.sort == ResourceSort::VideoTime && query.downloaded != Some(true) {
            filter.push(if linked {
                " AND l.video_saved_at IS NOT NULL"
            } else {
                " AND r.video_file IS NOT NULL"
            });
        }
        if let Some(status) = query.translation_status {
            reads_resource |= linked;
            filter
                .push(" AND r.translation_status = ")
                .bind(Value::Text(status.as_str().to_owned()));
        }
        if let Some(source) = &query.source {
            reads_resource |= linked;
            filter
                .push(" AND r.source_plugin = ")
                .bind(Value::Text(source.clone()));
        }
        Self {
            sql: filter,
            link,
            search_index,
            reads_resource,
        }
    }
}

/// Appends "the code or one of the titles of the resource `alias` contains `search`"
/// (`suffix`: see [`searched_text`]). A term holding the columns' separator matches
/// nothing, as it would if they were checked one by one.
fn push_term_check(filter: &mut Sql, alias: &str, search: &str, suffix: &str) {
    if search.trim().contains(SEARCHED_SEPARATOR) {
        filter.push("1 = 0");
        return;
    }
    filter
        .push(&format!("{} LIKE ", searched_text(alias, suffix)))
        .bind(Value::Text(contains_pattern(search)))
        .push(" ESCAPE '\\'");
}
