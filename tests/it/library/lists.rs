//! The lists show what the database holds: every filter, sort, order and page of
//! `GET /api/resources`, `/api/actors` and `/api/genres` is compared with a direct SQL
//! query on the same database, on every backend; bad parameters are 400 (N-H1..N-H3).

use fixture_site::catalog;
use serde_json::{Value, json};
use sqlx::AnyPool;

use super::{add, check_error, codes, start};
use crate::support::TestServer;
use crate::support::database::{TestDatabase, execute, integers, strings, test_databases};

/// Twelve codes from both sources, added out of code order so `added_at` differs from
/// `code`; DEMO-025 has no metadata page, so no release date, people or tags.
const ADDED: [u32; 12] = [7, 3, 12, 1, 25, 9, 4, 10, 2, 6, 8, 5];

#[tokio::test]
async fn list_filters_and_sorts_match_the_database() {
    for database in test_databases().await {
        compare_lists(&database).await;
        database.drop_database().await;
    }
}

async fn compare_lists(database: &TestDatabase) {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, database.config.clone()).await;
    for n in ADDED {
        add(&server, &catalog::code(n)).await;
    }
    // Downloads and translations come from later stages; written here directly so the
    // `downloaded`, `video_time` and `translation_status` queries have something to tell apart.
    let writer = database.connect(server.data.path(), true).await;
    for (n, saved_at) in [(4, 3_000), (9, 1_000), (1, 2_000)] {
        let code = catalog::code(n);
        execute(&writer, format!(
            "UPDATE resources SET video_file = 'resource/video/{code}.mp4', video_size = {n}000, video_saved_at = {saved_at} WHERE code = '{code}'"
        ))
        .await;
    }
    let translated_word = catalog::title_en(2)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    execute(&writer, format!(
        "UPDATE resources SET translation_status = 'completed', title_translated = '{}' WHERE code = 'DEMO-002'",
        catalog::title_en(2)
    ))
    .await;
    execute(
        &writer,
        "UPDATE resources SET translation_status = 'failed' WHERE code = 'DEMO-005'".to_owned(),
    )
    .await;
    writer.close().await;

    let pool = database.connect(server.data.path(), false).await;
    let busiest_person = integers(&pool, "SELECT person_id FROM resource_people GROUP BY person_id ORDER BY COUNT(*) DESC, person_id LIMIT 1".to_owned()).await[0];
    let busiest_tag = integers(
        &pool,
        "SELECT tag_id FROM resource_tags GROUP BY tag_id ORDER BY COUNT(*) DESC, tag_id LIMIT 1"
            .to_owned(),
    )
    .await[0];
    let all = "SELECT code FROM resources";
    let cases: Vec<(String, String)> = vec![
        ("".into(), format!("{all} ORDER BY code, id")),
        (
            "order=desc".into(),
            format!("{all} ORDER BY code DESC, id DESC"),
        ),
        (
            "sort=release_date".into(),
            format!("{all} ORDER BY (release_date IS NULL), release_date DESC, id DESC"),
        ),
        (
            "sort=release_date&order=asc".into(),
            format!("{all} ORDER BY (release_date IS NULL) DESC, release_date, id"),
        ),
        (
            "sort=added_at".into(),
            format!("{all} ORDER BY created_at DESC, id DESC"),
        ),
        (
            "sort=added_at&order=asc".into(),
            format!("{all} ORDER BY created_at, id"),
        ),
        (
            "sort=video_time".into(),
            format!("{all} WHERE video_file IS NOT NULL ORDER BY video_saved_at DESC, id DESC"),
        ),
        (
            "sort=video_time&order=asc".into(),
            format!("{all} WHERE video_file IS NOT NULL ORDER BY video_saved_at, id"),
        ),
        (
            "downloaded=true".into(),
            format!("{all} WHERE video_file IS NOT NULL ORDER BY code"),
        ),
        (
            "downloaded=false".into(),
            format!("{all} WHERE video_file IS NULL ORDER BY code"),
        ),
        (
            "translation_status=completed".into(),
            format!("{all} WHERE translation_status = 'completed' ORDER BY code"),
        ),
        (
            "translation_status=pending".into(),
            format!("{all} WHERE translation_status = 'pending' ORDER BY code"),
        ),
        (
            "translation_status=failed".into(),
            format!("{all} WHERE translation_status = 'failed' ORDER BY code"),
        ),
        (
            "source=fixture-beta".into(),
            format!("{all} WHERE source_plugin = 'fixture-beta' ORDER BY code"),
        ),
        (
            "source=fixture-alpha&sort=added_at".into(),
            format!(
                "{all} WHERE source_plugin = 'fixture-alpha' ORDER BY created_at DESC, id DESC"
            ),
        ),
        (
            "source=nobody".into(),
            format!("{all} WHERE source_plugin = 'nobody'"),
        ),
        (
            format!("person={busiest_person}"),
            format!(
                "{all} WHERE id IN (SELECT resource_id FROM resource_people WHERE person_id = {busiest_person}) ORDER BY code"
            ),
        ),
        (
            format!("tag={busiest_tag}&order=desc"),
            format!(
                "{all} WHERE id IN (SELECT resource_id FROM resource_tags WHERE tag_id = {busiest_tag}) ORDER BY code DESC"
            ),
        ),
        (
            "search=demo-00".into(),
            format!("{all} WHERE lower(code) LIKE '%demo-00%' ORDER BY code"),
        ),
        (
            format!("search={}", translated_word.to_ascii_uppercase()),
            format!("{all} WHERE lower(title_translated) LIKE '%{translated_word}%' ORDER BY code"),
        ),
        (
            "search=%25".into(),
            format!("{all} WHERE code LIKE '%!%%' ESCAPE '!'"),
        ),
        (
            "search=_".into(),
            format!("{all} WHERE code LIKE '%!_%' ESCAPE '!'"),
        ),
        (
            "source=fixture-alpha&downloaded=false&sort=release_date&order=asc".into(),
            format!(
                "{all} WHERE source_plugin = 'fixture-alpha' AND video_file IS NULL ORDER BY (release_date IS NULL) DESC, release_date, id"
            ),
        ),
        (
            format!("person={busiest_person}&downloaded=true"),
            format!(
                "{all} WHERE video_file IS NOT NULL AND id IN (SELECT resource_id FROM resource_people WHERE person_id = {busiest_person}) ORDER BY code"
            ),
        ),
    ];
    let on = database.name;
    for (query, sql) in &cases {
        let expected = strings(&pool, sql.clone()).await;
        let (status, list) = server
            .get_json(&format!("/api/resources?{query}&page_size=1000"))
            .await;
        assert_eq!(status, 200, "{on} ?{query}: {list}");
        assert_eq!(codes(&list), expected, "{on} ?{query} vs {sql}");
        assert_eq!(list["total"], expected.len(), "{on} ?{query}");
    }
    // The filters are not vacuous: each tells some rows apart.
    assert_eq!(
        strings(&pool, format!("{all} WHERE video_file IS NOT NULL"))
            .await
            .len(),
        3
    );
    assert_eq!(
        strings(&pool, format!("{all} WHERE source_plugin = 'fixture-beta'"))
            .await
            .len(),
        4
    );

    let by_code = strings(&pool, format!("{all} ORDER BY code")).await;
    for (page, range) in [(1, 0..5), (2, 5..10), (3, 10..12)] {
        let (_, list) = server
            .get_json(&format!("/api/resources?page={page}&page_size=5"))
            .await;
        assert_eq!(codes(&list), by_code[range], "{on} page {page}");
        assert_eq!(
            (
                list["total"].clone(),
                list["page"].clone(),
                list["page_size"].clone()
            ),
            (12.into(), page.into(), 5.into()),
            "{on}"
        );
    }
    let (_, beyond) = server.get_json("/api/resources?page=9&page_size=5").await;
    assert_eq!(
        (codes(&beyond).len(), beyond["total"].clone()),
        (0, 12.into()),
        "{on}"
    );

    compare_people_and_tags(&server, &pool, on).await;
    pool.close().await;
    server.stop().await;
}

