//! The resource list at scale: keyset and offset pages against an oracle computed in
//! Rust from the raw rows, for every filter and sort, after the writes that move sort
//! keys; the query plans of every filter and sort; the library generation.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use sqlx::Row;

use super::*;
use crate::store::list_filter::matches_nothing;

/// A resource as the oracle sees it, read straight from the tables.
#[derive(Debug, Clone)]
struct Raw {
    id: i64,
    code: String,
    release_date: Option<String>,
    created_at: i64,
    video_saved_at: Option<i64>,
    status: String,
    source: Option<String>,
    titles: Vec<String>,
    people: BTreeSet<i64>,
    tags: BTreeSet<i64>,
}

async fn raw_rows(store: &Store) -> Vec<Raw> {
    let mut rows: Vec<Raw> = sqlx::query(
        "SELECT id, code, release_date, created_at, video_saved_at, translation_status, \
         source_plugin, title_source, title_original, title_translated FROM resources",
    )
    .fetch_all(store.pool())
    .await
    .expect("resources")
    .iter()
    .map(|row| Raw {
        id: row.get("id"),
        code: row.get("code"),
        release_date: row.get("release_date"),
        created_at: row.get("created_at"),
        video_saved_at: row.get("video_saved_at"),
        status: row.get("translation_status"),
        source: row.get("source_plugin"),
        titles: ["title_source", "title_original", "title_translated"]
            .iter()
            .filter_map(|column| row.get::<Option<String>, _>(*column))
            .collect(),
        people: BTreeSet::new(),
        tags: BTreeSet::new(),
    })
    .collect();
    let at: HashMap<i64, usize> = rows.iter().enumerate().map(|(n, r)| (r.id, n)).collect();
    for (table, column) in [
        ("resource_people", "person_id"),
        ("resource_tags", "tag_id"),
    ] {
        let links: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT resource_id, {column} FROM {table}"
        )))
        .fetch_all(store.pool())
        .await
        .expect("links");
        for (resource, other) in links {
            let row = &mut rows[at[&resource]];
            if table == "resource_people" {
                row.people.insert(other);
            } else {
                row.tags.insert(other);
            }
        }
    }
    rows
}

/// The codes the query should list, in order, over all pages.
fn oracle(rows: &[Raw], query: &ResourceQuery) -> Vec<String> {
    let needle = query
        .search
        .as_deref()
        .map(|s| s.trim().to_ascii_lowercase());
    let mut matching: Vec<&Raw> = rows
        .iter()
        .filter(|r| {
            needle.as_deref().is_none_or(|needle| {
                std::iter::once(&r.code)
                    .chain(&r.titles)
                    .any(|text| text.to_ascii_lowercase().contains(needle))
            })
        })
        .filter(|r| match query.downloaded {
            Some(wanted) => r.video_saved_at.is_some() == wanted,
            None => true,
        })
        .filter(|r| query.sort != ResourceSort::VideoTime || r.video_saved_at.is_some())
        .filter(|r| {
            query
                .translation_status
                .is_none_or(|status| r.status == status.as_str())
        })
        .filter(|r| query.person_id.is_none_or(|p| r.people.contains(&p)))
        .filter(|r| query.tag_id.is_none_or(|t| r.tags.contains(&t)))
        .filter(|r| {
            query
                .source
                .as_deref()
                .is_none_or(|s| r.source.as_deref() == Some(s))
        })
        .collect();
    matching.sort_by(|a, b| {
        let order = match query.sort {
            ResourceSort::Code => a.code.cmp(&b.code),
            ResourceSort::ReleaseDate => a
                .release_date
                .as_deref()
                .unwrap_or("")
                .cmp(b.release_date.as_deref().unwrap_or(""))
                .then(a.id.cmp(&b.id)),
            ResourceSort::AddedAt => a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)),
            ResourceSort::VideoTime => a
                .video_saved_at
                .cmp(&b.video_saved_at)
                .then(a.id.cmp(&b.id)),
        };
        if query.descending {
            order.reverse()
        } else {
            order
        }
    });
    matching.into_iter().map(|r| r.code.clone()).collect()
}

