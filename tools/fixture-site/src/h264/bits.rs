//! A bit writer for H.264 syntax: fixed-width fields, exponential-Golomb codes, byte alignment.

/// Writes bits most significant first.
#[derive(Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    /// Bits not yet flushed to `bytes`, in the low `pending_len` bits.
    pending: u64,
    pending_len: u32,
}

impl BitWriter {
    /// One bit.
    pub(crate) fn bit(&mut self, value: bool) {
        self.bits(u32::from(value), 1);
    }

    /// The low `count` bits of `value` (`count` at most 32).
    pub(crate) fn bits(&mut self, value: u32, count: u32) {
        debug_assert!(count <= 32);
        if count == 0 {
            return;
        }
        let mask = if count == 32 {
            u64::from(u32::MAX)
        } else {
            (1u64 << count) - 1
        };
        self.pending = (self.pending << count) | (u64::from(value) & mask);
        self.pending_len += count;
        while self.pending_len >= 8 {
            self.pending_len -= 8;
            self.bytes.push((self.pending >> self.pending_len) as u8);
        }
        // Only the unflushed bits matter; dropping the rest keeps the shift in range.
        self.pending &= (1u64 << self.pending_len) - 1;
    }

    /// Unsigned exponential-Golomb code, `ue(v)`.
    pub(crate) fn ue(&mut self, value: u32) {
        let coded = u64::from(value) + 1;
        let len = 64 - coded.leading_zeros();
        self.bits(0, len - 1);
        // `coded` has `len` bits, at most 33: write the top bit apart when it does not fit.
        if len > 32 {
            self.bits(1, len - 32);
            self.bits(coded as u32, 32);
        } else {
            self.bits(coded as u32, len);
        }
    }

    /// Signed exponential-Golomb code, `se(v)`.
    pub(crate) fn se(&mut self, value: i32) {
        let mapped = if value > 0 {
            2 * value.unsigned_abs() - 1
        } else {
            2 * value.unsigned_abs()
        };
        self.ue(mapped);
    }

    /// Zero bits up to the next byte boundary (`pcm_alignment_zero_bit`).
    pub(crate) fn align_with_zeros(&mut self) {
        if self.pending_len > 0 {
            self.bits(0, 8 - self.pending_len);
        }
    }

    /// Whole bytes; the writer must be byte-aligned.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.pending_len, 0, "bytes written off a byte boundary");
        self.bytes.extend_from_slice(bytes);
    }

    /// Bits written so far.
    #[cfg(test)]
    pub(crate) fn len_bits(&self) -> usize {
        self.bytes.len() * 8 + self.pending_len as usize
    }

    /// The RBSP trailing bits (a one, then zeros to the byte boundary), then the bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.bit(true);
        self.align_with_zeros();
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bits written by `write`, as text, without the trailing bits.
    fn written(write: impl FnOnce(&mut BitWriter)) -> String {
        let mut bits = BitWriter::default();
        write(&mut bits);
        let used = bits.len_bits();
        let text: String = bits
            .finish()
            .iter()
            .map(|byte| format!("{byte:08b}"))
            .collect();
        text[..used].to_owned()
    }

    #[test]
    fn exp_golomb() {
        for (value, expected) in [
            (0, "1"),
            (1, "010"),
            (2, "011"),
            (3, "00100"),
            (25, "000011010"),
            (79, "0000001010000"),
        ] {
            assert_eq!(written(|bits| bits.ue(value)), expected, "ue({value})");
        }
        for (value, expected) in [(0, "1"), (1, "010"), (-1, "011"), (2, "00100")] {
            assert_eq!(written(|bits| bits.se(value)), expected, "se({value})");
        }
        let top = written(|bits| bits.ue(u32::MAX));
        assert_eq!(top.len(), 65);
        assert!(top.starts_with(&format!("{}1", "0".repeat(32))));
    }

    #[test]
    fn fields_alignment_and_trailing_bits() {
        let mut bits = BitWriter::default();
        bits.bits(0b101, 3);
        bits.align_with_zeros();
        bits.bytes(&[0xab]);
        bits.bits(0xdead_beef, 32);
        assert_eq!(bits.finish(), [0xa0, 0xab, 0xde, 0xad, 0xbe, 0xef, 0x80]);
    }
}
