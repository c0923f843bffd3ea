//! Signature files: one or more standard minisign blocks, one per key, verified against a
//! key set whose threshold counts distinct keys, each block's trusted comment bound to
//! what it signs.

use serde::{Deserialize, Serialize};

use super::error::SignatureError;
use super::keys::{PublicKey, SecretKey};

/// The largest signature file read.
pub(crate) const MAX_SIGNATURE_BYTES: usize = 16 * 1024;

/// The most blocks one signature file may hold.
const MAX_BLOCKS: usize = 16;

/// Keys and how many of them must sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct KeySet {
    /// Minisign public keys, base64.
    pub(crate) keys: Vec<String>,
    /// Valid signatures from distinct keys needed, at least 1.
    pub(crate) threshold: usize,
}

impl KeySet {
    /// A set of these keys, all of which must sign.
    pub(crate) fn all_of(keys: &[PublicKey]) -> Self {
        Self {
            keys: keys.iter().map(|key| key.base64().to_owned()).collect(),
            threshold: keys.len(),
        }
    }

    /// The keys, checked: each parses, none twice, a threshold between 1 and their count.
    pub(crate) fn parse(&self) -> Result<Vec<PublicKey>, SignatureError> {
        let keys = self
            .keys
            .iter()
            .map(|text| PublicKey::parse(text).map_err(|e| SignatureError::KeySet(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|earlier| earlier == key) {
                return Err(SignatureError::KeySet(format!(
                    "key {} is listed twice",
                    key.fingerprint()
                )));
            }
        }
        if self.threshold == 0 || self.threshold > keys.len() {
            return Err(SignatureError::KeySet(format!(
                "threshold {} with {} key(s)",
                self.threshold,
                keys.len()
            )));
        }
        Ok(keys)
    }

    /// The fingerprints of the keys, in order (keys that do not parse are skipped).
    pub(crate) fn fingerprints(&self) -> Vec<String> {
        self.keys
            .iter()
            .filter_map(|text| PublicKey::parse(text).ok())
            .map(|key| key.fingerprint())
            .collect()
    }

    /// Whether both name the same keys (order aside) with the same threshold.
    pub(crate) fn same_as(&self, other: &KeySet) -> bool {
        let sorted = |set: &KeySet| {
            let mut keys = set.keys.clone();
            keys.sort();
            keys
        };
        self.threshold == other.threshold && sorted(self) == sorted(other)
    }
}

/// Signs `bytes` with each key; the blocks concatenated are one signature file.
pub(crate) fn sign(
    bytes: &[u8],
    keys: &[&SecretKey],
    trusted_comment: &str,
) -> Result<String, SignatureError> {
    let mut out = String::new();
    for key in keys {
        let public = minisign::PublicKey::from_base64(key.public.base64())
            .map_err(|error| SignatureError::KeySet(error.to_string()))?;
        let block = minisign::sign(
            Some(&public),
            &key.secret,
            bytes,
            Some(trusted_comment),
            Some(&format!(
                "signature from kura key {}",
                key.public.fingerprint()
            )),
        )
        .map_err(|error| SignatureError::Malformed(error.to_string()))?;
        out.push_str(block.into_string().trim_end());
        out.push('\n');
    }
    Ok(out)
}

/// The blocks of a signature file.
fn blocks(text: &str) -> Result<Vec<minisign_verify::Signature>, SignatureError> {
    if text.len() > MAX_SIGNATURE_BYTES {
        return Err(SignatureError::Malformed(format!(
            "{} bytes, at most {MAX_SIGNATURE_BYTES}",
            text.len()
        )));
    }
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    if lines.is_empty() || !lines.len().is_multiple_of(4) {
        return Err(SignatureError::Malformed(
            "expected blocks of four lines (minisign format)".to_owned(),
        ));
    }
    if lines.len() / 4 > MAX_BLOCKS {
        return Err(SignatureError::Malformed(format!(
            "more than {MAX_BLOCKS} signatures"
        )));
    }
    lines
        .chunks(4)
        .map(|block| {
            minisign_verify::Signature::decode(&block.join("\n"))
                .map_err(|error| SignatureError::Malformed(error.to_string()))
        })
        .collect()
}

/// Checks that enough distinct keys of `set` signed `bytes` with exactly
/// `trusted_comment`; returns the fingerprints of the keys that did. Legacy (non
/// prehashed) signatures are refused.
pub(crate) fn verify(
    bytes: &[u8],
    signature: &str,
    set: &KeySet,
    trusted_comment: &str,
) -> Result<Vec<String>, SignatureError> {
    let keys = set.parse()?;
    let blocks = blocks(signature)?;
    let mut signed_by: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    for block in &blocks {
        for key in &keys {
            let fingerprint = key.fingerprint();
            if signed_by.contains(&fingerprint) {
                continue;
            }
            match key.verifier().verify(bytes, block, false) {
                Ok(()) if block.trusted_comment() == trusted_comment => {
                    signed_by.push(fingerprint);
                }
                Ok(()) => notes.push(format!(
                    "key {fingerprint} signed \"{}\", expected \"{trusted_comment}\"",
                    block.trusted_comment()
                )),
                Err(minisign_verify::Error::UnexpectedKeyId) => {}
                Err(error) => notes.push(format!("key {fingerprint}: {error}")),
            }
        }
    }
    if signed_by.len() >= set.threshold {
        return Ok(signed_by);
    }
    Err(SignatureError::Threshold {
        needed: set.threshold,
        valid: signed_by.len(),
        trusted: keys
            .iter()
            .map(PublicKey::fingerprint)
            .collect::<Vec<_>>()
            .join(", "),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::generate().expect("key")
    }

    #[test]
    fn one_key_signs_and_verifies_with_its_comment_only() {
        let alice = key();
        let set = KeySet::all_of(std::slice::from_ref(&alice.public));
        let sig = sign(b"hello", &[&alice], "kura-test one").expect("sign");
        assert_eq!(
            verify(b"hello", &sig, &set, "kura-test one").expect("valid"),
            vec![alice.public.fingerprint()]
        );
        assert!(verify(b"hellO", &sig, &set, "kura-test one").is_err());
        let error = verify(b"hello", &sig, &set, "kura-test two").expect_err("comment");
        assert!(error.to_string().contains("expected"), "{error}");
    }

    #[test]
    fn threshold_counts_distinct_keys_and_ignores_strangers() {
        let (a, b, c) = (key(), key(), key());
        let set = KeySet {
            keys: vec![a.public.base64().into(), b.public.base64().into()],
            threshold: 2,
        };
        let twice_a = format!(
            "{}{}",
            sign(b"x", &[&a], "t").expect("a"),
            sign(b"x", &[&a], "t").expect("a again")
        );
        assert!(matches!(
            verify(b"x", &twice_a, &set, "t"),
            Err(SignatureError::Threshold {
                valid: 1,
                needed: 2,
                ..
            })
        ));
        let a_and_c = sign(b"x", &[&a, &c], "t").expect("a c");
        assert!(verify(b"x", &a_and_c, &set, "t").is_err());
        let a_and_b = sign(b"x", &[&b, &a], "t").expect("a b");
        assert_eq!(verify(b"x", &a_and_b, &set, "t").expect("ok").len(), 2);
    }

    #[test]
    fn bad_key_sets_and_files_are_refused() {
        let a = key();
        let doubled = KeySet {
            keys: vec![a.public.base64().into(), a.public.base64().into()],
            threshold: 1,
        };
        assert!(matches!(doubled.parse(), Err(SignatureError::KeySet(_))));
        let zero = KeySet {
            keys: vec![a.public.base64().into()],
            threshold: 0,
        };
        assert!(zero.parse().is_err());
        let set = KeySet::all_of(std::slice::from_ref(&a.public));
        for junk in ["", "one\ntwo\nthree", &"x\n".repeat(4)] {
            assert!(matches!(
                verify(b"x", junk, &set, "t"),
                Err(SignatureError::Malformed(_))
            ));
        }
    }

    #[test]
    fn legacy_signatures_are_refused() {
        // The block's first two bytes are the algorithm: `ED` (prehashed) is base64 `RU..`;
        // the second character `W` makes it the legacy `Ed`, the rest untouched.
        let a = key();
        let sig = sign(b"x", &[&a], "t").expect("sign");
        let mut lines: Vec<String> = sig.lines().map(str::to_owned).collect();
        assert!(lines[1].starts_with("RU"), "{}", lines[1]);
        lines[1].replace_range(1..2, "W");
        let legacy = lines.join("\n");
        let set = KeySet::all_of(std::slice::from_ref(&a.public));
        let error = verify(b"x", &legacy, &set, "t").expect_err("legacy");
        assert!(error.to_string().contains("algorithm"), "{error}");
    }
}
