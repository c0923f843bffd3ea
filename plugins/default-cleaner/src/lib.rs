//! The default cleaner plugin: the rules of [`rules::clean`] behind `kura:plugin/cleaner`.

mod rules;

use kura_plugin_sdk::{Cleaner, Error};

/// The exported cleaner.
struct DefaultCleaner;

impl Cleaner for DefaultCleaner {
    fn clean(raw: String) -> Result<String, Error> {
        rules::clean(&raw)
            .ok_or_else(|| Error::invalid_input("nothing usable is left after cleaning"))
    }
}

kura_plugin_sdk::export_cleaner!(DefaultCleaner);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_valid() {
        kura_plugin_sdk::testing::check_manifest();
    }

    #[test]
    fn nothing_left_is_invalid_input() {
        for raw in [
            "",
            "  \n\n ",
            "Translation:",
            "**\"\"**",
            "(Note: no title)",
        ] {
            let outcome = DefaultCleaner::clean(raw.to_string());
            assert!(
                matches!(outcome, Err(Error::InvalidInput(_))),
                "{raw:?} -> {outcome:?}"
            );
        }
    }
}
