//! AES-128-CBC decryption of HLS segments as their bytes arrive, so a segment never has
//! to sit in memory whole before it is written.
//!
//! CBC needs only the previous ciphertext block to decrypt the next, so each chunk is
//! decrypted on its own with that block as its IV. The last block is held back until the
//! end: it carries the PKCS#7 padding to strip.

use aes::cipher::array::Array;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, KeyIvInit};

type Decryptor = cbc::Decryptor<aes::Aes128>;

const BLOCK: usize = 16;

/// The ciphertext was not a whole number of blocks, or its padding was invalid (a
/// wrong key or a damaged segment).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decrypt the segment (wrong key or damaged data)")]
pub(crate) struct DecryptError;

/// Decrypts one segment fed in chunks of any size. The cipher keeps the chain's last
/// ciphertext block between chunks, and each chunk is decrypted straight from the
/// received bytes into the plaintext buffer: no copy of the ciphertext is made.
pub(crate) struct StreamDecryptor {
    cipher: Decryptor,
    /// Ciphertext not yet decrypted: fewer than a block's bytes, or the held-back last
    /// block.
    pending: [u8; BLOCK],
    pending_len: usize,
}

impl StreamDecryptor {
    pub(crate) fn new(key: [u8; 16], iv: [u8; 16]) -> Self {
        Self {
            cipher: Decryptor::new(&key.into(), &iv.into()),
            pending: [0; BLOCK],
            pending_len: 0,
        }
    }

    /// Decrypts what `chunk` completes; returns plaintext (possibly empty).
    pub(crate) fn update(&mut self, chunk: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let total = self.pending_len + chunk.len();
        // Keep at least one whole block back: it may be the last, with the padding.
        let ready = match total {
            0..=BLOCK => 0,
            total if total % BLOCK == 0 => total - BLOCK,
            total => total - total % BLOCK,
        };
        if ready == 0 {
            self.pending[self.pending_len..total].copy_from_slice(chunk);
            self.pending_len = total;
            return Ok(Vec::new());
        }
        let mut plain = vec![0; ready];
        let mut rest = chunk;
        let mut done = 0;
        if self.pending_len > 0 {
            // The pending bytes and the chunk's first ones make one block (`ready` is at
            // least a block past them, so the chunk has them).
            let (head, tail) = rest.split_at(BLOCK - self.pending_len);
            self.pending[self.pending_len..].copy_from_slice(head);
            let out = Array::slice_as_chunks_mut(&mut plain[..BLOCK]).0;
            self.cipher
                .decrypt_block_b2b(&Array(self.pending), &mut out[0]);
            rest = tail;
            done = BLOCK;
        }
        let (body, left) = rest.split_at(ready - done);
        let (in_blocks, _) = Array::slice_as_chunks(body);
        let (out_blocks, _) = Array::slice_as_chunks_mut(&mut plain[done..]);
        self.cipher
            .decrypt_blocks_b2b(in_blocks, out_blocks)
            .map_err(|_| DecryptError)?;
        self.pending[..left.len()].copy_from_slice(left);
        self.pending_len = left.len();
        Ok(plain)
    }

    /// Decrypts the held-back block and strips the padding.
    pub(crate) fn finish(self) -> Result<Vec<u8>, DecryptError> {
        if self.pending_len != BLOCK {
            return Err(DecryptError);
        }
        self.cipher
            .decrypt_padded_vec::<Pkcs7>(&self.pending)
            .map_err(|_| DecryptError)
    }
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
    fn chunks_of_changing_sizes_give_the_plaintext() {
        let (key, iv) = ([9; 16], [4; 16]);
        let plaintext: Vec<u8> = (0..5000).map(|i| (i * 13 % 256) as u8).collect();
        let ciphertext = encrypt(&key, &iv, &plaintext);
        // Sizes that end a chunk mid-block, on a block, and one byte into the next.
        let sizes = [3, 29, 16, 1, 47, 32, 15, 17, 200];
        let mut decryptor = StreamDecryptor::new(key, iv);
        let (mut out, mut at) = (Vec::new(), 0);
        for size in sizes.iter().cycle() {
            if at == ciphertext.len() {
                break;
            }
            let end = (at + size).min(ciphertext.len());
            let plain = decryptor
                .update(&ciphertext[at..end])
                .expect("whole blocks");
            assert_eq!(plain.len() % 16, 0, "whole blocks only");
            out.extend(plain);
            at = end;
        }
        out.extend(decryptor.finish().expect("valid padding"));
        assert_eq!(out, plaintext);
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
