//! The client's verification (TUF's rules on two documents): walk the root chain from
//! the pinned keys, check the index's signatures, version and expiry against what was
//! verified before, and check a release's bytes and author signature. Shared by the
//! host's follower, `kura index verify` and `kura index add`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::document::{
    IndexDocument, MAX_INDEX_BYTES, MAX_ROOT_BYTES, PluginEntry, Release, RootDocument,
    release_comment,
};
use super::error::IndexError;
use super::keys::PublicKey;
use super::signature::{self, KeySet, MAX_SIGNATURE_BYTES};
use crate::plugins::Manifest;

/// The most root rotations followed in one refresh.
const MAX_ROOT_STEPS: u64 = 32;

/// A signed file as verified: its text and its signature file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SignedFile {
    pub(crate) text: String,
    pub(crate) signature: String,
}

/// What a host has verified of one index; persisted, never moved backwards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Trusted {
    /// The newest root verified.
    pub(crate) root: Option<SignedFile>,
    /// The newest index verified (it may have expired since).
    pub(crate) index: Option<SignedFile>,
    /// The highest index version verified under the current index keys.
    pub(crate) index_floor: u64,
    /// sha256 of that version's bytes.
    pub(crate) index_sha256: Option<String>,
    /// The index's ETag, for conditional requests.
    pub(crate) index_etag: Option<String>,
    /// An index must name at least this root version: the one whose index keys last
    /// changed (an index signed under earlier keys is never taken again).
    #[serde(default)]
    pub(crate) min_index_root_version: u64,
}

impl Trusted {
    /// The verified root, parsed.
    pub(crate) fn root(&self) -> Option<RootDocument> {
        let root = self.root.as_ref()?;
        RootDocument::parse("root", root.text.as_bytes()).ok()
    }

    /// What tells one verified state from another without copying the documents: the
    /// root's signature file, the index's sha256, the floors and the ETag.
    pub(crate) fn marks(&self) -> (Option<String>, Option<String>, u64, u64, Option<String>) {
        (
            self.root.as_ref().map(|root| root.signature.clone()),
            self.index_sha256.clone(),
            self.index_floor,
            self.min_index_root_version,
            self.index_etag.clone(),
        )
    }

    /// The verified index, parsed.
    pub(crate) fn index(&self) -> Option<IndexDocument> {
        let index = self.index.as_ref()?;
        IndexDocument::parse("index.json", index.text.as_bytes()).ok()
    }
}

/// A file as the index serves it.
pub(crate) enum Fetched {
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
    NotModified,
    Missing,
}

/// Where an index's files are read from (a URL through the egress-checked client, or a
/// directory).
pub(crate) trait IndexFiles {
    /// The file, at most `max` bytes; `NotModified` only when `etag` was given and matched.
    fn get(
        &self,
        file: &str,
        max: usize,
        etag: Option<&str>,
    ) -> impl Future<Output = Result<Fetched, IndexError>> + Send;
}

/// What a refresh changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Refreshed {
    pub(crate) roots_added: u64,
    pub(crate) index_changed: bool,
}

/// Brings `trusted` up to date from `files`. `trusted` is updated step by step (a root
/// verified stays verified even when the index then fails), so the caller persists it
/// whatever the result.
pub(crate) async fn refresh(
    files: &impl IndexFiles,
    name: &str,
    pinned: &[PublicKey],
    trusted: &mut Trusted,
    now: DateTime<Utc>,
) -> Result<Refreshed, IndexError> {
    let mut refreshed = Refreshed::default();
    let mut root = match trusted.root() {
        Some(root) => root,
        None => {
            let signed = get_signed(files, "1.root.json", MAX_ROOT_BYTES)
                .await?
                .ok_or_else(|| IndexError::Unreachable {
                    file: "1.root.json".to_owned(),
                    message: "not found (an index starts with 1.root.json)".to_owned(),
                })?;
            let root = verify_first_root(&signed, name, pinned)?;
            trusted.root = Some(signed);
            refreshed.roots_added += 1;
            root
        }
    };
    for _ in 0..MAX_ROOT_STEPS {
        let file = format!("{}.root.json", root.version + 1);
        let Some(signed) = get_signed(files, &file, MAX_ROOT_BYTES).await? else {
            break;
        };
        let next = verify_next_root(&root, &file, &signed)?;
        if !next.index.same_as(&root.index) {
            // New index keys: versions signed by the old ones say nothing any more (the
            // recovery from a fast-forwarded index version).
            trusted.index_floor = 0;
            trusted.index_sha256 = None;
            trusted.index_etag = None;
            trusted.index = None;
            trusted.min_index_root_version = next.version;
        }
        trusted.root = Some(signed);
        refreshed.roots_added += 1;
        root = next;
    }
    if root.expires <= now {
        return Err(IndexError::Expired {
            file: format!("{}.root.json", root.version),
            at: root.expires.to_rfc3339(),
        });
    }
    let etag = trusted.index.as_ref().and(trusted.index_etag.clone());
    let (bytes, etag) = match files
        .get("index.json", MAX_INDEX_BYTES, etag.as_deref())
        .await?
    {
        Fetched::Body { bytes, etag } => (bytes, etag),
        Fetched::NotModified => {
            let index = trusted.index().ok_or_else(|| {
                IndexError::malformed("index.json", "304 without a verified copy")
            })?;
            check_fresh(&index, now)?;
            return Ok(refreshed);
        }
        Fetched::Missing => {
            return Err(IndexError::Unreachable {
                file: "index.json".to_owned(),
                message: "not found".to_owned(),
            });
        }
    };
    let signature = get_signature(files, "index.json.minisig").await?;
    let sha256 = crate::util::sha256_hex(&bytes);
    let index = verify_index(&root, trusted, &bytes, &signature, &sha256)?;
    check_fresh(&index, now)?;
    if trusted.index_sha256.as_deref() != Some(sha256.as_str()) {
        refreshed.index_changed = true;
    }
    trusted.index = Some(SignedFile {
        text: String::from_utf8_lossy(&bytes).into_owned(),
        signature,
    });
    trusted.index_floor = index.version;
    trusted.index_sha256 = Some(sha256);
    trusted.index_etag = etag;
    Ok(refreshed)
}

