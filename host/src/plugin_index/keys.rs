//! Minisign keys: public keys as an index names them (base64) with their fingerprint, and
//! the key files of the publisher's commands (`*.pub`, `*.key`, the minisign format that
//! stock `minisign`, `rsign2` and `py-minisign` read and write too).

use std::path::{Path, PathBuf};

use super::error::KeyError;

/// The environment variable a secret key's password is read from before asking.
pub(crate) const PASSWORD_ENV: &str = "KURA_KEY_PASSWORD";

/// A public key an index or a plugin names.
#[derive(Debug, Clone)]
pub(crate) struct PublicKey {
    base64: String,
    id: u64,
    /// The Ed25519 key itself: what makes two keys the same, whatever their ids.
    raw: [u8; 32],
    key: minisign_verify::PublicKey,
}

impl PublicKey {
    /// Reads a key from its base64 form, or from the text of a `.pub` file (the second
    /// line is the key).
    pub(crate) fn parse(text: &str) -> Result<Self, KeyError> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let base64 = match lines.as_slice() {
            [key] => *key,
            [comment, key] if comment.starts_with("untrusted comment:") => *key,
            _ => {
                return Err(KeyError::Malformed(
                    "expected a minisign public key".to_owned(),
                ));
            }
        };
        let key = minisign_verify::PublicKey::from_base64(base64)
            .map_err(|error| KeyError::Malformed(format!("`{}`: {error}", short(base64))))?;
        let parsed = minisign::PublicKey::from_base64(base64)
            .map_err(|error| KeyError::Malformed(format!("`{}`: {error}", short(base64))))?;
        let mut id = [0u8; 8];
        id.copy_from_slice(parsed.keynum());
        let bytes = parsed.to_bytes();
        let mut raw = [0u8; 32];
        raw.copy_from_slice(&bytes[bytes.len() - 32..]);
        Ok(Self {
            base64: base64.to_owned(),
            id: u64::from_le_bytes(id),
            raw,
            key,
        })
    }

    /// Reads a `.pub` file.
    pub(crate) fn read(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|error| KeyError::io(path, error))?;
        Self::parse(&text)
    }

    /// The key as the index writes it.
    pub(crate) fn base64(&self) -> &str {
        &self.base64
    }

    /// The key id as minisign prints it (16 hex digits), what operators compare.
    pub(crate) fn fingerprint(&self) -> String {
        format!("{:016X}", self.id)
    }

    pub(super) fn verifier(&self) -> &minisign_verify::PublicKey {
        &self.key
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

fn short(text: &str) -> String {
    text.chars().take(12).collect()
}

/// A secret key, ready to sign, with its public half.
pub(crate) struct SecretKey {
    pub(super) secret: minisign::SecretKey,
    pub(crate) public: PublicKey,
}

impl SecretKey {
    /// Reads a `.key` file; an encrypted key takes its password from `KURA_KEY_PASSWORD`,
    /// or asks on the terminal.
    pub(crate) fn read(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|error| KeyError::io(path, error))?;
        let sealed = minisign::SecretKeyBox::from_string(&text)
            .map_err(|error| KeyError::Malformed(format!("{}: {error}", path.display())))?;
        let unsealed = sealed.clone().into_unencrypted_secret_key();
        let secret = match unsealed {
            Ok(secret) if !secret.is_encrypted() => secret,
            _ => sealed
                .into_secret_key(std::env::var(PASSWORD_ENV).ok())
                .map_err(|error| KeyError::Malformed(format!("{}: {error}", path.display())))?,
        };
        let public = minisign::PublicKey::from_secret_key(&secret)
            .map_err(|error| KeyError::Malformed(format!("{}: {error}", path.display())))?;
        Ok(Self {
            public: PublicKey::parse(&public.to_base64())?,
            secret,
        })
    }

    /// A fresh key pair in memory, unencrypted.
    #[cfg(test)]
    pub(crate) fn generate() -> Result<Self, KeyError> {
        let pair = minisign::KeyPair::generate_unencrypted_keypair()
            .map_err(|error| KeyError::Malformed(error.to_string()))?;
        Ok(Self {
            public: PublicKey::parse(&pair.pk.to_base64())?,
            secret: pair.sk,
        })
    }
}