/// Every page of the query by cursor, telling the store the filter has at least
/// `matches_at_least` matches; the number of pages.
async fn walk(store: &Store, query: &ResourceQuery, matches_at_least: u64) -> (Vec<String>, usize) {
    let mut codes = Vec::new();
    let mut query = query.clone();
    for pages in 1..=1000 {
        let page = store
            .resource_page(&query, matches_at_least)
            .await
            .expect("page");
        assert!(page.items.len() <= query.page_size as usize);
        for item in &page.items {
            // The row's JSON, which the list answer passes on, is the summary as it
            // serializes: the same fields, flags as booleans.
            let summary = item.summary().expect("a summary");
            let written: serde_json::Value = serde_json::from_str(item.json()).expect("json");
            assert_eq!(
                written,
                serde_json::to_value(&summary).expect("serializes"),
                "{query:?}"
            );
            codes.push(summary.code);
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return (codes, pages),
        }
    }
    panic!("more than 1000 pages: the cursor does not move on");
}

/// The codes of a page's rows, in order.
fn codes_of(page: &ResourcePage) -> Vec<String> {
    page.items
        .iter()
        .map(|row| row.summary().expect("a summary").code)
        .collect()
}

/// The person with the most works, and the tag with the fewest.
async fn busy_person_and_rare_tag(store: &Store) -> (i64, i64) {
    let person: i64 = sqlx::query_scalar(
        "SELECT person_id FROM resource_people GROUP BY person_id \
         ORDER BY COUNT(*) DESC, person_id LIMIT 1",
    )
    .fetch_one(store.pool())
    .await
    .expect("person");
    let tag: i64 = sqlx::query_scalar(
        "SELECT tag_id FROM resource_tags GROUP BY tag_id ORDER BY COUNT(*), tag_id LIMIT 1",
    )
    .fetch_one(store.pool())
    .await
    .expect("tag");
    (person, tag)
}

/// Each filter alone and two together, with `sort` and `descending`.
fn queries(person: i64, tag: i64, sort: ResourceSort, descending: bool) -> Vec<ResourceQuery> {
    let base = ResourceQuery {
        sort,
        descending,
        page_size: 7,
        ..ResourceQuery::default()
    };
    vec![
        base.clone(),
        ResourceQuery {
            search: Some("SUMMER".into()),
            ..base.clone()
        },
        // Too short for a trigram; across a title's words; in the Japanese titles; a
        // code; the retitled resource; characters FTS5 and LIKE treat specially.
        ResourceQuery {
            search: Some("ar".into()),
            ..base.clone()
        },
        ResourceQuery {
            search: Some("ning 1".into()),
            translation_status: Some(TranslationStatus::Failed),
            ..base.clone()
        },
        ResourceQuery {
            search: Some("のisl".into()),
            ..base.clone()
        },
        ResourceQuery {
            search: Some(" seed-00012".into()),
            ..base.clone()
        },
        ResourceQuery {
            search: Some("zebra".into()),
            ..base.clone()
        },
        ResourceQuery {
            search: Some("\"a%_\\* OR b".into()),
            ..base.clone()
        },
        ResourceQuery {
            translation_status: Some(TranslationStatus::Completed),
            ..base.clone()
        },
        ResourceQuery {
            downloaded: Some(true),
            ..base.clone()
        },
        ResourceQuery {
            downloaded: Some(false),
            ..base.clone()
        },
        // Counted on SQLite as all matches less the downloaded ones.
        ResourceQuery {
            downloaded: Some(false),
            translation_status: Some(TranslationStatus::Completed),
            ..base.clone()
        },
        ResourceQuery {
            downloaded: Some(false),
            source: Some("fixture-beta".into()),
            ..base.clone()
        },
        ResourceQuery {
            person_id: Some(person),
            ..base.clone()
        },
        ResourceQuery {
            tag_id: Some(tag),
            ..base.clone()
        },
        ResourceQuery {
            tag_id: Some(tag),
            translation_status: Some(TranslationStatus::Completed),
            ..base.clone()
        },
        ResourceQuery {
            person_id: Some(person),
            tag_id: Some(tag),
            ..base.clone()
        },
        ResourceQuery {
            source: Some("fixture-beta".into()),
            ..base
        },
    ]
}

