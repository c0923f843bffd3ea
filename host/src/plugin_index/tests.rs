//! The index's trust rules end to end on a directory: publish with the publisher's code,
//! verify with the client's, tamper in between.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::document::YankSeverity;
use super::error::IndexError;
use super::keys::{PublicKey, SecretKey};
use super::publish::{DirFiles, Publisher, sign_plugin};
use super::signature::KeySet;
use super::trust::{Trusted, refresh, verify_release};

const NAME: &str = "test-index";

/// A component header with a `kura:manifest` custom section: enough for the manifest
/// and signature checks (the runtime's own checks need a real plugin, in `tests/it`).
fn component(name: &str, version: &str, hosts: &[&str]) -> Vec<u8> {
    let manifest = serde_json::json!({
        "name": name, "version": version, "kind": "source", "wit": "0.1.0",
        "allowed_hosts": hosts,
    })
    .to_string();
    let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
    crate::plugins::append_custom_section(&mut bytes, "kura:manifest", manifest.as_bytes());
    bytes
}

struct Fixture {
    dir: tempfile::TempDir,
    root_key: SecretKey,
    index_key: SecretKey,
    author: SecretKey,
    now: DateTime<Utc>,
}

impl Fixture {
    fn new() -> Self {
        let fixture = Self {
            dir: tempfile::tempdir().expect("tempdir"),
            root_key: SecretKey::generate().expect("root"),
            index_key: SecretKey::generate().expect("index"),
            author: SecretKey::generate().expect("author"),
            now: Utc::now(),
        };
        fixture
            .publisher()
            .init(
                NAME,
                &[&fixture.root_key],
                KeySet::all_of(std::slice::from_ref(&fixture.root_key.public)),
                KeySet::all_of(std::slice::from_ref(&fixture.index_key.public)),
                fixture.now + chrono::Duration::days(365),
            )
            .expect("init");
        fixture
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn publisher(&self) -> Publisher {
        Publisher::new(self.dir.path())
    }

    fn authors(&self) -> KeySet {
        KeySet::all_of(std::slice::from_ref(&self.author.public))
    }

    fn publish(&self, version: &str) -> Vec<u8> {
        let wasm = component("demo", version, &["http://127.0.0.1:8399"]);
        let signature = sign_plugin(&wasm, &[&self.author]).expect("author sign");
        self.publisher()
            .add(&wasm, &signature, Some(self.authors()), "", self.now)
            .expect("add");
        self.sign();
        wasm
    }

    fn sign(&self) {
        self.publisher()
            .sign(
                &[&self.index_key],
                Duration::from_secs(7 * 86_400),
                self.now,
            )
            .expect("sign");
    }

    fn pinned(&self) -> Vec<PublicKey> {
        vec![self.root_key.public.clone()]
    }

    async fn refresh(&self, trusted: &mut Trusted) -> Result<super::trust::Refreshed, IndexError> {
        refresh(
            &DirFiles::new(self.path()),
            NAME,
            &self.pinned(),
            trusted,
            self.now,
        )
        .await
    }

    fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.path().join(file)).expect("read")
    }

    fn write(&self, file: &str, bytes: &[u8]) {
        std::fs::write(self.path().join(file), bytes).expect("write");
    }
}

#[tokio::test]
async fn a_published_release_verifies_end_to_end() {
    let fixture = Fixture::new();
    let wasm = fixture.publish("1.0.0");
    let mut trusted = Trusted::default();
    let refreshed = fixture.refresh(&mut trusted).await.expect("refresh");
    assert!(refreshed.index_changed);
    let index = trusted.index().expect("index");
    assert_eq!(index.version, 1);
    let entry = &index.plugins["demo"];
    let release = entry.release("1.0.0").expect("release");
    assert_eq!(release.url, format!("artifacts/{}.wasm", release.sha256));
    assert_eq!(fixture.read(&release.url), wasm);
    verify_release("demo", entry, release, &wasm).expect("release verifies");
    // Nothing new: nothing changes.
    let again = fixture.refresh(&mut trusted).await.expect("again");
    assert!(!again.index_changed);
}

#[tokio::test]
async fn a_first_root_not_signed_by_a_pinned_key_is_refused() {
    let fixture = Fixture::new();
    fixture.publish("1.0.0");
    let stranger = SecretKey::generate().expect("stranger");
    let mut trusted = Trusted::default();
    let error = refresh(
        &DirFiles::new(fixture.path()),
        NAME,
        std::slice::from_ref(&stranger.public),
        &mut trusted,
        fixture.now,
    )
    .await
    .expect_err("stranger pinned");
    assert_eq!(
        error.code(),
        crate::ErrorCode::IndexSignatureInvalid,
        "{error}"
    );
    assert_eq!(trusted, Trusted::default());
    // The right key, the wrong index name.
    let error = refresh(
        &DirFiles::new(fixture.path()),
        "other-index",
        &fixture.pinned(),
        &mut trusted,
        fixture.now,
    )
    .await
    .expect_err("other name");
    assert_eq!(error.code(), crate::ErrorCode::IndexMalformed, "{error}");
}

