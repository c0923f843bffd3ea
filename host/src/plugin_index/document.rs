//! The two signed documents of an index: `N.root.json` (which keys sign what, chained so
//! keys can rotate) and `index.json` (every release of every plugin), and the trusted
//! comments that bind a signature to a document or a release.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::IndexError;
use super::signature::KeySet;
use crate::plugins::PluginKind;

/// The root format this host reads.
pub(crate) const ROOT_FORMAT: &str = "kura-root/1";
/// The index format this host reads.
pub(crate) const INDEX_FORMAT: &str = "kura-index/1";
/// The largest root file read.
pub(crate) const MAX_ROOT_BYTES: usize = 64 * 1024;
/// The largest index file read.
pub(crate) const MAX_INDEX_BYTES: usize = 4 * 1024 * 1024;

/// `N.root.json`: the keys of the root and of the index. Unknown fields are ignored
/// (a change old hosts must not ignore gets a new format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RootDocument {
    pub(crate) format: String,
    /// The index's name; a host follows an index by this name.
    pub(crate) name: String,
    /// 1 for the first root, one more for each rotation.
    pub(crate) version: u64,
    pub(crate) expires: DateTime<Utc>,
    /// Keys that sign the next root.
    pub(crate) root: KeySet,
    /// Keys that sign `index.json`.
    pub(crate) index: KeySet,
}

impl RootDocument {
    /// Parses and checks a root file.
    pub(crate) fn parse(file: &str, bytes: &[u8]) -> Result<Self, IndexError> {
        let root: RootDocument = parse_json(file, bytes, MAX_ROOT_BYTES)?;
        check_format(file, &root.format, ROOT_FORMAT)?;
        check_name(file, &root.name)?;
        if root.version == 0 {
            return Err(IndexError::malformed(file, "version starts at 1"));
        }
        root.root
            .parse()
            .map_err(|e| IndexError::malformed(file, format!("root keys: {e}")))?;
        root.index
            .parse()
            .map_err(|e| IndexError::malformed(file, format!("index keys: {e}")))?;
        Ok(root)
    }

    /// The trusted comment its signatures carry.
    pub(crate) fn comment(&self) -> String {
        format!("kura-root name={} version={}", self.name, self.version)
    }
}

/// `index.json`: every release the index offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexDocument {
    pub(crate) format: String,
    pub(crate) name: String,
    /// One more at every signing; a host never goes back to a lower one.
    pub(crate) version: u64,
    pub(crate) published_at: DateTime<Utc>,
    pub(crate) expires: DateTime<Utc>,
    /// The root version whose index keys signed this.
    pub(crate) root_version: u64,
    #[serde(default)]
    pub(crate) plugins: BTreeMap<String, PluginEntry>,
}

impl IndexDocument {
    /// Parses and checks an index file.
    pub(crate) fn parse(file: &str, bytes: &[u8]) -> Result<Self, IndexError> {
        let index: IndexDocument = parse_json(file, bytes, MAX_INDEX_BYTES)?;
        check_format(file, &index.format, INDEX_FORMAT)?;
        check_name(file, &index.name)?;
        for (name, entry) in &index.plugins {
            entry
                .check(name)
                .map_err(|message| IndexError::malformed(file, format!("{name}: {message}")))?;
        }
        Ok(index)
    }

    /// The trusted comment its signatures carry.
    pub(crate) fn comment(&self) -> String {
        format!("kura-index name={} version={}", self.name, self.version)
    }
}

/// One plugin of the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PluginEntry {
    pub(crate) kind: PluginKind,
    /// The author keys that sign its releases (held offline by the author).
    pub(crate) authors: KeySet,
    #[serde(default)]
    pub(crate) releases: Vec<Release>,
    #[serde(default)]
    pub(crate) yanked: Vec<Yank>,
}

