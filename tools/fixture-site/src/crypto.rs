//! AES-128-CBC with PKCS#7 padding, as HLS `METHOD=AES-128` uses it (one whole segment per encryption).

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};

type Encryptor = cbc::Encryptor<aes::Aes128>;
type Decryptor = cbc::Decryptor<aes::Aes128>;

/// Encrypts `plaintext` with `key` and `iv`; the result is padded to a multiple of 16 bytes.
pub(crate) fn encrypt(key: &[u8; 16], iv: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
    Encryptor::new(key.into(), iv.into()).encrypt_padded_vec::<Pkcs7>(plaintext)
}

/// Decrypts what [`encrypt`] produced; `None` when the padding is invalid.
pub(crate) fn decrypt(key: &[u8; 16], iv: &[u8; 16], ciphertext: &[u8]) -> Option<Vec<u8>> {
    Decryptor::new(key.into(), iv.into())
        .decrypt_padded_vec::<Pkcs7>(ciphertext)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let key = [7; 16];
        let iv = [9; 16];
        for len in [0, 1, 15, 16, 17, 188 * 5] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let ciphertext = encrypt(&key, &iv, &plaintext);
            assert_eq!(ciphertext.len(), (len / 16 + 1) * 16);
            if len >= 16 {
                assert_ne!(&ciphertext[..16], &plaintext[..16]);
            }
            assert_eq!(decrypt(&key, &iv, &ciphertext), Some(plaintext));
        }
    }

    #[test]
    fn matches_known_vector() {
        // FIPS-197 appendix C.1 key and plaintext, encrypted as the first CBC block with a zero IV.
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let plaintext: Vec<u8> = (0..16).map(|i| (i * 0x11) as u8).collect();
        let ciphertext = encrypt(&key, &[0; 16], &plaintext);
        let expected = [
            0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
            0xc5, 0x5a,
        ];
        assert_eq!(&ciphertext[..16], &expected);
    }
}
