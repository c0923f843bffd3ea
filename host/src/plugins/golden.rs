//! The golden cases every cleaner must pass before it serves (the rules of N-C4), from
//! `wit/cleaner-golden.json`, part of the plugin contract.

use serde::Deserialize;

/// One input and the clean title expected from it.
#[derive(Debug, Clone, Deserialize)]
pub struct GoldenCase {
    pub rule: String,
    pub input: String,
    pub expected: String,
}

const GOLDEN_JSON: &str = include_str!("../../../wit/cleaner-golden.json");

/// The golden cases; the file is checked by a unit test, so this cannot fail at run time
/// unless the build embedded a broken file, which then fails every cleaner load loudly.
pub fn cases() -> Result<Vec<GoldenCase>, String> {
    serde_json::from_str(GOLDEN_JSON).map_err(|error| format!("wit/cleaner-golden.json: {error}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn golden_file_parses_and_is_not_empty() {
        let cases = super::cases().expect("golden file parses");
        assert!(!cases.is_empty());
        assert!(cases.iter().all(|c| !c.rule.is_empty()));
    }
}