impl PluginEntry {
    fn check(&self, name: &str) -> Result<(), String> {
        if !crate::plugins::valid_plugin_name(name) {
            return Err("not a plugin name (1-64 characters of a-z, 0-9 and `-`)".to_owned());
        }
        self.authors.parse().map_err(|e| format!("authors: {e}"))?;
        for release in &self.releases {
            if semver::Version::parse(&release.version).is_err() {
                return Err(format!(
                    "release version `{}` is not semver",
                    release.version
                ));
            }
            if !relative_path(&release.url) {
                return Err(format!(
                    "release {}: url `{}` is not a path under the index",
                    release.version, release.url
                ));
            }
            if release.sha256.len() != 64 || !release.sha256.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(format!(
                    "release {}: sha256 is not 64 hex digits",
                    release.version
                ));
            }
        }
        Ok(())
    }

    /// The yank of a version, if any.
    pub(crate) fn yank_of(&self, version: &str) -> Option<&Yank> {
        self.yanked.iter().find(|yank| yank.version == version)
    }

    /// A release by version.
    pub(crate) fn release(&self, version: &str) -> Option<&Release> {
        self.releases
            .iter()
            .find(|release| release.version == version)
    }
}

/// One published version of a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Release {
    pub(crate) version: String,
    /// The WIT package version it was built for.
    pub(crate) wit: String,
    /// Relative to the index's base URL (`artifacts/<sha256>.wasm`).
    pub(crate) url: String,
    pub(crate) length: u64,
    pub(crate) sha256: String,
    /// The author's signature file (minisign blocks over the `.wasm` bytes).
    pub(crate) signature: String,
    /// The hosts its manifest declares, as it declares them.
    #[serde(default)]
    pub(crate) allowed_hosts: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub(crate) published_at: DateTime<Utc>,
    #[serde(default)]
    pub(crate) notes: String,
}

impl Release {
    /// The version as semver (checked at parse).
    pub(crate) fn semver(&self) -> semver::Version {
        semver::Version::parse(&self.version).unwrap_or(semver::Version::new(0, 0, 0))
    }
}

/// A version withdrawn from the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Yank {
    pub(crate) version: String,
    pub(crate) severity: YankSeverity,
    #[serde(default)]
    pub(crate) reason: String,
}

/// How bad a yanked version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum YankSeverity {
    /// It does not work: hosts move off it (update, or roll back).
    Broken,
    /// It must not run: hosts switch it off (reversibly).
    Malicious,
}

/// Whether `url` is a plain relative path (no scheme, host, query, `..` or leading `/`):
/// release files live under the index.
fn relative_path(url: &str) -> bool {
    !url.is_empty()
        && !url.starts_with('/')
        && !url.contains(['\\', '?', '#', ':'])
        && url
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

/// The trusted comment of an author's signature over a release.
pub(crate) fn release_comment(name: &str, version: &str, sha256: &str, wit: &str) -> String {
    format!("kura-plugin name={name} version={version} sha256={sha256} wit={wit}")
}

fn parse_json<T: serde::de::DeserializeOwned>(
    file: &str,
    bytes: &[u8],
    max: usize,
) -> Result<T, IndexError> {
    if bytes.len() > max {
        return Err(IndexError::malformed(
            file,
            format!("{} bytes, at most {max}", bytes.len()),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| IndexError::malformed(file, crate::util::field_error(&error)))
}

fn check_format(file: &str, found: &str, expected: &str) -> Result<(), IndexError> {
    if found == expected {
        return Ok(());
    }
    Err(IndexError::malformed(
        file,
        format!("format `{found}`; this Kura reads `{expected}` (a newer Kura may read it)"),
    ))
}

fn check_name(file: &str, name: &str) -> Result<(), IndexError> {
    if crate::plugins::valid_plugin_name(name) {
        return Ok(());
    }
    Err(IndexError::malformed(
        file,
        "name must be 1-64 characters of a-z, 0-9 and `-`",
    ))
}

#[cfg(test)]
mod tests {
    use super::relative_path;

    #[test]
    fn release_urls_stay_under_the_index() {
        assert!(relative_path("artifacts/abc.wasm"));
        for bad in [
            "",
            "/etc/passwd",
            "../x.wasm",
            "artifacts/../../x",
            "http://evil.example/x.wasm",
            "//evil.example/x",
            "a?b",
            "a\\b",
            "a//b",
        ] {
            assert!(!relative_path(bad), "{bad}");
        }
    }
}
