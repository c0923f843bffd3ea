//! {{name}}: a cleaner that turns an LLM's answer into a bare title. It starts from the
//! rules of Kura's default cleaner (`rules.rs`); change them, and keep every golden case
//! passing: a server refuses a cleaner that fails one (`kura plugin test` runs them).

mod rules;

use kura_plugin_sdk::{Cleaner, Error};

/// The exported cleaner.
struct Rules;

impl Cleaner for Rules {
    fn clean(raw: String) -> Result<String, Error> {
        rules::clean(&raw).ok_or_else(|| Error::invalid_input("nothing usable in the answer"))
    }
}

kura_plugin_sdk::export_cleaner!(Rules);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing;

    #[test]
    fn manifest_is_valid() {
        testing::check_manifest();
    }
}
