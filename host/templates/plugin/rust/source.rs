//! {{name}}: a source for the Kura fixture site's "alpha" pages. It reads
//! `{domain}/v/{CODE}`, where the page names its HLS playlist in a script
//! (`var hlsUrl = "...";`). Replace the page rules with your site's.

use kura_plugin_sdk::{Error, Source, StreamHit, http, settings};

/// The exported source.
struct Site;

impl Source for Site {
    fn resolve(code: String) -> Result<StreamHit, Error> {
        let page_url = format!("{}/v/{code}", settings::require("domain")?);
        let response = http::get(&page_url, &[("Accept", "text/html")])?;
        if response.status == 404 {
            return Err(Error::not_found(code));
        }
        let page = response.error_for_status()?.text();
        let playlist_url = between(&page, "var hlsUrl = \"", "\"")
            .ok_or_else(|| Error::parse(format!("no hlsUrl on {page_url}")))?;
        let title = between(&page, "<title>", "</title>")
            .map(|title| title.trim_end_matches(" - Alpha").trim().to_string());
        Ok(StreamHit {
            page_url: page_url.clone(),
            playlist_url: playlist_url.to_string(),
            title,
            cover_url: None,
            // The site checks where its stream is played from.
            headers: vec![("Referer".to_string(), page_url)],
        })
    }
}

/// The text between `start` and the next `end`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let (_, rest) = text.split_once(start)?;
    rest.split_once(end).map(|(inner, _)| inner)
}

kura_plugin_sdk::export_source!(Site);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing;

    #[test]
    fn manifest_is_valid() {
        testing::check_manifest();
    }

    #[test]
    fn finds_the_playlist_in_the_page() {
        let page = "<title>Summer - Alpha</title><script>var hlsUrl = \"http://x/m.m3u8\";</script>";
        assert_eq!(super::between(page, "var hlsUrl = \"", "\""), Some("http://x/m.m3u8"));
    }
}
