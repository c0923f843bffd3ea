//! The running server over real HTTP on 127.0.0.1:0: pages, protection, streams, covers and counters.

mod faults;
mod injection;
mod llm;
mod single_file;

use reqwest::StatusCode;
use reqwest::header::{REFERER, SET_COOKIE};

use super::{FixtureConfig, FixtureSite};
use crate::catalog;
use crate::media::{CoverSource, cover_jpeg};

/// A site with small segments and a short `slow` model.
async fn start() -> FixtureSite {
    let config = FixtureConfig {
        segment_bytes: 4 * 1024,
        llm_slow_ms: 50,
        ..FixtureConfig::default()
    };
    FixtureSite::start(config).await.expect("binds 127.0.0.1:0")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

async fn get(url: &str) -> reqwest::Response {
    client().get(url).send().await.expect("request succeeds")
}

async fn body(response: reqwest::Response) -> Vec<u8> {
    response.bytes().await.expect("body arrives").to_vec()
}

#[tokio::test]
async fn item_pages_follow_the_catalog() {
    let site = start().await;
    let base = site.base_url();
    assert_eq!(site.config().segment_bytes, 4 * 1024);
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with('/'));
    for (path, status) in [
        ("/alpha/v/DEMO-001", 200),
        ("/alpha/v/DEMO-002", 200),
        ("/alpha/v/DEMO-003", 404),
        ("/alpha/v/DEMO-030", 404),
        ("/beta/item/1", 200),
        ("/beta/item/2", 404),
        ("/beta/item/3", 200),
        ("/meta/DEMO-001", 200),
        ("/meta/DEMO-025", 404),
        ("/meta/person/10", 200),
        ("/meta/person/41", 404),
        ("/nowhere", 404),
    ] {
        assert_eq!(
            get(&format!("{base}{path}")).await.status().as_u16(),
            status,
            "{path}"
        );
    }
    let page = String::from_utf8(body(get(&format!("{base}/alpha/v/DEMO-001")).await).await)
        .expect("utf-8");
    assert!(page.contains("<h1 class=\"title\">夏の海辺</h1>"));
    assert!(page.contains(&format!(
        "var hlsUrl = \"{base}/stream/DEMO-001/master.m3u8?site=alpha\";"
    )));
    assert!(page.contains(&format!(
        "<meta property=\"og:image\" content=\"{base}/alpha/img/DEMO-001.jpg\">"
    )));
    let search =
        String::from_utf8(body(get(&format!("{base}/alpha/search?q=DEMO-002")).await).await)
            .expect("utf-8");
    assert!(search.contains(&format!(
        "<a class=\"result\" href=\"/alpha/v/DEMO-002\">{}</a>",
        catalog::title_ja(2)
    )));
    let beta: serde_json::Value = get(&format!("{base}/beta/api/search?q=DEMO-003"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(beta["results"][0]["id"], 3);
    let none: serde_json::Value = get(&format!("{base}/beta/api/search?q=DEMO-002"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none, serde_json::json!({ "results": [] }));
    let people: serde_json::Value = get(&format!("{base}/meta/people/search?name=コトネ"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(people["people"][0]["id"], 2);
    assert_eq!(
        people["people"][0]["avatar"],
        format!("{base}/media/avatar/2.jpg")
    );
    let faceless: serde_json::Value = get(&format!("{base}/meta/people/search?name=つむぎ"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(faceless["people"][0]["id"], 7);
    assert_eq!(
        faceless["people"][0]["avatar"],
        serde_json::Value::Null,
        "7 % 4 == 3: no avatar"
    );
    site.shutdown().await;
}

#[tokio::test]
async fn alpha_streams_need_the_referer() {
    let site = start().await;
    let base = site.base_url();
    let master = format!("{base}/stream/DEMO-001/master.m3u8?site=alpha");
    assert_eq!(get(&master).await.status(), StatusCode::FORBIDDEN);
    let wrong = client()
        .get(&master)
        .header(REFERER, format!("{base}/alpha/v/DEMO-002"))
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let referer = format!("{base}/alpha/v/DEMO-001");
    let fetch = |path: String| {
        let referer = referer.clone();
        async move {
            client()
                .get(path)
                .header(REFERER, referer)
                .send()
                .await
                .expect("sent")
        }
    };
    let playlist = fetch(master.clone()).await;
    assert_eq!(playlist.status(), StatusCode::OK);
    assert!(
        String::from_utf8(body(playlist).await)
            .expect("utf-8")
            .contains("0/index.m3u8?site=alpha")
    );
    let segment = fetch(format!("{base}/stream/DEMO-001/2/seg1.ts?site=alpha")).await;
    assert_eq!(
        body(segment).await,
        catalog::served_segment(1, 2, 1, 4 * 1024)
    );
    assert_eq!(
        get(&format!("{base}/stream/DEMO-003/master.m3u8?site=alpha"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&format!("{base}/stream/DEMO-001/master.m3u8?site=gamma"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&format!("{base}/stream/DEMO-001/master.m3u8"))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn beta_streams_need_the_session_cookie() {
    let site = start().await;
    let base = site.base_url();
    let playlist = format!("{base}/stream/DEMO-003/0/index.m3u8?site=beta");
    assert_eq!(get(&playlist).await.status(), StatusCode::FORBIDDEN);
    let forged = client()
        .get(&playlist)
        .header("cookie", "beta_session=forged")
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client builds");
    let item = browser
        .get(format!("{base}/beta/item/3"))
        .send()
        .await
        .expect("sent");
    assert!(
        item.headers()[SET_COOKIE]
            .to_str()
            .expect("ascii")
            .starts_with("beta_session=")
    );
    let page = item.text().await.expect("text");
    assert!(page.contains("<title>春の庭 | Beta</title>"));
    assert!(page.contains(&format!(
        "data-playlist=\"{base}/stream/DEMO-003/master.m3u8?site=beta\""
    )));
    let allowed = browser.get(&playlist).send().await.expect("sent");
    assert_eq!(allowed.status(), StatusCode::OK);
    assert!(
        allowed
            .text()
            .await
            .expect("text")
            .contains("seg0.ts?site=beta")
    );
}

#[tokio::test]
async fn streams_match_the_catalog() {
    let site = start().await;
    let base = site.base_url();
    let size = site.config().segment_bytes;
    for (n, variant) in [(1, 0), (7, 2), (11, 1)] {
        let code = catalog::code(n);
        let full = body(get(&format!("{base}/stream/{code}/{variant}/full")).await).await;
        assert_eq!(full, catalog::full_stream(n, variant, size), "{code}");
        let extension = catalog::stream_kind(n).segment_extension();
        let last = catalog::segment_count(n) - 1;
        let segment = body(
            get(&format!(
                "{base}/stream/{code}/{variant}/seg{last}.{extension}"
            ))
            .await,
        )
        .await;
        assert_eq!(
            segment,
            catalog::served_segment(n, variant, last, size),
            "{code}"
        );
        let missing = get(&format!(
            "{base}/stream/{code}/{variant}/seg{}.{extension}",
            last + 1
        ))
        .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
    let key = body(get(&format!("{base}/stream/DEMO-007/key.bin")).await).await;
    assert_eq!(key, catalog::aes_key(7));
    assert_eq!(
        get(&format!("{base}/stream/DEMO-001/key.bin"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let init = body(get(&format!("{base}/stream/DEMO-011/0/init.mp4")).await).await;
    assert_eq!(Some(init), catalog::init_segment(11, 0));
    assert_eq!(
        get(&format!("{base}/stream/DEMO-001/0/init.mp4"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&format!("{base}/stream/DEMO-001/3/index.m3u8"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&format!("{base}/stream/DEMO-030/master.m3u8"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn covers_and_avatars() {
    let site = start().await;
    let base = site.base_url();
    let cover = get(&format!("{base}/media/cover/DEMO-001.jpg")).await;
    assert_eq!(cover.headers()["content-type"], "image/jpeg");
    assert_eq!(body(cover).await, cover_jpeg(CoverSource::Meta, 1));
    for (path, statuses) in [
        ("/media/cover/DEMO-013.jpg", [403, 200, 200]),
        ("/media/cover/DEMO-026.jpg", [403, 403, 403]),
        ("/media/cover/DEMO-025.jpg", [404, 404, 404]),
        ("/alpha/img/DEMO-002.jpg", [200, 200, 200]),
        ("/alpha/img/DEMO-003.jpg", [404, 404, 404]),
        ("/beta/img/DEMO-003.jpg", [200, 200, 200]),
        ("/media/avatar/1.jpg", [200, 200, 200]),
        ("/media/avatar/3.jpg", [404, 404, 404]),
    ] {
        for expected in statuses {
            assert_eq!(
                get(&format!("{base}{path}")).await.status().as_u16(),
                expected,
                "{path}"
            );
        }
    }
    assert_eq!(site.hits("/media/cover/DEMO-013.jpg"), 3);
}

#[tokio::test]
async fn counts_hits_by_path() {
    let site = start().await;
    let base = site.base_url();
    assert_eq!(site.total_hits(), 0);
    get(&format!("{base}/alpha/v/DEMO-001")).await;
    get(&format!("{base}/alpha/search?q=a")).await;
    get(&format!("{base}/alpha/search?q=b")).await;
    get(&format!("{base}/does/not/exist")).await;
    assert_eq!(site.hits("/alpha/v/DEMO-001"), 1);
    assert_eq!(site.hits("/alpha/search"), 2);
    assert_eq!(site.hits("/does/not/exist"), 1);
    assert_eq!(site.hits("/alpha/v/DEMO-002"), 0);
    assert_eq!(site.total_hits(), 4);
}

#[tokio::test]
async fn shutdown_ends_stalled_responses_and_closes_the_port() {
    let site = start().await;
    let base = site.base_url();
    let stalled = get(&format!("{base}/fault/stall")).await;
    assert_eq!(stalled.status(), StatusCode::OK);
    let reader = tokio::spawn(async move { stalled.bytes().await.is_err() });
    site.shutdown().await;
    assert!(
        reader.await.expect("reader task"),
        "the stalled body ends in an error"
    );
    assert!(
        client().get(&base).send().await.is_err(),
        "nothing listens any more"
    );
}