const SORTS: [ResourceSort; 4] = [
    ResourceSort::Code,
    ResourceSort::ReleaseDate,
    ResourceSort::AddedAt,
    ResourceSort::VideoTime,
];

#[tokio::test]
async fn keyset_and_offset_pages_list_what_the_rows_say_for_every_filter_and_sort() {
    let stores = stores().await;
    for store in &stores.stores {
        let backend = store.backend();
        crate::library::seed(store, 1, 400, 2, |_, _| {})
            .await
            .expect("seed");
        // Writes that move sort keys after the links were written: the links follow.
        let (person, tag) = busy_person_and_rare_tag(store).await;
        store
            .set_video("SEED-000001", "resource/video/SEED-000001.mp4", 1)
            .await
            .expect("video");
        store.clear_video("SEED-000005").await.expect("no video");
        sqlx::query("UPDATE resources SET cover_file = 'cover.jpg' WHERE id % 3 = 0")
            .execute(store.pool())
            .await
            .expect("covers");
        let mut moved = crate::library::seed_write_for_tests(7);
        moved.release_date = Some("1999-12-31".into());
        moved.tags.push("Drama".into());
        store.upsert_resource(&moved).await.expect("moved");
        let renamed: i64 =
            sqlx::query_scalar("SELECT id FROM resources WHERE code = 'SEED-000010'")
                .fetch_one(store.pool())
                .await
                .expect("id");
        let files = store.resource_files(renamed).await.expect("files");
        store
            .rename_code(renamed, "AAA-001", &files)
            .await
            .expect("rename");
        // A new title, and a resource gone: the search index follows both.
        store
            .set_translation(
                "SEED-000003",
                TranslationStatus::Completed,
                Some("Zebra Crossing"),
            )
            .await
            .expect("retitle");
        store.delete_resource("SEED-000004").await.expect("delete");

        let rows = raw_rows(store).await;
        let mut checked = 0;
        for sort in SORTS {
            for descending in [false, true] {
                for query in queries(person, tag, sort, descending) {
                    let expected = oracle(&rows, &query);
                    if query.search.is_some() {
                        // The same pages filtered along the sort's index (told of more
                        // matches than the trigram index's candidates are read for).
                        let (walked, _) = walk(store, &query, u64::MAX).await;
                        assert_eq!(walked, expected, "{backend:?} rows only: {query:?}");
                    }
                    let (walked, pages) = walk(store, &query, 0).await;
                    assert_eq!(walked, expected, "{backend:?} by cursor: {query:?}");
                    assert_eq!(pages, expected.len().div_ceil(7).max(1), "{query:?}");
                    let total = store.count_resources(&query).await.expect("count");
                    assert_eq!(total, expected.len() as u64, "{backend:?} total: {query:?}");
                    let capped = store
                        .count_resources_up_to(&query, 5)
                        .await
                        .expect("capped");
                    let within = (expected.len() <= 5).then_some(expected.len() as u64);
                    assert_eq!(capped, within, "{backend:?} capped count: {query:?}");
                    let third = store
                        .resource_page(
                            &ResourceQuery {
                                page: 3,
                                ..query.clone()
                            },
                            0,
                        )
                        .await
                        .expect("page 3");
                    let codes = codes_of(&third);
                    let start = expected.len().min(14);
                    let end = expected.len().min(21);
                    assert_eq!(codes, expected[start..end], "{backend:?} page 3: {query:?}");
                    // The count and the first page in one statement: the same answers.
                    let (counted, first) = store
                        .count_and_page(&query, 5)
                        .await
                        .expect("count and page");
                    assert_eq!(counted, within, "{backend:?} count with page: {query:?}");
                    let codes = codes_of(&first);
                    let end = expected.len().min(7);
                    assert_eq!(
                        codes,
                        expected[..end],
                        "{backend:?} page with count: {query:?}"
                    );
                    assert_eq!(first.next.is_some(), expected.len() > 7, "{query:?}");
                    // And the page after the first one's cursor.
                    if let Some(next) = first.next {
                        let after = ResourceQuery {
                            after: Some(next),
                            ..query.clone()
                        };
                        let (counted, second) = store
                            .count_and_page(&after, 5)
                            .await
                            .expect("count and a page after a cursor");
                        assert_eq!(counted, within, "{backend:?} count after: {query:?}");
                        let end = expected.len().min(14);
                        assert_eq!(
                            codes_of(&second),
                            expected[7..end],
                            "{backend:?} page after a cursor with count: {query:?}"
                        );
                    }
                    checked += usize::from(!expected.is_empty());
                }
            }
        }
        assert!(checked >= 100, "most queries match something: {checked}");
    }
    stores.finish().await;
}

