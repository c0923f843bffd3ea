//! The canary test source shared by `test-canary-v2` and `-v3`: `resolve` reads
//! `{domain}/canary/{code}` and answers the title on its `kura-canary-ok:` line; without
//! one it fails with a parse error (the plugin's own fault). The fixture site has no such
//! page, so these versions pass probes recorded against a page that has the line and fail
//! against the real site.

use kura_plugin_sdk::{Error, Source, StreamHit, http, settings};

/// The marker the page must carry.
const MARKER: &str = "kura-canary-ok:";

/// The exported source.
struct Reader;

impl Source for Reader {
    fn resolve(code: String) -> Result<StreamHit, Error> {
        let domain = settings::domain()?;
        let url = format!("{domain}/canary/{code}");
        let response = http::get(&url, &[])?;
        title_of(&response.text())
            .map(|title| {
                let mut hit = StreamHit::new(url.clone(), format!("{domain}/canary/{code}.m3u8"));
                hit.title = Some(title);
                hit
            })
            .ok_or_else(|| Error::Parse(format!("{url}: no `{MARKER}` line")))
    }
}

/// The title on the marker line.
fn title_of(page: &str) -> Option<String> {
    page.lines()
        .find_map(|line| line.trim().strip_prefix(MARKER))
        .map(|title| title.trim().to_string())
}

kura_plugin_sdk::export_source!(Reader);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_marker_line_only() {
        assert_eq!(title_of("x\n kura-canary-ok: t \n"), Some("t".to_string()));
        assert_eq!(title_of("<h1>Not found</h1>"), None);
    }
}
