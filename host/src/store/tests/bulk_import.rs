//! Bulk imports and the people and tags every write finds or creates: batches written at
//! once (PostgreSQL) end as if written one after the other.

use super::*;
use crate::store::bulk_import::ImportBatch;

/// A resource `code` naming `people` (name, alias) and `tags`, not downloaded.
fn imported(
    code: &str,
    title: &str,
    people: &[(&str, Option<&str>)],
    tags: &[&str],
) -> (ResourceWrite, ImportedState) {
    let mut write = write(code, title, &[], tags);
    write.people = people
        .iter()
        .map(|(name, alias)| PersonWrite {
            name: (*name).to_owned(),
            alias: alias.map(str::to_owned),
            ..PersonWrite::default()
        })
        .collect();
    let state = ImportedState {
        video: None,
        translation_status: TranslationStatus::Pending,
        title_translated: None,
    };
    (write, state)
}

/// `count` resources `<prefix>-<n>` from `first`, each naming two of the same forty new
/// people and two of the same ten new tags, in an order that differs from batch to batch.
fn batch(prefix: &str, first: u32, count: u32) -> ImportBatch {
    (first..first + count)
        .map(|n| {
            let person = |k: u32| format!("Person {:02}", (n * 7 + k * 13) % 40);
            let tag = |k: u32| format!("Tag {}", (n * 3 + k * 7) % 10);
            let (a, b) = (person(0), person(1));
            let (c, d) = (tag(0), tag(1));
            imported(
                &format!("{prefix}-{n:04}"),
                &format!("{prefix} {n}"),
                &[(a.as_str(), None), (b.as_str(), None)],
                &[c.as_str(), d.as_str()],
            )
        })
        .collect()
}

/// The stored resource `code` with its people and tags.
async fn detail(store: &Store, code: &str) -> ResourceDetail {
    store
        .get_resource(code)
        .await
        .expect("get")
        .expect("exists")
}

async fn count(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .expect("count")
}

/// Batches naming the same new people and tags are written at once on PostgreSQL: two
/// transactions creating the same rows wait for each other in one order, and each row is
/// created once.
#[tokio::test]
async fn batches_naming_the_same_new_people_are_written_at_once() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let backend = store.backend();
        let mut import = store.bulk_import(2).await.expect("import");
        for first in [1, 1501, 3001] {
            import
                .write(batch("BULK", first, 1500))
                .await
                .expect("batch");
        }
        assert_eq!(import.finish().await.expect("finish"), 4500, "{backend:?}");
        assert_eq!(count(store, "resources").await, 4500, "{backend:?}");
        assert_eq!(count(store, "people").await, 40, "{backend:?}");
        assert_eq!(count(store, "tags").await, 10, "{backend:?}");
        assert_eq!(count(store, "resource_people").await, 9000, "{backend:?}");
        assert_eq!(count(store, "resource_tags").await, 9000, "{backend:?}");
        // Every link names the person and tag its write gave, in its place.
        let mut people = Vec::new();
        let mut tags = Vec::new();
        for first in [1, 1501, 3001] {
            for (write, _) in batch("BULK", first, 1500) {
                people.extend(
                    write
                        .people
                        .iter()
                        .map(|p| (write.code.clone(), p.name.clone())),
                );
                tags.extend(write.tags.iter().map(|t| (write.code.clone(), t.clone())));
            }
        }
        for (table, other, expected) in [
            ("resource_people", "people", people),
            ("resource_tags", "tags", tags),
        ] {
            let column = if other == "people" {
                "person_id"
            } else {
                "tag_id"
            };
            let stored: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT r.code, o.name FROM {table} l JOIN resources r ON r.id = l.resource_id \
                 JOIN {other} o ON o.id = l.{column} ORDER BY r.code, l.position"
            )))
            .fetch_all(store.pool())
            .await
            .expect("links");
            assert!(stored == expected, "{backend:?} {table} differ");
        }
        assert_eq!(store.integrity_check().await.expect("check"), "ok");
    }
    fixture.finish().await;
}

