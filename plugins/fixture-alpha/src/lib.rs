//! Source plugin for the fixture site's alpha pages: `GET {domain}/v/{CODE}` is an HTML item
//! page with the title in `<h1 class="title">`, the cover in `og:image` and the playlist in an
//! inline `var hlsUrl = "...";`. The stream answers 403 without `Referer: {domain}/v/{CODE}`.

mod page;

use kura_plugin_sdk::{Error, SearchHit, Source, StreamHit, http, settings, urls};

/// The exported source.
struct Alpha;

impl Source for Alpha {
    fn resolve(code: String) -> Result<StreamHit, Error> {
        check_code(&code)?;
        let domain = settings::domain()?;
        let page_url = format!("{domain}/v/{code}");
        let response = http::get(&page_url, &[("Accept", "text/html")])?.error_for_status()?;
        page::stream_hit(&response.text(), &response.final_url, &page_url)
    }

    fn search(query: String) -> Result<Vec<SearchHit>, Error> {
        let domain = settings::domain()?;
        let url = format!(
            "{domain}/search?q={}",
            urls::encode_query_value(query.trim())
        );
        let response = http::get(&url, &[("Accept", "text/html")])?.error_for_status()?;
        Ok(page::search_hits(&response.text(), &response.final_url))
    }
}

/// Codes reach plugins in canonical form; anything that could break the URL is refused.
fn check_code(code: &str) -> Result<(), Error> {
    let valid = !code.is_empty()
        && code
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-');
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "not a canonical code: {code:?}"
        )))
    }
}

kura_plugin_sdk::export_source!(Alpha);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing::{self, Replay};

    use super::*;

    #[test]
    fn manifest_is_valid() {
        testing::check_manifest();
    }

    #[test]
    fn resolves_an_item_with_its_referer() {
        let hit = testing::replay("tests/cassettes/resolve-demo-001.json", || {
            Alpha::resolve("DEMO-001".to_string())
        })
        .expect("DEMO-001 is on alpha");
        assert_eq!(hit.page_url, "http://127.0.0.1:8399/alpha/v/DEMO-001");
        assert_eq!(
            hit.playlist_url,
            "http://127.0.0.1:8399/stream/DEMO-001/master.m3u8?site=alpha"
        );
        assert!(hit.title.as_deref().is_some_and(|title| !title.is_empty()));
        assert_eq!(
            hit.cover_url.as_deref(),
            Some("http://127.0.0.1:8399/alpha/img/DEMO-001.jpg")
        );
        assert_eq!(
            hit.headers,
            vec![(
                "Referer".to_string(),
                "http://127.0.0.1:8399/alpha/v/DEMO-001".to_string()
            )]
        );
    }

    #[test]
    fn unknown_code_is_not_found() {
        let outcome = testing::replay("tests/cassettes/resolve-demo-003.json", || {
            Alpha::resolve("DEMO-003".to_string())
        });
        assert!(matches!(outcome, Err(Error::NotFound(_))), "{outcome:?}");
    }

    #[test]
    fn searches() {
        let hits = testing::replay("tests/cassettes/search-demo-00.json", || {
            Alpha::search("DEMO-00".to_string())
        })
        .expect("search answers");
        assert!(hits.iter().any(|hit| hit.code == "DEMO-001"));
        assert!(
            hits.iter()
                .all(|hit| hit.page_url.starts_with("http://127.0.0.1:8399/alpha/v/"))
        );
    }

    #[test]
    fn refuses_non_canonical_codes_without_fetching() {
        let outcome = Replay::offline().run(|| Alpha::resolve("../admin".to_string()));
        assert!(
            matches!(outcome, Err(Error::InvalidInput(_))),
            "{outcome:?}"
        );
    }

    #[test]
    fn missing_domain_is_invalid_input() {
        let outcome = Replay::offline()
            .unset("domain")
            .run(|| Alpha::resolve("DEMO-001".to_string()));
        assert!(
            matches!(outcome, Err(Error::InvalidInput(_))),
            "{outcome:?}"
        );
    }
}
