//! AES-128-CBC decryption of HLS segments as their bytes arrive, so a segment never has
//! to sit in memory whole before it is written.
//!
//! CBC needs only the previous ciphertext block to decrypt the next, so each chunk is
//! decrypted on its own with that block as its IV. The last block is held back until the
//! end: it carries the PKCS#7 padding to strip.

use aes::cipher::block_padding::{NoPadding, Pkcs7};
use aes::cipher::{BlockModeDecrypt, KeyIvInit};

type Decryptor = cbc::Decryptor<aes::Aes128>;

const BLOCK: usize = 16;

/// The ciphertext was not a whole number of blocks, or its padding was invalid (a
/// wrong key or a damaged segment).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decrypt the segment (wrong key or damaged data)")]
pub(crate) struct DecryptError;

/// Decrypts one segment fed in chunks of any size.
pub(crate) struct StreamDecryptor {
    key: [u8; 16],
    iv: [u8; 16],
    /// Ciphertext not yet decrypted: always less than a block, or the held-back last one.
    pending: Vec<u8>,
}

impl StreamDecryptor {
    pub(crate) fn new(key: [u8; 16], iv: [u8; 16]) -> Self {
        Self {
            key,
            iv,
            pending: Vec::with_capacity(BLOCK * 2),
        }
    }

    /// Decrypts what `chunk` completes; returns plaintext (possibly empty).
    pub(crate) fn update(&mut self, chunk: &[u8]) -> Result<Vec<u8>, DecryptError> {
        self.pending.extend_from_slice(chunk);
        // Keep at least one whole block back: it may be the last, with the padding.
        let ready = match self.pending.len() {
            0..=BLOCK => 0,
            len if len % BLOCK == 0 => len - BLOCK,
            len => len - len % BLOCK,
        };
        if ready == 0 {
            return Ok(Vec::new());
        }
        let rest = self.pending.split_off(ready);
        let mut blocks = std::mem::replace(&mut self.pending, rest);
        let next_iv = last_block(&blocks);
        Decryptor::new(&self.key.into(), &self.iv.into())
            .decrypt_padded::<NoPadding>(&mut blocks)
            .map_err(|_| DecryptError)?;
        self.iv = next_iv;
        Ok(blocks)
    }

    /// Decrypts the held-back block and strips the padding.
    pub(crate) fn finish(self) -> Result<Vec<u8>, DecryptError> {
        if self.pending.len() != BLOCK {
            return Err(DecryptError);
        }
        Decryptor::new(&self.key.into(), &self.iv.into())
            .decrypt_padded_vec::<Pkcs7>(&self.pending)
            .map_err(|_| DecryptError)
    }
}

fn last_block(blocks: &[u8]) -> [u8; 16] {
    let mut iv = [0; 16];
    iv.copy_from_slice(&blocks[blocks.len() - BLOCK..]);
    iv
}

#[cfg(test)]
mod tests {
    use aes::cipher::BlockModeEncrypt;

    use super::*;

    fn encrypt(key: &[u8; 16], iv: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
        cbc::Encryptor::<aes::Aes128>::new(key.into(), iv.into())
            .encrypt_padded_vec::<Pkcs7>(plaintext)
    }

    #[test]
    fn any_chunking_gives_the_plaintext() {
        let key = [3; 16];
        let iv = [5; 16];
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 188 * 7] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 37 % 251) as u8).collect();
            let ciphertext = encrypt(&key, &iv, &plaintext);
            for chunk in [1, 5, 16, 17, 64, 4096] {
                let mut decryptor = StreamDecryptor::new(key, iv);
                let mut out = Vec::new();
                for piece in ciphertext.chunks(chunk) {
                    out.extend(decryptor.update(piece).expect("whole blocks"));
                }
                out.extend(decryptor.finish().expect("valid padding"));
                assert_eq!(out, plaintext, "len {len}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn wrong_key_or_truncation_fails() {
        let plaintext = vec![7; 100];
        let ciphertext = encrypt(&[1; 16], &[0; 16], &plaintext);
        let mut truncated = StreamDecryptor::new([1; 16], [0; 16]);
        let _ = truncated.update(&ciphertext[..ciphertext.len() - 3]);
        assert_eq!(truncated.finish(), Err(DecryptError));
        let mut wrong = StreamDecryptor::new([2; 16], [0; 16]);
        let _ = wrong.update(&ciphertext);
        // A wrong key gives random padding: almost always invalid (1 in ~256 passes),
        // and never the plaintext.
        assert_ne!(wrong.finish().ok(), Some(plaintext[96..].to_vec()));
    }
}
