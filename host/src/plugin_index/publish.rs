//! The publisher's side: an index directory written by `kura index init | add | yank |
//! sign | rotate`, and an author's signature over a plugin (`kura plugin sign`). Every
//! check a host makes of a release is made here first, so a release a host would refuse
//! is never published.
//!
//! The directory holds what hosts read (`N.root.json`, `root.json`, `index.json`, each
//! with its `.minisig`, and `artifacts/<sha256>.wasm`) and `draft.json`, the unsigned
//! catalogue `add` and `yank` edit and `sign` publishes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::document::{
    INDEX_FORMAT, IndexDocument, PluginEntry, ROOT_FORMAT, Release, RootDocument, Yank,
    YankSeverity, release_comment,
};
use super::error::IndexError;
use super::keys::SecretKey;
use super::signature::{self, KeySet};
use super::trust::{self, Fetched, IndexFiles, SignedFile};
use crate::plugins::Manifest;

const DRAFT_FORMAT: &str = "kura-index-draft/1";

/// The unsigned catalogue between `add`/`yank` and `sign`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Draft {
    format: String,
    name: String,
    #[serde(default)]
    plugins: BTreeMap<String, PluginEntry>,
}

/// What `add` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Added {
    New { name: String, version: String },
    AlreadyListed { name: String, version: String },
}

/// An index directory.
pub(crate) struct Publisher {
    dir: PathBuf,
}

impl Publisher {
    /// The index in `dir` (which `init` creates).
    pub(crate) fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Starts an index: `1.root.json` signed by the root keys, and an empty draft.
    pub(crate) fn init(
        &self,
        name: &str,
        root_signers: &[&SecretKey],
        root: KeySet,
        index: KeySet,
        expires: DateTime<Utc>,
    ) -> Result<RootDocument, IndexError> {
        if self.dir.join("1.root.json").exists() {
            return Err(IndexError::Refused(format!(
                "{} already holds an index",
                self.dir.display()
            )));
        }
        std::fs::create_dir_all(self.dir.join("artifacts"))
            .map_err(|error| IndexError::io(&self.dir, error))?;
        let document = RootDocument {
            format: ROOT_FORMAT.to_owned(),
            name: name.to_owned(),
            version: 1,
            expires,
            root,
            index,
        };
        self.write_root(&document, root_signers, None)?;
        self.write_draft(&Draft {
            format: DRAFT_FORMAT.to_owned(),
            name: name.to_owned(),
            plugins: BTreeMap::new(),
        })?;
        Ok(document)
    }

    /// Writes root N+1, signed by the current root keys and the new ones.
    pub(crate) fn rotate(
        &self,
        signers: &[&SecretKey],
        root: KeySet,
        index: KeySet,
        expires: DateTime<Utc>,
    ) -> Result<RootDocument, IndexError> {
        let current = self.latest_root()?;
        let next = RootDocument {
            format: ROOT_FORMAT.to_owned(),
            name: current.name.clone(),
            version: current.version + 1,
            expires,
            root,
            index,
        };
        self.write_root(&next, signers, Some(&current))?;
        Ok(next)
    }

    fn write_root(
        &self,
        document: &RootDocument,
        signers: &[&SecretKey],
        previous: Option<&RootDocument>,
    ) -> Result<(), IndexError> {
        let text = pretty(document)?;
        let signature =
            signature::sign(text.as_bytes(), signers, &document.comment()).map_err(|reason| {
                IndexError::Signature {
                    file: "root".to_owned(),
                    reason,
                }
            })?;
        let signed = SignedFile { text, signature };
        // The host's own checks, before anything is written.
        match previous {
            None => {
                let pinned: Vec<_> = signers.iter().map(|key| key.public.clone()).collect();
                trust::verify_first_root(&signed, &document.name, &pinned)?;
            }
            Some(previous) => {
                trust::verify_next_root(previous, "next root", &signed)?;
            }
        }
        let numbered = format!("{}.root.json", document.version);
        self.write(&numbered, signed.text.as_bytes())?;
        self.write(&format!("{numbered}.minisig"), signed.signature.as_bytes())?;
        self.write("root.json", signed.text.as_bytes())?;
        self.write("root.json.minisig", signed.signature.as_bytes())
    }

    /// The newest root in the directory.
    pub(crate) fn latest_root(&self) -> Result<RootDocument, IndexError> {
        let mut version = 1;
        while self.dir.join(format!("{}.root.json", version + 1)).exists() {
            version += 1;
        }
        let file = format!("{version}.root.json");
        let bytes = std::fs::read(self.dir.join(&file))
            .map_err(|error| IndexError::io(&self.dir.join(&file), error))?;
        RootDocument::parse(&file, &bytes)
    }