async fn get_signed(
    files: &impl IndexFiles,
    file: &str,
    max: usize,
) -> Result<Option<SignedFile>, IndexError> {
    let bytes = match files.get(file, max, None).await? {
        Fetched::Body { bytes, .. } => bytes,
        Fetched::Missing => return Ok(None),
        Fetched::NotModified => return Err(IndexError::malformed(file, "unexpected 304")),
    };
    let text = String::from_utf8(bytes).map_err(|_| IndexError::malformed(file, "not UTF-8"))?;
    let signature = get_signature(files, &format!("{file}.minisig")).await?;
    Ok(Some(SignedFile { text, signature }))
}

async fn get_signature(files: &impl IndexFiles, file: &str) -> Result<String, IndexError> {
    match files.get(file, MAX_SIGNATURE_BYTES, None).await? {
        Fetched::Body { bytes, .. } => {
            String::from_utf8(bytes).map_err(|_| IndexError::malformed(file, "not UTF-8"))
        }
        _ => Err(IndexError::Signature {
            file: file.trim_end_matches(".minisig").to_owned(),
            reason: super::error::SignatureError::Malformed(format!("{file} is missing")),
        }),
    }
}

/// The first root: signed by enough of its own root keys, among them the pinned ones.
pub(crate) fn verify_first_root(
    signed: &SignedFile,
    name: &str,
    pinned: &[PublicKey],
) -> Result<RootDocument, IndexError> {
    let file = "1.root.json";
    let root = RootDocument::parse(file, signed.text.as_bytes())?;
    if root.version != 1 {
        return Err(IndexError::malformed(file, "the first root has version 1"));
    }
    if root.name != name {
        return Err(IndexError::malformed(
            file,
            format!("names the index `{}`, configured as `{name}`", root.name),
        ));
    }
    // Only pinned keys count: the document cannot vouch for itself.
    let listed: Vec<PublicKey> = root.root.parse().unwrap_or_default();
    let pinned_listed: Vec<PublicKey> = pinned
        .iter()
        .filter(|key| listed.contains(key))
        .cloned()
        .collect();
    let set = KeySet {
        threshold: root.root.threshold,
        ..KeySet::all_of(&pinned_listed)
    };
    if pinned_listed.len() < root.root.threshold {
        return Err(IndexError::Signature {
            file: file.to_owned(),
            reason: super::error::SignatureError::KeySet(format!(
                "the pinned keys ({}) are not enough of its root keys ({}, threshold {})",
                pinned
                    .iter()
                    .map(PublicKey::fingerprint)
                    .collect::<Vec<_>>()
                    .join(", "),
                root.root.fingerprints().join(", "),
                root.root.threshold
            )),
        });
    }
    verify_signed(file, signed, &set, &root.comment())?;
    Ok(root)
}

/// Root N+1: signed by the threshold of root N's keys and of its own.
pub(crate) fn verify_next_root(
    trusted: &RootDocument,
    file: &str,
    signed: &SignedFile,
) -> Result<RootDocument, IndexError> {
    let next = RootDocument::parse(file, signed.text.as_bytes())?;
    let comment = next.comment();
    verify_signed(file, signed, &trusted.root, &comment)?;
    verify_signed(file, signed, &next.root, &comment)?;
    if next.version != trusted.version + 1 {
        return Err(IndexError::Rollback {
            file: file.to_owned(),
            trusted: trusted.version,
            offered: next.version,
        });
    }
    if next.name != trusted.name {
        return Err(IndexError::malformed(
            file,
            format!(
                "renames the index from `{}` to `{}`",
                trusted.name, next.name
            ),
        ));
    }
    Ok(next)
}

