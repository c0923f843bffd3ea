//! The languages a plugin project can be written in, and how to tell them apart on disk.

use std::path::Path;

/// A plugin project's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Lang {
    /// Cargo and the vendored `kura-plugin-sdk`.
    Rust,
    /// componentize-js (StarlingMonkey) from npm.
    Js,
    /// componentize-py from PyPI.
    Python,
}

impl Lang {
    /// The language of the project in `dir`, by its build file.
    pub(crate) fn detect(dir: &Path) -> Option<Self> {
        [
            ("Cargo.toml", Self::Rust),
            ("package.json", Self::Js),
            ("pyproject.toml", Self::Python),
        ]
        .into_iter()
        .find(|(file, _)| dir.join(file).is_file())
        .map(|(_, lang)| lang)
    }

    /// The name authors type.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Js => "js",
            Self::Python => "python",
        }
    }
}