async fn compare_people_and_tags(server: &TestServer, pool: &AnyPool, on: &str) {
    let works = "(SELECT COUNT(*) FROM resource_people rp WHERE rp.person_id = p.id)";
    let people_cases: Vec<(&str, String)> = vec![
        ("", "SELECT name FROM people p ORDER BY name, id".into()),
        (
            "has_avatar=true",
            "SELECT name FROM people p WHERE avatar_file IS NOT NULL ORDER BY name, id".into(),
        ),
        (
            "has_avatar=false",
            "SELECT name FROM people p WHERE avatar_file IS NULL ORDER BY name, id".into(),
        ),
        (
            "sort=work_count",
            format!("SELECT name FROM people p ORDER BY {works} DESC, id DESC"),
        ),
        (
            "sort=work_count&order=asc&has_avatar=true",
            format!("SELECT name FROM people p WHERE avatar_file IS NOT NULL ORDER BY {works}, id"),
        ),
    ];
    for (query, sql) in people_cases {
        let expected = strings(pool, sql.clone()).await;
        let (status, list) = server
            .get_json(&format!("/api/actors?{query}&page_size=1000"))
            .await;
        assert_eq!(status, 200, "{on} actors ?{query}: {list}");
        assert_eq!(names(&list), expected, "{on} actors ?{query} vs {sql}");
    }
    // Avatars were fetched for exactly the cast members the site has a picture of (people
    // come from the metadata site, so DEMO-025 has none).
    let (_, with_avatar) = server
        .get_json("/api/actors?has_avatar=true&page_size=1000")
        .await;
    let mut expected: Vec<String> = ADDED
        .iter()
        .filter(|&&n| catalog::has_metadata(n))
        .flat_map(|&n| catalog::people(n))
        .filter(|p| catalog::person_has_avatar(p.id))
        .map(|p| super::expected_name_and_alias(p.name).0)
        .collect();
    expected.sort();
    expected.dedup();
    let mut stored = names(&with_avatar);
    stored.sort();
    assert_eq!(stored, expected, "{on}");
    for item in with_avatar["items"].as_array().expect("items") {
        assert_eq!(
            item["avatar_path"],
            format!("/api/actors/{}/avatar", item["id"]),
            "{on}"
        );
    }
    let (_, by_work) = server
        .get_json("/api/actors?sort=work_count&page_size=1000")
        .await;
    let counts: Vec<i64> = by_work["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["work_count"].as_i64().unwrap_or(-1))
        .collect();
    let sql_counts = integers(
        pool,
        format!("SELECT {works} FROM people p ORDER BY {works} DESC, id DESC"),
    )
    .await;
    assert_eq!(counts, sql_counts, "{on}");

    let tag_works = "(SELECT COUNT(*) FROM resource_tags rt WHERE rt.tag_id = t.id)";
    for (query, sql) in [
        ("", "SELECT name FROM tags t ORDER BY name, id".to_owned()),
        (
            "order=desc",
            "SELECT name FROM tags t ORDER BY name DESC, id DESC".to_owned(),
        ),
        (
            "sort=work_count",
            format!("SELECT name FROM tags t ORDER BY {tag_works} DESC, id DESC"),
        ),
        (
            "search=ra",
            "SELECT name FROM tags t WHERE lower(name) LIKE '%ra%' ORDER BY name, id".to_owned(),
        ),
    ] {
        let expected = strings(pool, sql.clone()).await;
        let (status, list) = server
            .get_json(&format!("/api/genres?{query}&page_size=1000"))
            .await;
        assert_eq!(status, 200, "{on} genres ?{query}: {list}");
        assert_eq!(names(&list), expected, "{on} genres ?{query} vs {sql}");
        assert_eq!(list["total"], expected.len(), "{on} genres ?{query}");
    }
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn list_parameters_are_validated() {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, json!({})).await;
    for path in [
        "/api/resources?sort=title",
        "/api/resources?sort=",
        "/api/resources?order=sideways",
        "/api/resources?page_size=0",
        "/api/resources?page_size=5000",
        "/api/resources?page_size=-1",
        "/api/resources?page=0",
        "/api/resources?page=abc",
        "/api/resources?downloaded=maybe",
        "/api/resources?translation_status=done",
        "/api/resources?person=ten",
        "/api/resources?tag=1.5",
        "/api/resources?colour=red",
        "/api/resources?Sort=code",
        "/api/actors?sort=age",
        "/api/actors?has_avatar=yes",
        "/api/actors?page_size=0",
        "/api/actors?tag=1",
        "/api/genres?sort=popularity",
        "/api/genres?page_size=1001",
        "/api/genres?has_avatar=true",
    ] {
        let (status, body) = server.get_json(path).await;
        check_error(path, status, &body, 400, "bad_request");
    }
    // The edges of what is accepted.
    for path in [
        "/api/resources?page_size=1",
        "/api/resources?page_size=1000",
        "/api/resources?downloaded=0&order=asc",
        "/api/actors?has_avatar=1",
        "/api/genres?sort=work_count&order=asc",
    ] {
        let (status, body) = server.get_json(path).await;
        assert_eq!(
            (status, body["total"].clone()),
            (200, 0.into()),
            "{path}: {body}"
        );
    }
    server.stop().await;
}

/// Collections answer the same with a trailing slash, as clients of the system Kura
/// replaces write them (`/api/resources/?page=1`).
#[tokio::test]
async fn collection_routes_answer_with_a_trailing_slash_too() {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, json!({})).await;
    for code in ["DEMO-001", "DEMO-002"] {
        add(&server, code).await;
    }
    for (plain, slashed) in [
        ("/api/resources?page_size=5", "/api/resources/?page_size=5"),
        ("/api/actors?page_size=5", "/api/actors/?page_size=5"),
        ("/api/genres?page_size=5", "/api/genres/?page_size=5"),
        (
            "/api/resource/DEMO-001/metadata",
            "/api/resource/DEMO-001/metadata/",
        ),
    ] {
        let (status, without) = server.get_json(plain).await;
        assert_eq!(status, 200, "{plain}: {without}");
        let (status, with) = server.get_json(slashed).await;
        assert_eq!(status, 200, "{slashed}: {with}");
        assert_eq!(with, without, "{slashed}");
        assert!(with.as_object().is_some_and(|o| !o.is_empty()), "{with}");
    }
    server.stop().await;
}

/// `GET /api/actors/{id}`: one person as the list shows them, with their works' link.
#[tokio::test]
async fn one_person_answers_with_the_lists_figures() {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, json!({})).await;
    for code in ["DEMO-001", "DEMO-005"] {
        add(&server, code).await;
    }
    let (_, people) = server.get_json("/api/actors?page_size=100").await;
    let listed = people["items"].as_array().expect("items");
    assert!(!listed.is_empty(), "{people}");
    for person in listed {
        let id = person["id"].as_i64().expect("id");
        let (status, one) = server.get_json(&format!("/api/actors/{id}")).await;
        assert_eq!(status, 200, "{one}");
        assert_eq!(one["name"], person["name"], "{one}");
        assert_eq!(one["work_count"], person["work_count"], "{one} vs {person}");
        assert_eq!(
            one["avatar_path"], person["avatar_path"],
            "{one} vs {person}"
        );
        let works_url = one["works_url"].as_str().expect("works_url");
        let (_, works) = server.get_json(works_url).await;
        assert_eq!(works["total"], person["work_count"], "{works}");
    }
    let (status, body) = server.get_json("/api/actors/999999").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("person_not_found"))
    );
    let (status, body) = server.get_json("/api/actors/abc").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
    server.stop().await;
}
