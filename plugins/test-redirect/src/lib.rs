//! Test plugin for redirect checks: `resolve` fetches the URL in the `target` setting and
//! answers a stream hit whose title is `STATUS-<status>` and whose page and playlist URLs are
//! the final URL, or `network("<kind>: <detail>")` with the host's fetch error.

use kura_plugin_sdk::{Error, Source, StreamHit, http, settings};

/// The exported source.
struct Redirect;

impl Source for Redirect {
    fn resolve(_code: String) -> Result<StreamHit, Error> {
        let target = settings::require("target")?;
        let response = http::fetch(&http::Request::get(target))
            .map_err(|error| Error::network(error.message()))?;
        let mut hit = StreamHit::new(response.final_url.clone(), response.final_url);
        hit.title = Some(format!("STATUS-{}", response.status));
        Ok(hit)
    }
}

kura_plugin_sdk::export_source!(Redirect);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing::Replay;

    use super::*;

    #[test]
    fn empty_target_is_invalid_input() {
        let outcome = Replay::offline().run(|| Redirect::resolve("DEMO-001".to_string()));
        assert!(
            matches!(outcome, Err(Error::InvalidInput(_))),
            "{outcome:?}"
        );
    }

    #[test]
    fn fetch_errors_pass_through() {
        let outcome = Replay::offline()
            .setting("target", "http://127.0.0.1:1/")
            .run(|| Redirect::resolve("DEMO-001".to_string()));
        assert!(
            matches!(&outcome, Err(Error::Network(detail)) if detail.starts_with("denied: ")),
            "{outcome:?}"
        );
    }
}
