//! The store against a real SQLite file always, and a fresh PostgreSQL database when
//! `KURA_TEST_DATABASE_URL` is set: the same assertions on both.

use std::collections::BTreeMap;

use serde_json::json;
use test_database::ScratchDatabase;

use super::*;

mod bulk_import;
mod library_list;
mod queue;
mod search_sample;
mod translations;

/// Stores under test, and what to remove afterwards.
struct Stores {
    _dir: tempfile::TempDir,
    stores: Vec<Store>,
    /// The PostgreSQL database made for the test.
    postgres: Option<ScratchDatabase>,
}

impl Stores {
    /// The URL of the SQLite store's file.
    fn sqlite_url(&self) -> String {
        format!("sqlite://{}", self._dir.path().join("kura.db").display())
    }
    /// Closes the stores and drops the PostgreSQL database (a failed test leaves it, to
    /// look at).
    async fn finish(self) {
        for store in &self.stores {
            store.close().await;
        }
        if let Some(database) = self.postgres {
            database.drop_database().await;
        }
    }
}

/// A store per backend available here; each PostgreSQL one is a new database.
async fn stores() -> Stores {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = Store::open(&format!(
        "sqlite://{}",
        dir.path().join("kura.db").display()
    ))
    .await
    .expect("sqlite opens");
    let mut stores = vec![sqlite];
    let mut postgres = None;
    if let Some(admin_url) = test_database::admin_url("the PostgreSQL store tests") {
        let database = ScratchDatabase::create(&admin_url).await;
        stores.push(Store::open(database.url()).await.expect("postgres opens"));
        postgres = Some(database);
    }
    Stores {
        _dir: dir,
        stores,
        postgres,
    }
}

fn write(code: &str, title: &str, people: &[&str], tags: &[&str]) -> ResourceWrite {
    ResourceWrite {
        code: code.to_owned(),
        title_source: Some(title.to_owned()),
        source_plugin: Some("fixture-alpha".to_owned()),
        source_version: Some("1.0.0".to_owned()),
        release_date: Some(format!("2020-01-{:02}", code.len())),
        stream_headers: BTreeMap::from([("Referer".to_owned(), "http://x/".to_owned())]),
        field_sources: BTreeMap::from([("title".to_owned(), "fixture-meta@1.0.0".to_owned())]),
        people: people
            .iter()
            .map(|name| PersonWrite {
                name: (*name).to_owned(),
                ..PersonWrite::default()
            })
            .collect(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        ..ResourceWrite::default()
    }
}

#[tokio::test]
async fn upsert_replaces_links_and_keeps_files() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let id = store
            .upsert_resource(&write(
                "ABC-001",
                "One",
                &["Ann", "Bob", "Ann"],
                &["Drama", "Drama", "Travel"],
            ))
            .await
            .expect("insert");
        assert!(
            store
                .set_cover("ABC-001", "resource/cover/ABC-001.jpg", "http://x/c.jpg")
                .await
                .expect("cover")
        );
        let again = store
            .upsert_resource(&write("ABC-001", "One again", &["Cid", "Ann"], &["Comedy"]))
            .await
            .expect("update");
        assert_eq!(id, again, "{:?}", store.backend());
        let detail = store
            .get_resource("ABC-001")
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(detail.resource.title_source.as_deref(), Some("One again"));
        assert_eq!(
            detail.resource.cover_file.as_deref(),
            Some("resource/cover/ABC-001.jpg")
        );
        assert_eq!(detail.resource.stream_headers["Referer"], "http://x/");
        assert_eq!(detail.resource.field_sources["title"], "fixture-meta@1.0.0");
        assert_eq!(
            detail.resource.translation_status,
            TranslationStatus::Pending
        );
        let names: Vec<&str> = detail.people.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Cid", "Ann"]);
        let tags: Vec<&str> = detail.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tags, ["Comedy"]);
        assert_eq!(store.integrity_check().await.expect("check"), "ok");
    }
    fixture.finish().await;
}

