//! Test cleaner for hot swaps: claims the name `default-cleaner` (version 2.0.0). It
//! answers each golden case (`wit/cleaner-golden.json`, embedded) with its expected
//! title, so the host loads it, and anything else trimmed and upper-cased, so a test
//! sees at once which cleaner made a title.

use kura_plugin_sdk::{Cleaner, Error};
use serde::Deserialize;

/// The golden cases every cleaner must pass, as the host checks them.
const GOLDEN_JSON: &str = include_str!("../../../wit/cleaner-golden.json");

#[derive(Deserialize)]
struct GoldenCase {
    input: String,
    expected: String,
}

/// The exported cleaner.
struct Upper;

impl Cleaner for Upper {
    fn clean(raw: String) -> Result<String, Error> {
        let cases: Vec<GoldenCase> = serde_json::from_str(GOLDEN_JSON)
            .map_err(|error| Error::other(format!("golden cases: {error}")))?;
        if let Some(case) = cases.into_iter().find(|case| case.input == raw) {
            return Ok(case.expected);
        }
        let upper = raw.trim().to_uppercase();
        if upper.is_empty() {
            return Err(Error::invalid_input(
                "nothing usable is left after cleaning",
            ));
        }
        Ok(upper)
    }
}

kura_plugin_sdk::export_cleaner!(Upper);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_valid() {
        kura_plugin_sdk::testing::check_manifest();
    }

    #[test]
    fn golden_cases_pass_and_the_rest_is_upper_cased() {
        let cases: Vec<GoldenCase> = serde_json::from_str(GOLDEN_JSON).expect("golden json");
        assert!(!cases.is_empty());
        for case in cases {
            assert_eq!(Upper::clean(case.input.clone()).ok(), Some(case.expected));
        }
        assert_eq!(
            Upper::clean("\n  Summer Seaside \n".to_string())
                .ok()
                .as_deref(),
            Some("SUMMER SEASIDE")
        );
        assert!(Upper::clean("  ".to_string()).is_err());
    }
}