    /// Adds a release: its manifest (name, version, kind, WIT this Kura implements), its
    /// author signature (against `authors` for a new plugin, the listed keys otherwise;
    /// `authors` for a listed plugin replaces its keys), one content per version.
    pub(crate) fn add(
        &self,
        wasm: &[u8],
        author_signature: &str,
        authors: Option<KeySet>,
        notes: &str,
        now: DateTime<Utc>,
    ) -> Result<Added, IndexError> {
        let manifest = Manifest::from_component(wasm)
            .map_err(|error| IndexError::Refused(format!("manifest: {error}")))?;
        let mut draft = self.read_draft()?;
        let sha256 = crate::util::sha256_hex(wasm);
        let entry = match (draft.plugins.get(&manifest.name), authors) {
            (Some(entry), None) => entry.clone(),
            (Some(entry), Some(authors)) => PluginEntry {
                authors,
                ..entry.clone()
            },
            (None, Some(authors)) => PluginEntry {
                kind: manifest.kind,
                authors,
                releases: Vec::new(),
                yanked: Vec::new(),
            },
            (None, None) => {
                return Err(IndexError::Refused(format!(
                    "{} is new to this index: name its author keys (--author-key)",
                    manifest.name
                )));
            }
        };
        entry
            .authors
            .parse()
            .map_err(|error| IndexError::Refused(format!("author keys: {error}")))?;
        if entry.kind != manifest.kind {
            return Err(IndexError::Refused(format!(
                "{} is listed as a {}, this file is a {}",
                manifest.name, entry.kind, manifest.kind
            )));
        }
        if let Some(listed) = entry.release(&manifest.version) {
            if listed.sha256 == sha256 {
                return Ok(Added::AlreadyListed {
                    name: manifest.name,
                    version: manifest.version,
                });
            }
            return Err(IndexError::Refused(format!(
                "{} {} is already listed with other bytes (sha256 {}); publish a new version",
                manifest.name, manifest.version, listed.sha256
            )));
        }
        let release = Release {
            version: manifest.version.clone(),
            wit: manifest.wit.clone(),
            url: format!("artifacts/{sha256}.wasm"),
            length: wasm.len() as u64,
            sha256: sha256.clone(),
            signature: author_signature.to_owned(),
            allowed_hosts: manifest.allowed_hosts.clone(),
            published_at: now,
            notes: notes.to_owned(),
        };
        trust::verify_release(&manifest.name, &entry, &release, wasm)
            .map_err(|error| IndexError::Refused(error.to_string()))?;
        self.write(&release.url, wasm)?;
        let mut entry = entry;
        entry.releases.push(release);
        entry.releases.sort_by_key(Release::semver);
        draft.plugins.insert(manifest.name.clone(), entry);
        self.write_draft(&draft)?;
        Ok(Added::New {
            name: manifest.name,
            version: manifest.version,
        })
    }

    /// Marks a listed version yanked (again: the new reason replaces the old one).
    pub(crate) fn yank(
        &self,
        name: &str,
        version: &str,
        severity: YankSeverity,
        reason: &str,
    ) -> Result<(), IndexError> {
        let mut draft = self.read_draft()?;
        let entry = draft
            .plugins
            .get_mut(name)
            .ok_or_else(|| IndexError::NotFound(format!("{name} is not in this index")))?;
        if entry.release(version).is_none() {
            return Err(IndexError::NotFound(format!(
                "{name} {version} is not in this index"
            )));
        }
        entry.yanked.retain(|yank| yank.version != version);
        entry.yanked.push(Yank {
            version: version.to_owned(),
            severity,
            reason: reason.to_owned(),
        });
        self.write_draft(&draft)
    }

