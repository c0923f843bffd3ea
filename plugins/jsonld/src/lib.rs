//! Generic scraper over open standards: schema.org JSON-LD (`Movie`/`VideoObject`) first,
//! OpenGraph (`og:*`, `og:video:*`) as the fallback, from `page-url` when the host passes one,
//! else from the `url_template` setting.

mod read;

use kura_plugin_sdk::{Error, Metadata, Scraper, http, settings};

/// The exported scraper.
struct JsonLd;

impl Scraper for JsonLd {
    fn scrape(code: String, page_url: Option<String>) -> Result<Metadata, Error> {
        let url = match page_url.filter(|url| !url.trim().is_empty()) {
            Some(url) => url,
            None => settings::require("url_template")?.replace("{code}", &code),
        };
        let response = http::get(&url, &[("Accept", "text/html")])?.error_for_status()?;
        read::metadata(&code, &response.text(), &response.final_url)
    }
}

kura_plugin_sdk::export_scraper!(JsonLd);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing::{self, Replay};

    use super::*;

    #[test]
    fn manifest_is_valid() {
        testing::check_manifest();
    }

    #[test]
    fn reads_the_fixture_movie() {
        let metadata = testing::replay("tests/cassettes/scrape-demo-001.json", || {
            JsonLd::scrape("DEMO-001".to_string(), None)
        })
        .expect("DEMO-001 has JSON-LD");
        assert_eq!(
            metadata.page_url.as_deref(),
            Some("http://127.0.0.1:8399/meta/DEMO-001")
        );
        assert!(metadata.title.is_some());
        assert!(metadata.release_date.is_some());
        assert!(metadata.duration_seconds.is_some_and(|seconds| seconds > 0));
        assert!(metadata.studio.is_some());
        assert!(!metadata.people.is_empty());
        assert!(!metadata.tags.is_empty());
        assert_eq!(
            metadata.cover_url.as_deref(),
            Some("http://127.0.0.1:8399/media/cover/DEMO-001.jpg")
        );
    }

    #[test]
    fn uses_the_page_url_when_given() {
        let metadata = testing::replay("tests/cassettes/scrape-page-url.json", || {
            JsonLd::scrape(
                "DEMO-001".to_string(),
                Some("http://127.0.0.1:8399/alpha/v/DEMO-001".to_string()),
            )
        })
        .expect("alpha's page has OpenGraph");
        assert_eq!(
            metadata.page_url.as_deref(),
            Some("http://127.0.0.1:8399/alpha/v/DEMO-001")
        );
        assert_eq!(
            metadata.cover_url.as_deref(),
            Some("http://127.0.0.1:8399/alpha/img/DEMO-001.jpg")
        );
        assert!(metadata.people.is_empty());
    }

    #[test]
    fn missing_page_is_not_found() {
        let outcome = testing::replay("tests/cassettes/scrape-demo-025.json", || {
            JsonLd::scrape("DEMO-025".to_string(), None)
        });
        assert!(matches!(outcome, Err(Error::NotFound(_))), "{outcome:?}");
    }

    #[test]
    fn page_without_metadata_is_a_parse_error() {
        let outcome = testing::replay("tests/cassettes/scrape-plain-page.json", || {
            JsonLd::scrape(
                "DEMO-001".to_string(),
                Some("http://127.0.0.1:8399/alpha/search?q=x".to_string()),
            )
        });
        assert!(matches!(outcome, Err(Error::Parse(_))), "{outcome:?}");
    }

    #[test]
    fn avatar_is_unsupported() {
        let outcome = Replay::offline().run(|| JsonLd::avatar("Anyone".to_string()));
        assert!(matches!(outcome, Err(Error::Unsupported(_))), "{outcome:?}");
    }
}
