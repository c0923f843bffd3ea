//! The hot-swap test source shared by `test-swap-v1` and `test-swap-v2`: `resolve` answers,
//! without fetching, a stream hit titled with the crate's `VERSION` and the playlist
//! `http://127.0.0.1/{VERSION}.m3u8`.

use kura_plugin_sdk::{Error, Source, StreamHit};

/// The exported source.
struct Swap;

impl Source for Swap {
    fn resolve(code: String) -> Result<StreamHit, Error> {
        let mut hit = StreamHit::new(
            format!("http://127.0.0.1/{code}"),
            format!("http://127.0.0.1/{}.m3u8", crate::VERSION),
        );
        hit.title = Some(crate::VERSION.to_string());
        Ok(hit)
    }
}

kura_plugin_sdk::export_source!(Swap);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_its_version() {
        let hit = Swap::resolve("DEMO-001".to_string()).expect("a hit");
        assert_eq!(hit.title.as_deref(), Some(crate::VERSION));
        assert_eq!(
            hit.playlist_url,
            format!("http://127.0.0.1/{}.m3u8", crate::VERSION)
        );
    }
}