    /// Publishes the draft as `index.json`: the next version, expiring after `valid_for`,
    /// signed by the index keys (checked against the newest root before it is written).
    pub(crate) fn sign(
        &self,
        signers: &[&SecretKey],
        valid_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<IndexDocument, IndexError> {
        let root = self.latest_root()?;
        let draft = self.read_draft()?;
        let previous = std::fs::read(self.dir.join("index.json"))
            .ok()
            .and_then(|bytes| IndexDocument::parse("index.json", &bytes).ok())
            .map_or(0, |index| index.version);
        let valid_for = chrono::Duration::from_std(valid_for)
            .map_err(|_| IndexError::Refused("expiry too far".to_owned()))?;
        let index = IndexDocument {
            format: INDEX_FORMAT.to_owned(),
            name: root.name.clone(),
            version: previous + 1,
            published_at: now,
            expires: now + valid_for,
            root_version: root.version,
            plugins: draft.plugins,
        };
        let text = pretty(&index)?;
        let signature =
            signature::sign(text.as_bytes(), signers, &index.comment()).map_err(|reason| {
                IndexError::Signature {
                    file: "index.json".to_owned(),
                    reason,
                }
            })?;
        let trusted = trust::Trusted::default();
        let sha256 = crate::util::sha256_hex(text.as_bytes());
        trust::verify_index(&root, &trusted, text.as_bytes(), &signature, &sha256)?;
        self.write("index.json", text.as_bytes())?;
        self.write("index.json.minisig", signature.as_bytes())?;
        Ok(index)
    }

    fn read_draft(&self) -> Result<Draft, IndexError> {
        let path = self.dir.join("draft.json");
        let bytes = std::fs::read(&path).map_err(|error| IndexError::io(&path, error))?;
        let draft: Draft = serde_json::from_slice(&bytes)
            .map_err(|error| IndexError::malformed("draft.json", error))?;
        if draft.format != DRAFT_FORMAT {
            return Err(IndexError::malformed(
                "draft.json",
                format!("format `{}`", draft.format),
            ));
        }
        Ok(draft)
    }

    fn write_draft(&self, draft: &Draft) -> Result<(), IndexError> {
        let text = pretty(draft)?;
        self.write("draft.json", text.as_bytes())
    }

    fn write(&self, file: &str, bytes: &[u8]) -> Result<(), IndexError> {
        let path = self.dir.join(file);
        crate::fsio::write_atomic(&path, bytes, crate::fsio::WriteOptions::new(0o644))
            .map_err(|error| IndexError::io(&path, error))
    }
}

/// An author's signature file over a plugin: the trusted comment binds its name,
/// version, sha256 and WIT version.
pub(crate) fn sign_plugin(wasm: &[u8], keys: &[&SecretKey]) -> Result<String, IndexError> {
    let manifest = Manifest::from_component(wasm)
        .map_err(|error| IndexError::Refused(format!("manifest: {error}")))?;
    let comment = release_comment(
        &manifest.name,
        &manifest.version,
        &crate::util::sha256_hex(wasm),
        &manifest.wit,
    );
    signature::sign(wasm, keys, &comment).map_err(|reason| IndexError::AuthorSignature {
        name: manifest.name,
        version: manifest.version,
        reason,
    })
}

/// Checks an author's signature file over a plugin against the given keys.
pub(crate) fn verify_plugin(
    wasm: &[u8],
    signature_text: &str,
    keys: &KeySet,
) -> Result<(Manifest, Vec<String>), IndexError> {
    let manifest = Manifest::from_component(wasm)
        .map_err(|error| IndexError::Refused(format!("manifest: {error}")))?;
    let comment = release_comment(
        &manifest.name,
        &manifest.version,
        &crate::util::sha256_hex(wasm),
        &manifest.wit,
    );
    let signers = signature::verify(wasm, signature_text, keys, &comment).map_err(|reason| {
        IndexError::AuthorSignature {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            reason,
        }
    })?;
    Ok((manifest, signers))
}

fn pretty<T: Serialize>(value: &T) -> Result<String, IndexError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|error| IndexError::Io(format!("json: {error}")))?;
    text.push('\n');
    Ok(text)
}

/// An index read from a directory (what `kura index verify DIR` and tests use).
pub(crate) struct DirFiles {
    dir: PathBuf,
}

impl DirFiles {
    pub(crate) fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
        }
    }
}

impl IndexFiles for DirFiles {
    async fn get(
        &self,
        file: &str,
        max: usize,
        _etag: Option<&str>,
    ) -> Result<Fetched, IndexError> {
        let path = self.dir.join(file);
        match std::fs::metadata(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Fetched::Missing);
            }
            Err(error) => return Err(IndexError::io(&path, error)),
            Ok(meta) if meta.len() > max as u64 => {
                return Err(IndexError::malformed(
                    file,
                    format!("{} bytes, at most {max}", meta.len()),
                ));
            }
            Ok(_) => {}
        }
        let bytes = std::fs::read(&path).map_err(|error| IndexError::io(&path, error))?;
        Ok(Fetched::Body { bytes, etag: None })
    }
}
