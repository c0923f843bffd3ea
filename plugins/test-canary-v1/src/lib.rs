//! Canary test plugin, version 1: `resolve` answers the title `canary v1` without
//! fetching, so it passes against any site.

use kura_plugin_sdk::{Error, Source, StreamHit};

/// The exported source.
struct Canary;

impl Source for Canary {
    fn resolve(code: String) -> Result<StreamHit, Error> {
        let mut hit = StreamHit::new(
            format!("http://127.0.0.1/{code}"),
            "http://127.0.0.1/v1.m3u8".to_string(),
        );
        hit.title = Some("canary v1".to_string());
        Ok(hit)
    }
}

kura_plugin_sdk::export_source!(Canary);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_without_fetching() {
        let hit = Canary::resolve("DEMO-001".to_string()).expect("a hit");
        assert_eq!(hit.title.as_deref(), Some("canary v1"));
    }
}
