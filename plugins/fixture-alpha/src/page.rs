//! Reading alpha's item and search pages (pure functions over HTML).

use kura_plugin_sdk::html::{self, Document};
use kura_plugin_sdk::{Error, SearchHit, StreamHit, urls};

/// The stream hit of an item page fetched from `final_url`; `referer` is the item page URL
/// the stream requires.
pub(crate) fn stream_hit(page: &str, final_url: &str, referer: &str) -> Result<StreamHit, Error> {
    let document = Document::parse(page);
    let playlist = document
        .scripts(None)
        .iter()
        .find_map(|script| html::script_string_variable(script, "hlsUrl"))
        .and_then(|playlist| urls::join(final_url, &playlist))
        .ok_or_else(|| Error::parse(format!("no `var hlsUrl` on {final_url}")))?;
    let mut hit = StreamHit::new(final_url, playlist);
    hit.title = document.select_text("h1.title");
    hit.cover_url = document
        .meta("og:image")
        .and_then(|cover| urls::join(final_url, &cover));
    hit.headers = vec![("Referer".to_string(), referer.to_string())];
    Ok(hit)
}

/// The `<a class="result" href="/alpha/v/CODE">TITLE</a>` links of a search page.
pub(crate) fn search_hits(page: &str, final_url: &str) -> Vec<SearchHit> {
    let document = Document::parse(page);
    document
        .select("a.result")
        .into_iter()
        .filter_map(|link| {
            let href = link.value().attr("href")?;
            let page_url = urls::join(final_url, href)?;
            let code = href
                .trim_end_matches('/')
                .rsplit('/')
                .next()?
                .to_ascii_uppercase();
            let title = Some(html::element_text(link)).filter(|title| !title.is_empty());
            Some(SearchHit::new(code, title, page_url))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_without_player_is_a_parse_error() {
        let outcome = stream_hit(
            "<h1 class=\"title\">x</h1>",
            "http://a.test/v/X-1",
            "http://a.test/v/X-1",
        );
        assert!(matches!(outcome, Err(Error::Parse(_))), "{outcome:?}");
    }

    #[test]
    fn relative_playlist_and_cover_are_made_absolute() {
        let page = r#"<meta property="og:image" content="/img/X-1.jpg"><script>var hlsUrl = "/s/X-1/master.m3u8";</script>"#;
        let hit = stream_hit(
            page,
            "http://a.test/alpha/v/X-1",
            "http://a.test/alpha/v/X-1",
        )
        .expect("a hit");
        assert_eq!(hit.playlist_url, "http://a.test/s/X-1/master.m3u8");
        assert_eq!(hit.cover_url.as_deref(), Some("http://a.test/img/X-1.jpg"));
        assert_eq!(hit.title, None);
    }

    #[test]
    fn empty_search_has_no_hits() {
        assert!(
            search_hits(
                "<p class=\"empty\">No results.</p>",
                "http://a.test/search?q=x"
            )
            .is_empty()
        );
    }
}