#[tokio::test]
async fn lists_filter_sort_and_count() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let backend = store.backend();
        store
            .upsert_resource(&write("AB-100", "Summer 50%_off", &["Ann"], &["Drama"]))
            .await
            .expect("a");
        store
            .upsert_resource(&write(
                "ABCD-200",
                "Winter",
                &["Ann", "Bob"],
                &["Drama", "Travel"],
            ))
            .await
            .expect("b");
        store
            .upsert_resource(&write("Z-300", "夏の海辺", &["Bob"], &[]))
            .await
            .expect("c");
        store
            .set_video("ABCD-200", "resource/video/ABCD-200.mp4", 1234)
            .await
            .expect("video");
        store
            .set_translation(
                "Z-300",
                TranslationStatus::Completed,
                Some("Summer Seaside"),
            )
            .await
            .expect("tr");

        let codes = |page: Page<ResourceSummary>| {
            page.items.into_iter().map(|s| s.code).collect::<Vec<_>>()
        };
        let all = store
            .list_resources(&ResourceQuery::default())
            .await
            .expect("all");
        assert_eq!(all.total, 3);
        assert_eq!(codes(all), ["AB-100", "ABCD-200", "Z-300"], "{backend:?}");

        for (search, expected) in [
            ("summer", vec!["AB-100", "Z-300"]),
            ("50%", vec!["AB-100"]),
            ("_", vec!["AB-100"]),
            ("海辺", vec!["Z-300"]),
            ("abcd", vec!["ABCD-200"]),
            // The code and titles are searched as one text joined by line feeds: a term
            // never matches across two of them, with the separator or without.
            ("100\nsummer", vec![]),
            ("100 summer", vec![]),
            ("100summer", vec![]),
        ] {
            let page = store
                .list_resources(&ResourceQuery {
                    search: Some(search.into()),
                    ..ResourceQuery::default()
                })
                .await
                .expect("search");
            assert_eq!(codes(page), expected, "{backend:?} search {search:?}");
        }
        let downloaded = store
            .list_resources(&ResourceQuery {
                downloaded: Some(true),
                ..ResourceQuery::default()
            })
            .await
            .expect("dl");
        assert_eq!(codes(downloaded), ["ABCD-200"]);
        let by_video = store
            .list_resources(&ResourceQuery {
                sort: ResourceSort::VideoTime,
                ..ResourceQuery::default()
            })
            .await
            .expect("vt");
        assert_eq!(by_video.total, 1, "video time excludes undownloaded");
        let translated = store
            .list_resources(&ResourceQuery {
                translation_status: Some(TranslationStatus::Completed),
                ..ResourceQuery::default()
            })
            .await
            .expect("status");
        assert_eq!(codes(translated), ["Z-300"]);
        let added_desc = store
            .list_resources(&ResourceQuery {
                sort: ResourceSort::AddedAt,
                descending: true,
                page_size: 2,
                ..ResourceQuery::default()
            })
            .await
            .expect("added");
        assert_eq!((added_desc.total, added_desc.items.len()), (3, 2));
        let second = store
            .list_resources(&ResourceQuery {
                page: 2,
                page_size: 2,
                ..ResourceQuery::default()
            })
            .await
            .expect("page 2");
        assert_eq!(codes(second), ["Z-300"]);

        let people = store
            .list_people(&PeopleQuery {
                sort: PeopleSort::WorkCount,
                descending: true,
                ..PeopleQuery::default()
            })
            .await
            .expect("people");
        let counts: Vec<(String, u64)> = people
            .items
            .iter()
            .map(|p| (p.name.clone(), p.work_count))
            .collect();
        assert_eq!(
            counts,
            [("Bob".to_owned(), 2), ("Ann".to_owned(), 2)].to_vec(),
            "{backend:?}: ties broken by id descending"
        );
        let ann = people
            .items
            .iter()
            .find(|p| p.name == "Ann")
            .expect("ann")
            .id;
        let by_person = store
            .list_resources(&ResourceQuery {
                person_id: Some(ann),
                ..ResourceQuery::default()
            })
            .await
            .expect("person");
        assert_eq!(codes(by_person), ["AB-100", "ABCD-200"]);
        assert!(
            store
                .set_person_avatar(ann, Some("resource/avatar/1.jpg"))
                .await
                .expect("avatar")
        );
        let with_avatar = store
            .list_people(&PeopleQuery {
                has_avatar: Some(true),
                ..PeopleQuery::default()
            })
            .await
            .expect("has");
        assert_eq!(with_avatar.items.len(), 1);
        assert_eq!(
            store
                .people_without_avatar(10)
                .await
                .expect("missing")
                .len(),
            1
        );

        let tags = store
            .list_tags(&TagQuery {
                sort: TagSort::WorkCount,
                descending: true,
                ..TagQuery::default()
            })
            .await
            .expect("tags");
        assert_eq!(tags.items[0].name, "Drama");
        assert_eq!(tags.items[0].work_count, 2);
        let tag = tags.items[0].id;
        let by_tag = store
            .list_resources(&ResourceQuery {
                tag_id: Some(tag),
                ..ResourceQuery::default()
            })
            .await
            .expect("tag");
        assert_eq!(by_tag.total, 2);
    }
    fixture.finish().await;
}

