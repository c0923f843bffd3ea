//! Reading a metadata page's `<dl class="facts">` table, title, cover and description.

use kura_plugin_sdk::html::{self, Document};
use kura_plugin_sdk::{Error, Metadata, Person, jsonld, urls};

/// The metadata of the page fetched from `page_url`; `parse` error without a facts table.
pub(crate) fn metadata(code: &str, page: &str, page_url: &str) -> Result<Metadata, Error> {
    let document = Document::parse(page);
    let facts = document.select("dl.facts");
    let Some(table) = facts.first() else {
        return Err(Error::parse(format!(
            "no <dl class=\"facts\"> on {page_url}"
        )));
    };
    let mut metadata = Metadata::new(code);
    metadata.page_url = Some(page_url.to_string());
    metadata.title = document
        .select_text("h1.title")
        .or_else(|| document.select_text("h1"))
        .or_else(|| document.meta("og:title"));
    metadata.cover_url = document
        .meta("og:image")
        .or_else(|| document.select_attr("img.cover", "src"))
        .and_then(|cover| urls::join(page_url, &cover));
    metadata.description = document
        .select_text(".description")
        .or_else(|| document.meta("og:description"));

    let mut label = None::<String>;
    for child in table.child_elements() {
        match child.value().name() {
            "dt" => label = Some(html::element_text(child).to_ascii_lowercase()),
            "dd" => {
                let value = html::element_text(child);
                match label.as_deref().unwrap_or_default() {
                    "release date" => metadata.release_date = jsonld::iso_date(&value),
                    "duration" => {
                        metadata.duration_seconds = minutes(&value).map(|minutes| minutes * 60)
                    }
                    "studio" => metadata.studio = non_empty(value),
                    "label" => metadata.label = non_empty(value),
                    "series" => metadata.series = non_empty(value),
                    "cast" => {
                        let selector = html::scraper::Selector::parse("a")
                            .map_err(|_| Error::other("selector"))?;
                        metadata.people = child
                            .select(&selector)
                            .map(|link| Person {
                                page_url: link
                                    .value()
                                    .attr("href")
                                    .and_then(|href| urls::join(page_url, href)),
                                ..Person::new(html::element_text(link))
                            })
                            .filter(|person| !person.name.is_empty())
                            .collect();
                    }
                    "genres" => {
                        metadata.tags = value
                            .split([',', '、'])
                            .map(str::trim)
                            .filter(|tag| !tag.is_empty())
                            .map(str::to_string)
                            .collect();
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(metadata)
}

/// The leading number of `125 min`.
fn minutes(text: &str) -> Option<u32> {
    let digits: String = text
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><head><meta property="og:image" content="/media/cover/X-1.jpg"></head><body>
        <h1 class="title">題名</h1><p class="description">説明</p>
        <dl class="facts">
        <dt>Release date</dt><dd>2024-02-03</dd><dt>Duration</dt><dd>95 min</dd>
        <dt>Studio</dt><dd>S &amp; Co</dd><dt>Label</dt><dd>L</dd>
        <dt>Cast</dt><dd><a class="person" href="/meta/person/3">名前（別名）</a>, <a class="person" href="/meta/person/4">B</a></dd>
        <dt>Genres</dt><dd><span class="genre">g1</span>, <span class="genre">g2</span></dd>
        </dl></body></html>"#;

    #[test]
    fn reads_every_fact() {
        let metadata = metadata("X-1", PAGE, "http://m.test/meta/X-1").expect("metadata");
        assert_eq!(metadata.title.as_deref(), Some("題名"));
        assert_eq!(metadata.release_date.as_deref(), Some("2024-02-03"));
        assert_eq!(metadata.duration_seconds, Some(95 * 60));
        assert_eq!(metadata.studio.as_deref(), Some("S & Co"));
        assert_eq!(metadata.label.as_deref(), Some("L"));
        assert_eq!(metadata.series, None);
        assert_eq!(metadata.people.len(), 2);
        assert_eq!(metadata.people[0].name, "名前（別名）");
        assert_eq!(
            metadata.people[0].page_url.as_deref(),
            Some("http://m.test/meta/person/3")
        );
        assert_eq!(metadata.tags, vec!["g1", "g2"]);
        assert_eq!(
            metadata.cover_url.as_deref(),
            Some("http://m.test/media/cover/X-1.jpg")
        );
        assert_eq!(metadata.description.as_deref(), Some("説明"));
    }

    #[test]
    fn page_without_facts_is_a_parse_error() {
        assert!(matches!(
            metadata("X-1", "<h1>x</h1>", "http://m.test/"),
            Err(Error::Parse(_))
        ));
    }
}
