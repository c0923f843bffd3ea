//! Secrets the server keeps under its data directory (the API token's hash, the UI's
//! session key): 32 bytes as hex in a file only the owner may read.

use std::path::Path;

/// 32 bytes written as hex in the file at `path`; None when it is missing or malformed.
pub(super) fn read_secret(path: &Path) -> Option<[u8; 32]> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut secret = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut secret).ok()?;
    Some(secret)
}

/// 32 random bytes from the operating system.
pub(super) fn random_secret() -> std::io::Result<[u8; 32]> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(secret)
}

/// Writes a secret atomically, readable by the owner only (0600).
pub(super) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::fsio::write_atomic(path, bytes, crate::fsio::WriteOptions::new(0o600))
}