/// A batch that rewrites a code or a person's fields a running batch writes waits for
/// it: the later write wins, as it would one batch after the other. Here a short batch
/// between them frees a connection while the long one still runs, and a stored person
/// is given fields by two batches of different codes.
#[tokio::test]
async fn a_batch_rewriting_a_running_one_is_written_after_it() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let backend = store.backend();
        let mut earlier = store.bulk_import(2).await.expect("import");
        let bea = |code: &str, alias: &str| imported(code, code, &[("Bea", Some(alias))], &[]);
        earlier
            .write(vec![bea("BEA-0001", "B0")])
            .await
            .expect("Bea");
        earlier.finish().await.expect("finish");
        let mut import = store.bulk_import(2).await.expect("import");
        let mut long = batch("LONG", 1, 2000);
        long.push(imported(
            "LAST-0001",
            "first",
            &[("Ann", Some("Annie"))],
            &["Tag 1"],
        ));
        long.push(bea("LAST-0002", "B1"));
        import.write(long).await.expect("long batch");
        import
            .write(batch("SHORT", 1, 3))
            .await
            .expect("short batch");
        import
            .write(vec![bea("BEA-0002", "B2")])
            .await
            .expect("another of Bea");
        import
            .write(vec![imported(
                "LAST-0001",
                "later",
                &[("Ann", Some("Anna"))],
                &["Tag 2"],
            )])
            .await
            .expect("later batch");
        assert_eq!(import.finish().await.expect("finish"), 2007, "{backend:?}");

        assert_eq!(count(store, "resources").await, 2007, "{backend:?}");
        let bea = detail(store, "BEA-0002").await;
        assert_eq!(bea.people[0].alias.as_deref(), Some("B2"), "{backend:?}");
        let last = detail(store, "LAST-0001").await;
        assert_eq!(
            last.resource.title_source.as_deref(),
            Some("later"),
            "{backend:?}"
        );
        assert_eq!(last.people[0].alias.as_deref(), Some("Anna"), "{backend:?}");
        let tags: Vec<&str> = last.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tags, ["Tag 2"], "{backend:?}");
    }
    fixture.finish().await;
}

/// A person's fields: a write gives some and leaves the others as stored; a write that
/// gives none, or the stored ones, changes nothing, not even the time of the last change.
#[tokio::test]
async fn a_person_keeps_the_fields_a_write_leaves_out() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let backend = store.backend();
        let person = |alias: Option<&str>, page_url: Option<&str>| PersonWrite {
            name: "Ann".to_owned(),
            alias: alias.map(str::to_owned),
            page_url: page_url.map(str::to_owned),
            ..PersonWrite::default()
        };
        let mut resource = write("ABC-001", "One", &[], &[]);
        let ann = || async move {
            let detail = detail(store, "ABC-001").await;
            detail.people[0].clone()
        };
        resource.people = vec![person(Some("Annie"), Some("http://x/ann"))];
        store.upsert_resource(&resource).await.expect("first");
        // A time no write in this test makes, so a write that touched the row shows.
        sqlx::query("UPDATE people SET updated_at = 0")
            .execute(store.pool())
            .await
            .expect("updated_at");
        let first = ann().await;
        assert_eq!(first.alias.as_deref(), Some("Annie"), "{backend:?}");

        resource.people = vec![person(None, None)];
        store.upsert_resource(&resource).await.expect("no fields");
        resource.people = vec![person(Some("Annie"), None)];
        store
            .upsert_resource(&resource)
            .await
            .expect("the same alias");
        assert_eq!(ann().await, first, "{backend:?}");

        resource.people = vec![person(Some("Anna"), None)];
        store.upsert_resource(&resource).await.expect("new alias");
        let changed = ann().await;
        assert_eq!(changed.alias.as_deref(), Some("Anna"), "{backend:?}");
        assert_ne!(changed.updated_at, 0, "{backend:?}");

        // Within one transaction the last write of a person's fields wins, also when
        // the code it came with was written before.
        let mut other = write("ABC-002", "Two", &[], &[]);
        other.people = vec![person(Some("from ABC-002"), None)];
        let mut again = resource.clone();
        again.people = vec![person(Some("from ABC-001 again"), None)];
        resource.people = vec![person(Some("from ABC-001"), None)];
        store
            .upsert_resources(&[resource.clone(), other, again])
            .await
            .expect("three writes");
        let last = ann().await;
        assert_eq!(
            last.alias.as_deref(),
            Some("from ABC-001 again"),
            "{backend:?}"
        );
        assert_eq!(
            changed.page_url.as_deref(),
            Some("http://x/ann"),
            "{backend:?}"
        );
        assert_eq!(changed.id, first.id, "{backend:?}");
    }
    fixture.finish().await;
}