#[tokio::test]
async fn a_cursor_of_another_sort_is_refused() {
    let stores = stores().await;
    for store in &stores.stores {
        let query = ResourceQuery {
            sort: ResourceSort::AddedAt,
            after: Some(ResourceCursor {
                key: SortKey::Text("x".into()),
                id: 1,
            }),
            ..ResourceQuery::default()
        };
        assert!(matches!(
            store.resource_page(&query, 0).await,
            Err(StoreError::Conflict(_))
        ));
    }
    stores.finish().await;
}

/// The plan of every filter and sort (search aside) reads the order from an index:
/// no sort step, and no scan of the whole resources table.
#[tokio::test]
async fn every_filter_and_sort_reads_one_index_range() {
    let stores = stores().await;
    for store in &stores.stores {
        let backend = store.backend();
        crate::library::seed(store, 1, 3000, 2, |_, _| {})
            .await
            .expect("seed");
        sqlx::query("ANALYZE")
            .execute(store.pool())
            .await
            .expect("analyze");
        let (person, tag) = busy_person_and_rare_tag(store).await;
        let mut failures = Vec::new();
        for sort in SORTS {
            for descending in [false, true] {
                for query in queries(person, tag, sort, descending) {
                    if query.search.is_some() {
                        // A substring search filters rows along the sort's index; a rare
                        // term reads the whole index (see ARCHITECTURE.md).
                        continue;
                    }
                    if matches_nothing(&query) {
                        // Answered before any statement; PostgreSQL plans a sort of
                        // its constant false's no rows.
                        continue;
                    }
                    let first = query.clone();
                    let page = store.resource_page(&first, 0).await.expect("page");
                    let mut pages = vec![first];
                    if let Some(next) = page.next {
                        pages.push(ResourceQuery {
                            after: Some(next),
                            ..query.clone()
                        });
                    }
                    for query in pages {
                        let (plan, count, _) =
                            store.explain_list(&query, 0).await.expect("explain");
                        let context = format!("{backend:?} {query:?}\n{plan}");
                        // The page's rows (at most page_size + 1, in `page_rows`) are
                        // folded into one JSON value; what matters is how they are read.
                        let reads = plan
                            .lines()
                            .filter(|l| !l.contains("page_rows") && !l.contains("json_group_array"))
                            .collect::<Vec<_>>();
                        let (sorts, scans) = match backend {
                            Backend::Sqlite => (
                                reads.iter().any(|l| l.contains("TEMP B-TREE")),
                                reads
                                    .iter()
                                    .any(|l| l.contains("SCAN") && !l.contains("INDEX")),
                            ),
                            Backend::Postgres => (plan.contains("Sort"), plan.contains("Seq Scan")),
                        };
                        if sorts {
                            failures.push(format!("sorts: {context}"));
                        }
                        // After a cursor, the rows are found by a range, not by stepping
                        // along the index from its start (SQLite: SEARCH, not SCAN).
                        if backend == Backend::Sqlite
                            && query.after.is_some()
                            && query.search.is_none()
                            && reads.iter().any(|l| l.contains("SCAN"))
                        {
                            failures.push(format!("steps to the cursor: {context}"));
                        }
                        if scans {
                            failures.push(format!("scans a table: {context}"));
                        }
                        if query.person_id.is_some() || query.tag_id.is_some() {
                            let scans_resources = match backend {
                                Backend::Sqlite => count.contains("SCAN r"),
                                Backend::Postgres => count.contains("Seq Scan on resources"),
                            };
                            if scans_resources {
                                failures.push(format!("count reads resources: {context}\n{count}"));
                            }
                        }
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }
    stores.finish().await;
}

/// A search finds its matches through the trigram index: SQLite reads a page from the
/// index's candidates when they are few and along the sort's index otherwise, and counts
/// from the candidates, with the statistics a seed leaves and with none (a new library
/// filled through the API before the server gathers any); PostgreSQL takes its trigram
/// indexes to count a rare term.
#[tokio::test]
async fn a_search_reads_the_trigram_index() {
    let stores = stores().await;
    for store in &stores.stores {
        if store.backend() == Backend::Sqlite {
            // The migrations leave no statistics that say a table is empty.
            let empty: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) = 0",
            )
            .fetch_one(store.pool())
            .await
            .expect("statistics");
            assert_eq!(empty, 0, "statistics of empty tables");
        }
        crate::library::seed(store, 1, 3000, 2, |_, _| {})
            .await
            .expect("seed");
        if store.backend() == Backend::Sqlite {
            // The seed ends with statistics of every row, not a sample of an index's
            // first rows: those would put 2,000 resources under each status.
            let stat: String = sqlx::query_scalar(
                "SELECT stat FROM sqlite_stat1 WHERE idx = 'resources_status_release'",
            )
            .fetch_one(store.pool())
            .await
            .expect("statistics");
            let (rows, statuses): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COUNT(DISTINCT translation_status) FROM resources",
            )
            .fetch_one(store.pool())
            .await
            .expect("rows");
            let per_status = (rows as u64).div_ceil(statuses.max(1) as u64) as i64;
            let said: Vec<i64> = stat.split(' ').filter_map(|n| n.parse().ok()).collect();
            assert_eq!(said.get(..2), Some(&[rows, per_status][..]), "{stat}");
        }
        if store.backend() == Backend::Postgres {
            // The seed ends with VACUUM: until then the planner costs the trigram
            // indexes by figures of their own that say nothing of the rows just written.
            let vacuumed: bool = sqlx::query_scalar(
                "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables \
                 WHERE relname = 'resources'",
            )
            .fetch_one(store.pool())
            .await
            .expect("vacuum statistics");
            assert!(vacuumed, "the seed left the resources unvacuumed");
        }
        let failures = search_plan_failures(store).await;
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        // Every code has `see` and `eed`: a code fragment's candidates come from its two
        // rarest trigrams, which are in its digits; a common word has none rare.
        let rare = store.rare_trigrams("SEED-00123", 5000).await.expect("rare");
        let rare = rare.expect("a rare trigram").trigrams;
        assert_eq!(rare.len(), 2, "{rare:?}");
        assert!(rare.contains(&"123".to_owned()), "{rare:?}");
        assert!(
            rare.iter().all(|t| t.chars().all(|c| c.is_ascii_digit())),
            "{rare:?}"
        );
        // The library's sample ranks a new term's trigrams, and finds its rarest two in
        // a few resources, surely within the cap: the index counts none of them.
        let counts = store.trigram_index_counts();
        let fresh = store
            .rare_trigrams("SEED-00234", 5000)
            .await
            .expect("fresh");
        assert!(fresh.is_some_and(|fresh| fresh.trigrams.contains(&"234".to_owned())));
        assert_eq!(
            store.trigram_index_counts(),
            counts,
            "{:?}",
            store.backend()
        );
        // It finds each of a common word's trigrams in hundreds of resources, surely
        // past the cap: none is counted in the index, whose count would read all their
        // postings.
        let common = store.rare_trigrams("summer", 50).await.expect("common");
        assert_eq!(common, None);
        assert_eq!(
            store.trigram_index_counts(),
            counts,
            "{:?}",
            store.backend()
        );
        // Past the cap, the two rarest are asked together when the resources having
        // both are within it (and each is within ten times the cap).
        let term = "SEED-0012";
        let (counted, together) = trigram_oracle(store, term).await;
        let cap = together;
        assert!(
            counted[0].0 > cap && counted[1].0 <= cap * 10,
            "a term each of whose trigrams is past the cap: {counted:?}, {together} together"
        );
        let expected: Vec<String> = counted.iter().take(2).map(|(_, t)| t.clone()).collect();
        // The sample cannot tell the pair from the cap: the index counts it, once for
        // requests that ask again.
        let counts = store.trigram_index_counts();
        for _ in 0..2 {
            let paired = store.rare_trigrams(term, cap).await.expect("paired");
            let paired = paired.expect("paired");
            assert_eq!(paired.trigrams, expected, "{:?}", store.backend());
            // The index counted them: that count is the candidates.
            assert_eq!(paired.candidates, together, "{:?}", store.backend());
        }
        let counted = store.trigram_index_counts() - counts;
        assert!((1..=2).contains(&counted), "{counted} counts");
        let unpaired = store.rare_trigrams(term, cap - 1).await.expect("unpaired");
        assert_eq!(unpaired, None, "{:?}", store.backend());
        if store.backend() == Backend::Sqlite {
            // The seed gathered statistics: the planner knows the library's size.
            let rows: i64 = sqlx::query_scalar(
                "SELECT MAX(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE tbl = 'resources'",
            )
            .fetch_one(store.pool())
            .await
            .expect("statistics");
            assert!(rows >= 1000, "statistics after the seed: {rows} rows");
            let unknown = without_statistics(store, &stores.sqlite_url()).await;
            let failures = search_plan_failures(&unknown).await;
            assert!(
                failures.is_empty(),
                "no statistics: {}",
                failures.join("\n\n")
            );
            unknown.close().await;
        }
    }
    stores.finish().await;
}

/// A second store on the same SQLite file whose planner has no statistics.
/// What the trigram indexes should say of `term`, counted from the rows: the resources
/// having each of its trigrams the backend looks up, rarest first, and those having the
/// two rarest.
async fn trigram_oracle(store: &Store, term: &str) -> (Vec<(u64, String)>, u64) {
    // The searched columns, lowercased, an empty string for a missing title.
    let rows = sqlx::query(
        "SELECT lower(code), lower(COALESCE(title_source, '')), \
         lower(COALESCE(title_original, '')), lower(COALESCE(title_translated, '')) \
         FROM resources",
    )
    .fetch_all(store.pool())
    .await
    .expect("rows");
    let texts: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            (0..4)
                .map(|n| row.try_get::<String, _>(n).expect("text"))
                .collect()
        })
        .collect();
    let having = |trigram: &str| {
        texts
            .iter()
            .filter(|columns| columns.iter().any(|text| text.contains(trigram)))
            .count() as u64
    };
    let mut counted: Vec<(u64, String)> = crate::store::search_trigrams::trigrams(term)
        .into_iter()
        .filter(|trigram| {
            store.backend() == Backend::Sqlite || trigram.chars().all(|c| c.is_ascii_alphanumeric())
        })
        .map(|trigram| (having(&trigram), trigram))
        .collect();
    counted.sort();
    let together = texts
        .iter()
        .filter(|columns| {
            [&counted[0].1, &counted[1].1]
                .iter()
                .all(|trigram| columns.iter().any(|text| text.contains(trigram.as_str())))
        })
        .count() as u64;
    (counted, together)
}