#[tokio::test]
async fn bad_index_signatures_change_nothing() {
    let fixture = Fixture::new();
    fixture.publish("1.0.0");
    let mut trusted = Trusted::default();
    fixture.refresh(&mut trusted).await.expect("first");
    fixture.publish("1.0.1");
    let good_sig = fixture.read("index.json.minisig");
    let stranger = SecretKey::generate().expect("stranger");
    let index = fixture.read("index.json");
    let comment = String::from_utf8_lossy(&good_sig)
        .lines()
        .nth(2)
        .and_then(|l| l.strip_prefix("trusted comment: "))
        .expect("comment")
        .to_owned();
    let by_stranger = super::signature::sign(&index, &[&stranger], &comment).expect("sign");
    let other_comment = super::signature::sign(
        &index,
        &[&fixture.index_key],
        "kura-index name=test-index version=99",
    )
    .expect("sign");
    let before = trusted.clone();
    for (what, signature) in [
        ("a stranger's key", by_stranger.into_bytes()),
        ("another trusted comment", other_comment.into_bytes()),
        ("an empty file", Vec::new()),
        ("a truncated block", good_sig[..good_sig.len() / 2].to_vec()),
    ] {
        fixture.write("index.json.minisig", &signature);
        let error = fixture.refresh(&mut trusted).await.expect_err(what);
        assert_eq!(
            error.code(),
            crate::ErrorCode::IndexSignatureInvalid,
            "{what}: {error}"
        );
        assert_eq!(trusted.index, before.index, "{what}");
        assert_eq!(trusted.index_floor, 1, "{what}");
    }
    fixture.write("index.json.minisig", &good_sig);
    fixture.refresh(&mut trusted).await.expect("good again");
    assert_eq!(trusted.index_floor, 2);
}