/// Where `keygen` wrote a pair.
#[derive(Debug)]
pub(crate) struct WrittenPair {
    pub(crate) secret: PathBuf,
    pub(crate) public: PathBuf,
    pub(crate) key: PublicKey,
}

/// How a new secret key is protected.
#[derive(Debug, Clone)]
pub(crate) enum Protection {
    /// Not encrypted (a CI secret store encrypts it).
    Unencrypted,
    /// Encrypted with this password.
    Password(String),
    /// Encrypted with a password asked for on the terminal.
    Ask,
}

/// Writes `STEM.key` (0600, scrypt-encrypted unless unencrypted) and `STEM.pub` into
/// `dir`; an existing key file is never overwritten.
pub(crate) fn generate_files(
    dir: &Path,
    stem: &str,
    protection: Protection,
) -> Result<WrittenPair, KeyError> {
    let secret_path = dir.join(format!("{stem}.key"));
    let public_path = dir.join(format!("{stem}.pub"));
    for path in [&secret_path, &public_path] {
        if path.exists() {
            return Err(KeyError::Exists(path.clone()));
        }
    }
    let pair = match protection {
        Protection::Password(password) => {
            minisign::KeyPair::generate_encrypted_keypair(Some(password))
        }
        Protection::Ask => minisign::KeyPair::generate_encrypted_keypair(None),
        Protection::Unencrypted => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(|error| KeyError::Malformed(error.to_string()))?;
    let comment = format!("kura key {stem}");
    let secret_text = pair
        .sk
        .to_box(Some(&comment))
        .map_err(|error| KeyError::Malformed(error.to_string()))?
        .into_string();
    let public_text = pair
        .pk
        .to_box()
        .map_err(|error| KeyError::Malformed(error.to_string()))?
        .into_string();
    std::fs::create_dir_all(dir).map_err(|error| KeyError::io(dir, error))?;
    let options = crate::fsio::WriteOptions::new(0o600).create_new();
    crate::fsio::write_atomic(&secret_path, secret_text.as_bytes(), options)
        .map_err(|error| KeyError::io(&secret_path, error))?;
    crate::fsio::write_atomic(
        &public_path,
        public_text.as_bytes(),
        crate::fsio::WriteOptions::new(0o644).create_new(),
    )
    .map_err(|error| KeyError::io(&public_path, error))?;
    Ok(WrittenPair {
        secret: secret_path,
        public: public_path,
        key: PublicKey::parse(&public_text)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_read_back_and_encrypted_keys_need_their_password() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = generate_files(dir.path(), "plain", Protection::Unencrypted).expect("plain");
        let read = SecretKey::read(&plain.secret).expect("read plain");
        assert_eq!(read.public, plain.key);
        assert_eq!(PublicKey::read(&plain.public).expect("pub"), plain.key);
        assert_eq!(plain.key.fingerprint().len(), 16);
        assert!(matches!(
            generate_files(dir.path(), "plain", Protection::Unencrypted),
            Err(KeyError::Exists(_))
        ));
        let sealed = generate_files(dir.path(), "sealed", Protection::Password("pw".into()))
            .expect("sealed");
        let text = std::fs::read_to_string(&sealed.secret).expect("read");
        let sealed_box = minisign::SecretKeyBox::from_string(&text).expect("box");
        assert!(
            sealed_box
                .clone()
                .into_secret_key(Some("wrong".into()))
                .is_err()
        );
        assert!(sealed_box.into_secret_key(Some("pw".into())).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&plain.secret)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "secret key readable by others: {mode:o}");
        }
    }

    #[test]
    fn garbage_is_not_a_key() {
        for text in [
            "",
            "RWQ",
            "untrusted comment: x\nnot base64 at all",
            "a\nb\nc",
        ] {
            assert!(PublicKey::parse(text).is_err(), "{text:?}");
        }
    }
}