async fn without_statistics(store: &Store, url: &str) -> Store {
    sqlx::query("DELETE FROM sqlite_stat1")
        .execute(store.pool())
        .await
        .expect("clear statistics");
    // Statistics are read when a connection opens: a new pool reads none.
    Store::open(url).await.expect("second store")
}

/// What is wrong with the search plans of `store` (see `a_search_reads_the_trigram_index`).
async fn search_plan_failures(store: &Store) -> Vec<String> {
    let backend = store.backend();
    let mut failures = Vec::new();
    for sort in SORTS {
        for descending in [false, true] {
            let query = |search: &str| ResourceQuery {
                search: Some(search.into()),
                sort,
                descending,
                ..ResourceQuery::default()
            };
            let rare = query("seed-00123");
            let (plan, count, combined) = store.explain_list(&rare, 0).await.expect("explain");
            let Some(combined) = combined else {
                failures.push(format!("{backend:?} {rare:?}: no rare trigrams"));
                continue;
            };
            let context = format!("{backend:?} {rare:?}\n{plan}\n{count}\n{combined}");
            match backend {
                Backend::Sqlite => {
                    // The candidates drive; each one's row is found by its rowid.
                    for (what, text) in [("page", &plan), ("count", &count)] {
                        if !text.contains("SCAN s VIRTUAL TABLE")
                            || !text.contains("SEARCH r USING INTEGER PRIMARY KEY")
                            || text.contains("SCAN r")
                        {
                            failures.push(format!("{what} not from candidates: {context}"));
                        }
                    }
                    // The matches are materialized from the candidates, each row found
                    // by its rowid; the count and the page then read those few (the
                    // plan calls them `r` too, so what follows is not checked).
                    let lines: Vec<&str> = combined.lines().collect();
                    let from_candidates = lines.windows(3).any(|three| {
                        three[0] == "MATERIALIZE matched"
                            && three[1].starts_with("SCAN s VIRTUAL TABLE")
                            && three[2].starts_with("SEARCH r USING INTEGER PRIMARY KEY")
                    });
                    if !from_candidates {
                        failures.push(format!("count and page not from candidates: {context}"));
                    }
                    // A common word past the page limit; and one under it in this small
                    // library, where a page reads fewer rows along the index (about 51
                    // × 3,000 / 600) than there are matches to sort.
                    let common = query("summer");
                    for matches_at_least in [u64::MAX, 600] {
                        let (plan, _, _) = store
                            .explain_list(&common, matches_at_least)
                            .await
                            .expect("explain");
                        let reads: Vec<_> = plan
                            .lines()
                            .filter(|l| !l.contains("page_rows") && !l.contains("json_group_array"))
                            .collect();
                        if reads.iter().any(|l| {
                            l.contains("TEMP B-TREE")
                                || (l.contains("SCAN r") && !l.contains("INDEX"))
                        }) {
                            failures.push(format!(
                                "rows not along an index: {backend:?} {common:?} \
                                 {matches_at_least}\n{plan}"
                            ));
                        }
                    }
                }
                // With the video-time sort only downloaded resources count, and their
                // partial index is the smaller read here.
                Backend::Postgres if sort != ResourceSort::VideoTime => {
                    for (what, text) in [
                        ("page", &plan),
                        ("count", &count),
                        ("count and page", &combined),
                    ] {
                        if !text.contains("resources_search_text") {
                            failures.push(format!("{what} not from trigrams: {context}"));
                        }
                    }
                    // The rare term's candidates come from its rarest trigrams alone: an
                    // index lookup of the whole term reads its common ones (`see`). At a
                    // million resources the planner joined such a lookup to the
                    // candidates; in this small library it reads rows by their ids
                    // instead, so those ways (loops, plain index scans) are barred for
                    // the plan to show whether the lookup is possible at all.
                    let (plan, count, combined) = store
                        .explain_list_with(
                            &rare,
                            0,
                            &[
                                "SET LOCAL enable_nestloop = off",
                                "SET LOCAL enable_indexscan = off",
                            ],
                        )
                        .await
                        .expect("explain without loops");
                    let combined = combined.unwrap_or_default();
                    for (what, text) in [
                        ("page", &plan),
                        ("count", &count),
                        ("count and page", &combined),
                    ] {
                        let whole_term_looked_up = text
                            .lines()
                            .any(|line| line.contains("Index Cond") && line.contains("seed-00123"));
                        if whole_term_looked_up {
                            failures.push(format!(
                                "{what} looks the whole term up: {backend:?} {rare:?}\n{text}"
                            ));
                        }
                    }
                }
                Backend::Postgres => {}
            }
            if backend == Backend::Postgres {
                // The candidates are read once: a nested loop over them reads them
                // again for each row of its other side (8 s at 10,000 resources).
                for (what, text) in [
                    ("page", &plan),
                    ("count", &count),
                    ("count and page", &combined),
                ] {
                    let parent = parent_node(text, "Bitmap Heap Scan on resources c");
                    if parent.is_none_or(|parent| parent.contains("Nested Loop")) {
                        failures.push(format!(
                            "{what} reads the candidates again for each row: {context}"
                        ));
                    }
                }
            }
        }
    }
    failures
}