#[tokio::test]
async fn a_thousand_byte_flips_of_the_index_and_of_a_release_are_all_refused() {
    let fixture = Fixture::new();
    let wasm = fixture.publish("1.0.0");
    let mut trusted = Trusted::default();
    fixture.refresh(&mut trusted).await.expect("good");
    let index_doc = trusted.index().expect("index");
    let entry = &index_doc.plugins["demo"];
    let release = entry.release("1.0.0").expect("release");
    let index = fixture.read("index.json");
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut accepted = 0;
    for _ in 0..1000 {
        let mut flipped = index.clone();
        let at = (next() as usize) % flipped.len();
        flipped[at] ^= 1 << (next() % 8);
        fixture.write("index.json", &flipped);
        // A fresh follower and one that already trusts version 1.
        let mut fresh = Trusted::default();
        let mut known = trusted.clone();
        if fixture.refresh(&mut fresh).await.is_ok() {
            accepted += 1;
        }
        if fixture.refresh(&mut known).await.is_ok() && known.index != trusted.index {
            accepted += 1;
        }
    }
    for _ in 0..1000 {
        let mut flipped = wasm.clone();
        let at = (next() as usize) % flipped.len();
        flipped[at] ^= 1 << (next() % 8);
        if verify_release("demo", entry, release, &flipped).is_ok() {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 0, "tampered files accepted");
}

#[tokio::test]
async fn replayed_and_equivocating_indexes_are_refused() {
    let fixture = Fixture::new();
    fixture.publish("1.0.0");
    let (v1, v1_sig) = (
        fixture.read("index.json"),
        fixture.read("index.json.minisig"),
    );
    fixture.publish("1.0.1");
    let mut trusted = Trusted::default();
    fixture.refresh(&mut trusted).await.expect("v2");
    assert_eq!(trusted.index_floor, 2);
    fixture.write("index.json", &v1);
    fixture.write("index.json.minisig", &v1_sig);
    let error = fixture.refresh(&mut trusted).await.expect_err("replay");
    assert_eq!(error.code(), crate::ErrorCode::IndexRollback, "{error}");
    // Version 2 again, signed by the real key, with other content.
    std::fs::remove_file(fixture.path().join("index.json")).expect("rm");
    fixture.sign(); // version 1 again from the publisher's view...
    let text = String::from_utf8(fixture.read("index.json")).expect("utf8");
    // The same catalogue as the real version 2, other bytes (one more newline).
    let forged = text.replace("\"version\": 1,", "\"version\": 2,") + "\n";
    assert_ne!(forged, text);
    let signature = super::signature::sign(
        forged.as_bytes(),
        &[&fixture.index_key],
        &format!("kura-index name={NAME} version=2"),
    )
    .expect("sign");
    fixture.write("index.json", forged.as_bytes());
    fixture.write("index.json.minisig", signature.as_bytes());
    let error = fixture
        .refresh(&mut trusted)
        .await
        .expect_err("equivocation");
    assert_eq!(error.code(), crate::ErrorCode::IndexEquivocation, "{error}");
    assert_eq!(trusted.index_floor, 2);
}

#[tokio::test]
async fn an_expired_index_pauses_and_is_not_taken_as_the_floor() {
    let fixture = Fixture::new();
    fixture.publish("1.0.0");
    let mut trusted = Trusted::default();
    fixture.refresh(&mut trusted).await.expect("fresh");
    let later = fixture.now + chrono::Duration::days(8);
    let error = refresh(
        &DirFiles::new(fixture.path()),
        NAME,
        &fixture.pinned(),
        &mut trusted,
        later,
    )
    .await
    .expect_err("expired");
    assert_eq!(error.code(), crate::ErrorCode::IndexExpired, "{error}");
    // A newer index that is already expired is not taken either.
    fixture
        .publisher()
        .sign(&[&fixture.index_key], Duration::from_secs(1), fixture.now)
        .expect("short");
    let error = refresh(
        &DirFiles::new(fixture.path()),
        NAME,
        &fixture.pinned(),
        &mut trusted,
        fixture.now + chrono::Duration::seconds(5),
    )
    .await
    .expect_err("expired on arrival");
    assert_eq!(error.code(), crate::ErrorCode::IndexExpired);
    assert_eq!(trusted.index_floor, 1);
}

#[test]
fn artifacts_and_author_signatures_are_checked() {
    let fixture = Fixture::new();
    let wasm = component("demo", "1.0.0", &["http://127.0.0.1:8399"]);
    let signature = sign_plugin(&wasm, &[&fixture.author]).expect("sign");
    let stranger = SecretKey::generate().expect("stranger");
    let by_stranger = sign_plugin(&wasm, &[&stranger]).expect("stranger sign");
    // The publisher refuses a signature by a key that is not the plugin's.
    let error = fixture
        .publisher()
        .add(
            &wasm,
            &by_stranger,
            Some(fixture.authors()),
            "",
            fixture.now,
        )
        .expect_err("stranger");
    assert_eq!(error.code(), crate::ErrorCode::PublishRefused, "{error}");
    fixture
        .publisher()
        .add(&wasm, &signature, Some(fixture.authors()), "", fixture.now)
        .expect("add");
    // The same version with other bytes cannot be published.
    let other = component("demo", "1.0.0", &["http://127.0.0.1:9999"]);
    let other_sig = sign_plugin(&other, &[&fixture.author]).expect("sign other");
    assert!(
        fixture
            .publisher()
            .add(&other, &other_sig, None, "", fixture.now)
            .is_err()
    );
    fixture.sign();
    let index = super::document::IndexDocument::parse("index.json", &fixture.read("index.json"))
        .expect("index");
    let entry = &index.plugins["demo"];
    let release = entry.release("1.0.0").expect("release").clone();
    let longer = [wasm.as_slice(), b"x"].concat();
    for (what, bytes) in [("longer", longer.as_slice()), ("other", other.as_slice())] {
        let error = verify_release("demo", entry, &release, bytes).expect_err(what);
        assert_eq!(
            error.code(),
            crate::ErrorCode::ArtifactMismatch,
            "{what}: {error}"
        );
    }
    let mut by_other_key = release.clone();
    by_other_key.signature = by_stranger;
    let error = verify_release("demo", entry, &by_other_key, &wasm).expect_err("author");
    assert_eq!(
        error.code(),
        crate::ErrorCode::AuthorSignatureInvalid,
        "{error}"
    );
    let mut other_hosts = release.clone();
    other_hosts.allowed_hosts = vec!["https://elsewhere.example".to_owned()];
    let error = verify_release("demo", entry, &other_hosts, &wasm).expect_err("hosts");
    assert_eq!(error.code(), crate::ErrorCode::ReleaseMismatch, "{error}");
}

#[tokio::test]
async fn root_rotation_moves_trust_to_the_new_keys() {
    let fixture = Fixture::new();
    fixture.publish("1.0.0");
    let mut trusted = Trusted::default();
    fixture.refresh(&mut trusted).await.expect("v1");
    // Version 2, signed by the index key of root 1 before the rotation.
    fixture.sign();
    let (old_key_v2, old_key_v2_sig) = (
        fixture.read("index.json"),
        fixture.read("index.json.minisig"),
    );
    let (new_root, new_index) = (
        SecretKey::generate().expect("root 2"),
        SecretKey::generate().expect("index 2"),
    );
    fixture
        .publisher()
        .rotate(
            &[&fixture.root_key, &new_root],
            KeySet::all_of(std::slice::from_ref(&new_root.public)),
            KeySet::all_of(std::slice::from_ref(&new_index.public)),
            fixture.now + chrono::Duration::days(365),
        )
        .expect("rotate");
    // Signed by the old index key: refused once the new root is known.
    fixture.write("index.json", &old_key_v2);
    fixture.write("index.json.minisig", &old_key_v2_sig);
    let error = fixture
        .refresh(&mut trusted)
        .await
        .expect_err("old index key");
    assert_eq!(
        error.code(),
        crate::ErrorCode::IndexSignatureInvalid,
        "{error}"
    );
    assert_eq!(trusted.root().expect("root").version, 2);
    assert_eq!(
        trusted.index_floor, 0,
        "index keys changed: the floor starts again"
    );
    fixture
        .publisher()
        .sign(&[&new_index], Duration::from_secs(86_400), fixture.now)
        .expect("new key");
    fixture.refresh(&mut trusted).await.expect("new index key");
    // A new follower walks the chain from the pinned first root.
    let mut fresh = Trusted::default();
    fixture.refresh(&mut fresh).await.expect("fresh follower");
    assert_eq!(fresh.root().expect("root").version, 2);
    // A root 3 signed only by the new key lacks the old threshold... it is the new
    // key's turn: signed by root 2's key and its own, it is accepted; signed by a
    // stranger, refused.
    let stranger = SecretKey::generate().expect("stranger");
    let error = fixture
        .publisher()
        .rotate(
            &[&stranger],
            KeySet::all_of(std::slice::from_ref(&stranger.public)),
            KeySet::all_of(std::slice::from_ref(&new_index.public)),
            fixture.now + chrono::Duration::days(365),
        )
        .expect_err("stranger rotation");
    assert_eq!(
        error.code(),
        crate::ErrorCode::IndexSignatureInvalid,
        "{error}"
    );
}

#[test]
fn yanks_are_recorded_for_listed_versions_only() {
    let fixture = Fixture::new();
    fixture.publish("1.0.0");
    fixture
        .publisher()
        .yank(
            "demo",
            "1.0.0",
            YankSeverity::Broken,
            "search returns nothing",
        )
        .expect("yank");
    assert!(
        fixture
            .publisher()
            .yank("demo", "9.9.9", YankSeverity::Broken, "")
            .is_err()
    );
    assert!(
        fixture
            .publisher()
            .yank("nope", "1.0.0", YankSeverity::Malicious, "")
            .is_err()
    );
    fixture.sign();
    let index = super::document::IndexDocument::parse("index.json", &fixture.read("index.json"))
        .expect("index");
    let yank = index.plugins["demo"].yank_of("1.0.0").expect("yank");
    assert_eq!(yank.severity, YankSeverity::Broken);
    assert_eq!(index.version, 2);
}

#[tokio::test]
async fn an_index_signed_before_the_index_keys_changed_is_never_taken_again() {
    let fixture = Fixture::new();
    fixture.publish("1.0.0");
    let mut trusted = Trusted::default();
    fixture.refresh(&mut trusted).await.expect("v1");
    let (v1, v1_sig) = (
        fixture.read("index.json"),
        fixture.read("index.json.minisig"),
    );
    // Version 5, signed under root 1 and never seen by this host.
    for _ in 0..4 {
        fixture.sign();
    }
    let (old_v5, old_v5_sig) = (
        fixture.read("index.json"),
        fixture.read("index.json.minisig"),
    );
    // Root 2 adds an index key; the old one stays listed.
    let added = SecretKey::generate().expect("added");
    fixture
        .publisher()
        .rotate(
            &[&fixture.root_key],
            KeySet::all_of(std::slice::from_ref(&fixture.root_key.public)),
            KeySet {
                threshold: 1,
                ..KeySet::all_of(&[fixture.index_key.public.clone(), added.public.clone()])
            },
            fixture.now + chrono::Duration::days(365),
        )
        .expect("rotate");
    // The publisher starts again from version 1: version 2 under root 2.
    fixture.write("index.json", &v1);
    fixture.write("index.json.minisig", &v1_sig);
    fixture.sign();
    fixture
        .refresh(&mut trusted)
        .await
        .expect("version 2 under root 2");
    assert_eq!(trusted.index_floor, 2);
    // Version 5 is above the floor and signed by a key still listed, but under the old
    // root: refused.
    fixture.write("index.json", &old_v5);
    fixture.write("index.json.minisig", &old_v5_sig);
    let error = fixture.refresh(&mut trusted).await.expect_err("replay");
    assert_eq!(error.code(), crate::ErrorCode::IndexRollback, "{error}");
    assert_eq!(trusted.index_floor, 2);
}
