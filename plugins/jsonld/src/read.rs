//! Turning a page's JSON-LD and OpenGraph into metadata (pure functions over HTML).

use kura_plugin_sdk::html::Document;
use kura_plugin_sdk::{Error, Metadata, Person, jsonld, opengraph, urls};

/// The metadata of the page fetched from `page_url`; `parse` error when it has neither a
/// JSON-LD `Movie`/`VideoObject` nor any OpenGraph tag.
pub(crate) fn metadata(code: &str, page: &str, page_url: &str) -> Result<Metadata, Error> {
    let document = Document::parse(page);
    let movie = jsonld::movie(&document);
    let graph = opengraph::read(&document);
    if movie.is_none() && graph.is_empty() {
        return Err(Error::parse(format!(
            "no JSON-LD movie and no OpenGraph tags on {page_url}"
        )));
    }
    let movie = movie.unwrap_or_default();
    let mut metadata = Metadata::new(code);
    metadata.page_url = Some(page_url.to_string());
    metadata.title = movie.name.or_else(|| graph.title().map(str::to_string));
    metadata.original_title = movie
        .alternate_name
        .filter(|name| !name.eq_ignore_ascii_case(code));
    metadata.release_date = movie
        .date_published
        .or_else(|| graph.get("video:release_date").and_then(jsonld::iso_date));
    metadata.duration_seconds = movie.duration_seconds.or_else(|| {
        graph
            .get("video:duration")
            .and_then(|seconds| seconds.parse().ok())
    });
    metadata.studio = movie.production_company;
    metadata.description = movie
        .description
        .or_else(|| graph.description().map(str::to_string));
    metadata.cover_url = movie
        .image
        .or_else(|| graph.image().map(str::to_string))
        .and_then(|cover| urls::join(page_url, &cover));
    metadata.people = movie
        .actors
        .into_iter()
        .map(|actor| Person {
            name: actor.name,
            page_url: actor.url.and_then(|url| urls::join(page_url, &url)),
            avatar_url: actor.image.and_then(|url| urls::join(page_url, &url)),
        })
        .collect();
    if metadata.people.is_empty() {
        metadata.people = graph
            .get_all("video:actor")
            .into_iter()
            .map(Person::new)
            .collect();
    }
    metadata.tags = movie.genres;
    if metadata.tags.is_empty() {
        metadata.tags = graph
            .get_all("video:tag")
            .into_iter()
            .map(str::to_string)
            .collect();
    }
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opengraph_only_page() {
        let page = r#"<meta property="og:title" content="T"><meta property="og:image" content="/c.jpg">
            <meta property="og:video:actor" content="A"><meta property="og:video:tag" content="g">
            <meta property="og:video:release_date" content="2023-01-02T10:00:00Z"><meta property="og:video:duration" content="600">"#;
        let metadata = metadata("X-1", page, "http://a.test/p/X-1").expect("metadata");
        assert_eq!(metadata.title.as_deref(), Some("T"));
        assert_eq!(metadata.cover_url.as_deref(), Some("http://a.test/c.jpg"));
        assert_eq!(metadata.people, vec![Person::new("A")]);
        assert_eq!(metadata.tags, vec!["g"]);
        assert_eq!(metadata.release_date.as_deref(), Some("2023-01-02"));
        assert_eq!(metadata.duration_seconds, Some(600));
    }

    #[test]
    fn json_ld_wins_over_opengraph() {
        let page = r#"<meta property="og:title" content="OG">
            <script type="application/ld+json">{"@type":"VideoObject","name":"LD","alternateName":"Original"}</script>"#;
        let metadata = metadata("X-1", page, "http://a.test/").expect("metadata");
        assert_eq!(metadata.title.as_deref(), Some("LD"));
        assert_eq!(metadata.original_title.as_deref(), Some("Original"));
    }

    #[test]
    fn plain_page_is_a_parse_error() {
        assert!(matches!(
            metadata("X-1", "<p>hi</p>", "http://a.test/"),
            Err(Error::Parse(_))
        ));
    }
}
