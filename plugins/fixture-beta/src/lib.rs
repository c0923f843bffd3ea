//! Source plugin for the fixture site's beta pages: `GET {domain}/api/search?q=CODE` (JSON)
//! gives the numeric id, `GET {domain}/item/{id}` the title (`<title>… | Beta</title>`), the
//! playlist (`#player[data-playlist]`) and the cover (`img.cover`). The item page sets the
//! `beta_session` cookie the stream needs; the host's cookie jar keeps it.

mod api;

use kura_plugin_sdk::html::Document;
use kura_plugin_sdk::{Error, SearchHit, Source, StreamHit, cookies, http, settings, urls};

/// The cookie beta's streams require.
const SESSION_COOKIE: &str = "beta_session";

/// The exported source.
struct Beta;

impl Source for Beta {
    fn resolve(code: String) -> Result<StreamHit, Error> {
        let domain = settings::domain()?;
        let results = api::search(&domain, &code)?;
        let item = results
            .iter()
            .find(|item| item.code.eq_ignore_ascii_case(&code))
            .ok_or_else(|| Error::not_found(format!("beta has no {code}")))?;
        let page_url = format!("{domain}/item/{}", item.id);
        let response = http::get(&page_url, &[("Accept", "text/html")])?.error_for_status()?;
        if cookies::value(&response.final_url, SESSION_COOKIE).is_none() {
            kura_plugin_sdk::warn!(
                "{} set no {SESSION_COOKIE} cookie; the stream may answer 403",
                response.final_url
            );
        }
        item_hit(&response.text(), &response.final_url)
    }

    fn search(query: String) -> Result<Vec<SearchHit>, Error> {
        let domain = settings::domain()?;
        let results = api::search(&domain, query.trim())?;
        Ok(results
            .into_iter()
            .map(|item| {
                let page_url = format!("{domain}/item/{}", item.id);
                SearchHit::new(item.code.to_ascii_uppercase(), item.title, page_url)
            })
            .collect())
    }
}

/// Reads an item page fetched from `page_url`.
fn item_hit(page: &str, page_url: &str) -> Result<StreamHit, Error> {
    let document = Document::parse(page);
    let playlist = document
        .select_attr("#player", "data-playlist")
        .and_then(|playlist| urls::join(page_url, &playlist))
        .ok_or_else(|| Error::parse(format!("no #player[data-playlist] on {page_url}")))?;
    let mut hit = StreamHit::new(page_url, playlist);
    hit.title = document.title().map(|title| {
        title
            .strip_suffix("| Beta")
            .map(str::trim_end)
            .unwrap_or(&title)
            .to_string()
    });
    hit.cover_url = document
        .select_attr("img.cover", "src")
        .and_then(|cover| urls::join(page_url, &cover));
    Ok(hit)
}

kura_plugin_sdk::export_source!(Beta);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing;

    use super::*;

    #[test]
    fn manifest_is_valid() {
        testing::check_manifest();
    }

    #[test]
    fn resolves_through_the_api_and_item_page() {
        let (hit, session) = testing::replay("tests/cassettes/resolve-demo-003.json", || {
            let hit = Beta::resolve("DEMO-003".to_string());
            let session = cookies::value(
                "http://127.0.0.1:8399/stream/DEMO-003/master.m3u8",
                SESSION_COOKIE,
            );
            (hit, session)
        });
        let hit = hit.expect("DEMO-003 is on beta");
        assert_eq!(hit.page_url, "http://127.0.0.1:8399/beta/item/3");
        assert_eq!(
            hit.playlist_url,
            "http://127.0.0.1:8399/stream/DEMO-003/master.m3u8?site=beta"
        );
        assert_eq!(
            hit.cover_url.as_deref(),
            Some("http://127.0.0.1:8399/beta/img/DEMO-003.jpg")
        );
        let title = hit.title.expect("a title");
        assert!(!title.is_empty() && !title.contains("Beta"), "{title}");
        assert!(hit.headers.is_empty());
        assert!(session.is_some(), "the item page sets the session cookie");
    }

    #[test]
    fn code_missing_from_the_api_is_not_found() {
        let outcome = testing::replay("tests/cassettes/resolve-demo-002.json", || {
            Beta::resolve("DEMO-002".to_string())
        });
        assert!(matches!(outcome, Err(Error::NotFound(_))), "{outcome:?}");
    }

    #[test]
    fn searches_through_the_api() {
        let hits = testing::replay("tests/cassettes/search-demo-003.json", || {
            Beta::search("DEMO-003".to_string())
        })
        .expect("search answers");
        assert!(
            hits.iter()
                .any(|hit| hit.code == "DEMO-003" && hit.page_url.ends_with("/beta/item/3"))
        );
    }

    #[test]
    fn item_page_without_player_is_a_parse_error() {
        let outcome = item_hit("<title>x | Beta</title>", "http://a.test/beta/item/1");
        assert!(matches!(outcome, Err(Error::Parse(_))), "{outcome:?}");
    }
}