/// The plan node above the first node of a PostgreSQL `plan` whose line has `needle`:
/// the nearest line before it that is indented less.
fn parent_node<'a>(plan: &'a str, needle: &str) -> Option<&'a str> {
    let lines: Vec<&str> = plan.lines().collect();
    let at = lines.iter().position(|line| line.contains(needle))?;
    let indent = |line: &str| line.len() - line.trim_start().len();
    let own = indent(lines[at]);
    lines[..at]
        .iter()
        .rev()
        .find(|line| indent(line) < own)
        .copied()
}

#[tokio::test]
async fn the_generation_moves_on_own_writes_at_once_and_on_others_when_followed() {
    let stores = stores().await;
    for store in &stores.stores {
        let backend = store.backend();
        let before = store.library_generation();
        store
            .upsert_resource(&write("GEN-001", "One", &["A"], &["t"]))
            .await
            .expect("write");
        assert!(
            store.library_generation() > before,
            "{backend:?}: own write"
        );

        // Another process: a second pool on the same database.
        let url = match backend {
            Backend::Sqlite => stores.sqlite_url(),
            Backend::Postgres => store.url.as_deref().expect("url").to_owned(),
        };
        let other = Store::open(&url).await.expect("other opens");
        let cancel = tokio_util::sync::CancellationToken::new();
        let follower = tokio::spawn({
            let store = store.clone();
            let cancel = cancel.clone();
            async move { store.follow_library_writes(cancel).await }
        });
        // The follower counts its start as a change: from then on it hears every write.
        wait_for_generation(store, store.library_generation() + 1).await;
        for change in ["title", "delete"] {
            let before = store.library_generation();
            match change {
                "title" => {
                    other
                        .set_translation("GEN-001", TranslationStatus::Completed, Some("Eins"))
                        .await
                        .expect("translate");
                }
                _ => {
                    other.delete_resource("GEN-001").await.expect("delete");
                }
            }
            // The other store's counter is its own; this one hears the commit.
            let seen = wait_for_generation(store, before + 1).await;
            assert!(seen > before, "{backend:?}: {change} by another process");
        }
        cancel.cancel();
        follower.await.expect("follower ends");
        other.close().await;
    }
    stores.finish().await;
}