#[tokio::test]
async fn delete_cascades_and_settings_and_cookies_round_trip() {
    let fixture = stores().await;
    for store in &fixture.stores {
        store
            .upsert_resource(&write("ABC-001", "One", &["Ann"], &["Drama"]))
            .await
            .expect("insert");
        let deleted = store
            .delete_resource("ABC-001")
            .await
            .expect("delete")
            .expect("existed");
        assert_eq!(deleted.code, "ABC-001");
        assert!(
            store
                .delete_resource("ABC-001")
                .await
                .expect("again")
                .is_none()
        );
        assert!(store.get_resource("ABC-001").await.expect("get").is_none());
        let tags = store.list_tags(&TagQuery::default()).await.expect("tags");
        assert_eq!(tags.items[0].work_count, 0, "links went with the resource");

        let mut settings = serde_json::Map::new();
        settings.insert("theme".into(), json!("dark"));
        settings.insert("page_size".into(), json!(40));
        store.put_settings(settings).await.expect("put");
        let mut removal = serde_json::Map::new();
        removal.insert("theme".into(), serde_json::Value::Null);
        store.put_settings(removal).await.expect("remove");
        let stored = store.get_settings().await.expect("get");
        assert_eq!(
            serde_json::Value::Object(stored),
            json!({ "page_size": 40 })
        );

        store
            .set_cookie(
                "fixture-beta",
                "session",
                "a",
                Some("http://127.0.0.1/beta"),
            )
            .await
            .expect("cookie");
        store
            .set_cookie("fixture-beta", "session", "b", None)
            .await
            .expect("replace");
        let cookies = store.all_cookies().await.expect("cookies");
        assert_eq!(cookies.len(), 1);
        assert_eq!(cookies[0].1.value, "b");
    }
    fixture.finish().await;
}

#[tokio::test]
async fn rename_code_refuses_a_taken_code() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let old = store
            .upsert_resource(&write("abc-1", "Old", &[], &[]))
            .await
            .expect("old");
        store
            .upsert_resource(&write("XYZ-001", "Other", &[], &[]))
            .await
            .expect("other");
        let files = store.resource_files(old).await.expect("files");
        store
            .rename_code(old, "ABC-001", &files)
            .await
            .expect("rename");
        assert!(store.get_resource("ABC-001").await.expect("get").is_some());
        let error = store
            .rename_code(old, "XYZ-001", &files)
            .await
            .expect_err("taken");
        assert!(matches!(error, StoreError::Conflict(_)), "{error}");
    }
    fixture.finish().await;
}

#[test]
fn passwords_are_redacted() {
    assert_eq!(
        redact("postgres://kura:secret@127.0.0.1/db"),
        "postgres://kura:***@127.0.0.1/db"
    );
    assert_eq!(redact("sqlite://data/kura.db"), "sqlite://data/kura.db");
}

#[tokio::test]
async fn concurrent_settings_writes_stay_within_the_limits() {
    let stores = stores().await;
    for store in &stores.stores {
        let backend = store.backend();
        let room = 6;
        let prefill: serde_json::Map<String, serde_json::Value> = (0..SETTINGS_LIMITS.max_keys
            - room)
            .map(|i| (format!("pre{i}"), json!(i)))
            .collect();
        store.put_settings(prefill).await.expect("prefill");
        let writers: Vec<_> = (0..8)
            .map(|writer| {
                let store = store.clone();
                tokio::spawn(async move {
                    let keys = (0..2)
                        .map(|i| (format!("w{writer}-{i}"), json!(i)))
                        .collect();
                    store.put_settings(keys).await
                })
            })
            .collect();
        let mut accepted = 0;
        let mut refused = 0;
        for writer in writers {
            match writer.await.expect("writer") {
                Ok(()) => accepted += 1,
                Err(StoreError::Settings(_)) => refused += 1,
                Err(error) => panic!("{backend:?}: {error}"),
            }
        }
        let stored = store.get_settings().await.expect("get").len();
        assert!(
            stored <= SETTINGS_LIMITS.max_keys,
            "{backend:?}: {stored} keys"
        );
        assert_eq!(
            stored,
            SETTINGS_LIMITS.max_keys - room + 2 * accepted,
            "{backend:?}"
        );
        assert_eq!(
            accepted,
            room / 2,
            "{backend:?}: every place is taken, once"
        );
        assert_eq!(refused, 8 - room / 2, "{backend:?}");
    }
    stores.finish().await;
}
