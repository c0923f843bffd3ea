//! Scraper plugin for the fixture site's metadata pages: `GET {domain}/{CODE}` has a
//! `<dl class="facts">` table (release date, duration in minutes, studio, label, series, cast
//! links, genres), the title in `<h1>`, the cover in `og:image`; `GET
//! {domain}/people/search?name=` finds avatars.

mod facts;

use kura_plugin_sdk::{Error, Metadata, Scraper, http, settings, urls};
use serde::Deserialize;

/// The exported scraper.
struct Meta;

impl Scraper for Meta {
    fn scrape(code: String, _page_url: Option<String>) -> Result<Metadata, Error> {
        if code.is_empty() || code.contains(['/', '?', '#']) {
            return Err(Error::invalid_input(format!(
                "not a canonical code: {code:?}"
            )));
        }
        let domain = settings::domain()?;
        let url = format!("{domain}/{code}");
        let response = http::get(&url, &[("Accept", "text/html")])?.error_for_status()?;
        facts::metadata(&code, &response.text(), &response.final_url)
    }

    fn avatar(name: String) -> Result<Option<String>, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid_input("empty name"));
        }
        let domain = settings::domain()?;
        let url = format!(
            "{domain}/people/search?name={}",
            urls::encode_query_value(name)
        );
        let answer: PeopleAnswer = http::get(&url, &[("Accept", "application/json")])?
            .error_for_status()?
            .json()?;
        let person = answer
            .people
            .iter()
            .find(|person| person.name == name)
            .or_else(|| {
                answer
                    .people
                    .iter()
                    .find(|person| person.name.eq_ignore_ascii_case(name))
            })
            .or(match answer.people.as_slice() {
                [only] => Some(only),
                _ => None,
            })
            .ok_or_else(|| Error::not_found(format!("no person named {name}")))?;
        Ok(person.avatar.clone())
    }
}

/// `{"people":[{"id":N,"name":"...","avatar":URL-or-null}]}`.
#[derive(Debug, Deserialize)]
struct PeopleAnswer {
    people: Vec<PersonEntry>,
}

#[derive(Debug, Deserialize)]
struct PersonEntry {
    name: String,
    avatar: Option<String>,
}

kura_plugin_sdk::export_scraper!(Meta);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing;

    use super::*;

    #[test]
    fn manifest_is_valid() {
        testing::check_manifest();
    }

    #[test]
    fn scrapes_the_facts_table() {
        let metadata = testing::replay("tests/cassettes/scrape-demo-001.json", || {
            Meta::scrape("DEMO-001".to_string(), None)
        })
        .expect("DEMO-001 has metadata");
        assert_eq!(metadata.code, "DEMO-001");
        assert_eq!(
            metadata.page_url.as_deref(),
            Some("http://127.0.0.1:8399/meta/DEMO-001")
        );
        assert!(metadata.title.is_some());
        assert!(
            metadata
                .release_date
                .as_deref()
                .is_some_and(|date| date.len() == 10)
        );
        assert!(
            metadata
                .duration_seconds
                .is_some_and(|seconds| seconds % 60 == 0 && seconds > 0)
        );
        assert!(metadata.studio.is_some() && metadata.label.is_some());
        assert_eq!(
            metadata.cover_url.as_deref(),
            Some("http://127.0.0.1:8399/media/cover/DEMO-001.jpg")
        );
        assert!(!metadata.people.is_empty());
        assert!(metadata.people.iter().all(|person| {
            person
                .page_url
                .as_deref()
                .is_some_and(|url| url.starts_with("http://127.0.0.1:8399/meta/person/"))
        }));
        assert!(!metadata.tags.is_empty());
        assert!(metadata.description.is_some());
    }

    #[test]
    fn missing_page_is_not_found() {
        let outcome = testing::replay("tests/cassettes/scrape-demo-025.json", || {
            Meta::scrape("DEMO-025".to_string(), None)
        });
        assert!(matches!(outcome, Err(Error::NotFound(_))), "{outcome:?}");
    }

    #[test]
    fn avatars_from_the_people_search() {
        let (with, without, unknown) = testing::replay("tests/cassettes/avatar.json", || {
            (
                Meta::avatar("雪代 まどか".to_string()),
                Meta::avatar("天羽 ゆきな".to_string()),
                Meta::avatar("Nobody Known".to_string()),
            )
        });
        assert_eq!(
            with,
            Ok(Some("http://127.0.0.1:8399/media/avatar/8.jpg".to_string()))
        );
        assert_eq!(without, Ok(None), "person 19 has no avatar");
        assert!(matches!(unknown, Err(Error::NotFound(_))), "{unknown:?}");
    }
}
