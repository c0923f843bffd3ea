//! {{name}}: a scraper for pages that describe a video with schema.org JSON-LD (a `Movie`
//! or `VideoObject`), such as the Kura fixture site's `{domain}/{CODE}` pages. Replace
//! the reading rules with your site's.

use kura_plugin_sdk::html::Document;
use kura_plugin_sdk::{Error, Metadata, Person, Scraper, http, jsonld, settings, urls};

/// The exported scraper.
struct Site;

impl Scraper for Site {
    fn scrape(code: String, page_url: Option<String>) -> Result<Metadata, Error> {
        let url = match page_url.filter(|url| url.contains(&code)) {
            Some(url) => url,
            None => format!("{}/{code}", settings::require("domain")?),
        };
        let response = http::get(&url, &[("Accept", "text/html")])?;
        if response.status == 404 {
            return Err(Error::not_found(code));
        }
        let response = response.error_for_status()?;
        let document = Document::parse(&response.text());
        let movie = jsonld::movie(&document)
            .ok_or_else(|| Error::parse(format!("no JSON-LD movie on {url}")))?;
        let mut metadata = Metadata::new(&code);
        metadata.page_url = Some(response.final_url.clone());
        metadata.title = movie.name;
        metadata.release_date = movie.date_published;
        metadata.duration_seconds = movie.duration_seconds;
        metadata.studio = movie.production_company;
        metadata.description = movie.description;
        metadata.cover_url = movie
            .image
            .and_then(|cover| urls::join(&response.final_url, &cover));
        metadata.people = movie
            .actors
            .into_iter()
            .map(|actor| Person {
                name: actor.name,
                page_url: actor.url,
                avatar_url: actor.image,
            })
            .collect();
        metadata.tags = movie.genres;
        Ok(metadata)
    }
}

kura_plugin_sdk::export_scraper!(Site);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing;

    #[test]
    fn manifest_is_valid() {
        testing::check_manifest();
    }
}