/// Waits (up to a minute, polling) until the store's generation reaches `at_least`;
/// returns it, failing the test if it never does.
async fn wait_for_generation(store: &Store, at_least: u64) -> u64 {
    for _ in 0..600 {
        let now = store.library_generation();
        if now >= at_least {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the generation stayed at {} (waiting for {at_least})",
        store.library_generation()
    );
}

/// SQLite: after another connection changes the schema, a write whose trigger keeps the
/// search index (a virtual table) in step still succeeds on a connection that read the
/// old schema. Compiling such a trigger right after the change fails with "no such table"
/// unless the connection has read the new schema first, which the pool has it do.
#[tokio::test]
async fn writes_succeed_after_another_connection_changes_the_schema() {
    let stores = stores().await;
    crate::library::seed(&stores.stores[0], 1, 30, 2, |_, _| {})
        .await
        .expect("seed");
    // A server's store, opened on the library, and another process's.
    let store = Store::open(&stores.sqlite_url()).await.expect("store");
    store.delete_resource("SEED-000030").await.expect("delete");
    let other = Store::open(&stores.sqlite_url()).await.expect("other");
    for (n, change) in [
        "CREATE INDEX tags_name_again ON tags (name)",
        "DROP INDEX tags_name_again",
    ]
    .into_iter()
    .enumerate()
    {
        sqlx::query(sqlx::AssertSqlSafe(change))
            .execute(other.pool())
            .await
            .expect("schema change");
        let code = format!("SEED-{:06}", n + 1);
        let deleted = store.delete_resource(&code).await.expect("delete");
        assert!(deleted.is_some(), "{code}");
    }
    store.close().await;
    other.close().await;
    stores.finish().await;
}