/// An index: signed by the root's index keys, for this index, not older than what was
/// verified, and the same bytes when the same version.
pub(crate) fn verify_index(
    root: &RootDocument,
    trusted: &Trusted,
    bytes: &[u8],
    signature: &str,
    sha256: &str,
) -> Result<IndexDocument, IndexError> {
    let file = "index.json";
    let index = IndexDocument::parse(file, bytes)?;
    signature::verify(bytes, signature, &root.index, &index.comment()).map_err(|reason| {
        IndexError::Signature {
            file: file.to_owned(),
            reason,
        }
    })?;
    if index.name != root.name {
        return Err(IndexError::malformed(
            file,
            format!("is the index `{}`, expected `{}`", index.name, root.name),
        ));
    }
    if index.root_version > root.version {
        return Err(IndexError::malformed(
            file,
            format!(
                "names root version {}, the newest verified is {}",
                index.root_version, root.version
            ),
        ));
    }
    if index.root_version < trusted.min_index_root_version {
        return Err(IndexError::Rollback {
            file: file.to_owned(),
            trusted: trusted.min_index_root_version,
            offered: index.root_version,
        });
    }
    if index.version < trusted.index_floor {
        return Err(IndexError::Rollback {
            file: file.to_owned(),
            trusted: trusted.index_floor,
            offered: index.version,
        });
    }
    if index.version == trusted.index_floor
        && trusted
            .index_sha256
            .as_deref()
            .is_some_and(|known| known != sha256)
    {
        return Err(IndexError::Equivocation {
            file: file.to_owned(),
            version: index.version,
        });
    }
    Ok(index)
}

/// An index is usable until it expires.
pub(crate) fn check_fresh(index: &IndexDocument, now: DateTime<Utc>) -> Result<(), IndexError> {
    if index.expires <= now {
        return Err(IndexError::Expired {
            file: "index.json".to_owned(),
            at: index.expires.to_rfc3339(),
        });
    }
    Ok(())
}

fn verify_signed(
    file: &str,
    signed: &SignedFile,
    set: &KeySet,
    comment: &str,
) -> Result<Vec<String>, IndexError> {
    signature::verify(signed.text.as_bytes(), &signed.signature, set, comment).map_err(|reason| {
        IndexError::Signature {
            file: file.to_owned(),
            reason,
        }
    })
}

/// A release's bytes: the length and sha256 the index lists, its author's signature, and
/// a manifest that says what the index says (name, version, kind, WIT, hosts).
pub(crate) fn verify_release(
    name: &str,
    entry: &PluginEntry,
    release: &Release,
    bytes: &[u8],
) -> Result<Manifest, IndexError> {
    if bytes.len() as u64 != release.length {
        return Err(IndexError::ArtifactMismatch(format!(
            "{name} {}: {} bytes, the index lists {}",
            release.version,
            bytes.len(),
            release.length
        )));
    }
    let sha256 = crate::util::sha256_hex(bytes);
    if sha256 != release.sha256 {
        return Err(IndexError::ArtifactMismatch(format!(
            "{name} {}: sha256 {sha256}, the index lists {}",
            release.version, release.sha256
        )));
    }
    let comment = release_comment(name, &release.version, &release.sha256, &release.wit);
    signature::verify(bytes, &release.signature, &entry.authors, &comment).map_err(|reason| {
        IndexError::AuthorSignature {
            name: name.to_owned(),
            version: release.version.clone(),
            reason,
        }
    })?;
    let manifest = Manifest::from_component(bytes).map_err(|error| {
        IndexError::ReleaseMismatch(format!("{name} {}: {error}", release.version))
    })?;
    let differs = |field: &str, index: String, manifest: String| {
        IndexError::ReleaseMismatch(format!(
            "{name} {}: the manifest's {field} is `{manifest}`, the index lists `{index}`: refused",
            release.version
        ))
    };
    if manifest.name != name {
        return Err(differs("name", name.to_owned(), manifest.name));
    }
    if manifest.version != release.version {
        return Err(differs(
            "version",
            release.version.clone(),
            manifest.version,
        ));
    }
    if manifest.kind != entry.kind {
        return Err(differs(
            "kind",
            entry.kind.to_string(),
            manifest.kind.to_string(),
        ));
    }
    if manifest.wit != release.wit {
        return Err(differs("wit", release.wit.clone(), manifest.wit));
    }
    if manifest.allowed_hosts != release.allowed_hosts {
        return Err(differs(
            "allowed_hosts",
            release.allowed_hosts.join(", "),
            manifest.allowed_hosts.join(", "),
        ));
    }
    Ok(manifest)
}
