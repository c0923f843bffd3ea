//! Just enough H.264 for tools to recognise the streams: a real SPS and PPS for a resolution, and NAL framing.
//!
//! Slices carry pseudo-random bytes; they will not decode to pictures, but demuxers and probes see the right size.

/// `avc1.42C028`: Constrained Baseline, level 4.0, as in the `CODECS` attribute.
pub(crate) const CODECS: &str = "avc1.42c028";
const PROFILE: u8 = 66;
const CONSTRAINTS: u8 = 0xc0;
const LEVEL: u8 = 40;

/// The sequence parameter set NAL unit (with header, emulation-prevented) for `width`×`height`.
pub(crate) fn sps(width: u32, height: u32) -> Vec<u8> {
    let width_mbs = width.div_ceil(16);
    let height_mbs = height.div_ceil(16);
    let mut bits = BitWriter::default();
    bits.bits(u32::from(PROFILE), 8);
    bits.bits(u32::from(CONSTRAINTS), 8);
    bits.bits(u32::from(LEVEL), 8);
    bits.ue(0); // seq_parameter_set_id
    bits.ue(0); // log2_max_frame_num_minus4
    bits.ue(2); // pic_order_cnt_type
    bits.ue(1); // max_num_ref_frames
    bits.bit(false); // gaps_in_frame_num_value_allowed_flag
    bits.ue(width_mbs - 1);
    bits.ue(height_mbs - 1);
    bits.bit(true); // frame_mbs_only_flag
    bits.bit(true); // direct_8x8_inference_flag
    let crop_right = (width_mbs * 16 - width) / 2;
    let crop_bottom = (height_mbs * 16 - height) / 2;
    bits.bit(crop_right > 0 || crop_bottom > 0);
    if crop_right > 0 || crop_bottom > 0 {
        bits.ue(0);
        bits.ue(crop_right);
        bits.ue(0);
        bits.ue(crop_bottom);
    }
    bits.bit(false); // vui_parameters_present_flag
    nal(0x67, &bits.finish())
}

/// The picture parameter set NAL unit (with header).
pub(crate) fn pps() -> Vec<u8> {
    let mut bits = BitWriter::default();
    bits.ue(0); // pic_parameter_set_id
    bits.ue(0); // seq_parameter_set_id
    bits.bit(false); // entropy_coding_mode_flag: CAVLC
    bits.bit(false); // bottom_field_pic_order_in_frame_present_flag
    bits.ue(0); // num_slice_groups_minus1
    bits.ue(0); // num_ref_idx_l0_default_active_minus1
    bits.ue(0); // num_ref_idx_l1_default_active_minus1
    bits.bit(false); // weighted_pred_flag
    bits.bits(0, 2); // weighted_bipred_idc
    bits.ue(0); // pic_init_qp_minus26 (se 0)
    bits.ue(0); // pic_init_qs_minus26 (se 0)
    bits.ue(0); // chroma_qp_index_offset (se 0)
    bits.bit(true); // deblocking_filter_control_present_flag
    bits.bit(false); // constrained_intra_pred_flag
    bits.bit(false); // redundant_pic_cnt_present_flag
    nal(0x68, &bits.finish())
}

/// The `avcC` configuration record for `width`×`height`.
pub(crate) fn avc_configuration(width: u32, height: u32) -> Vec<u8> {
    let sps = sps(width, height);
    let pps = pps();
    let mut out = vec![1, PROFILE, CONSTRAINTS, LEVEL, 0xff, 0xe1];
    out.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    out.extend_from_slice(&sps);
    out.push(1);
    out.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    out.extend_from_slice(&pps);
    out
}

/// The Annex B start of every segment's access unit: delimiter, SPS, PPS and an IDR slice header byte.
pub(crate) fn annex_b_prefix(width: u32, height: u32) -> Vec<u8> {
    const START: [u8; 4] = [0, 0, 0, 1];
    [
        &START[..],
        &[0x09, 0xf0],
        &START,
        &sps(width, height),
        &START,
        &pps(),
        &START,
        &[0x65],
    ]
    .concat()
}

/// Makes pseudo-random slice bytes safe inside a NAL unit: no zero bytes, so no start code or emulation.
pub(crate) fn scrub(payload: &mut [u8]) {
    for byte in payload {
        if *byte == 0 {
            *byte = 0x80;
        }
    }
}

/// A NAL unit: `header` byte and the RBSP with emulation-prevention bytes inserted.
fn nal(header: u8, rbsp: &[u8]) -> Vec<u8> {
    let mut out = vec![header];
    let mut zeros = 0;
    for &byte in rbsp {
        if zeros >= 2 && byte <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(byte);
        zeros = if byte == 0 { zeros + 1 } else { 0 };
    }
    out
}

/// Writes bits most significant first.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    used: u32,
}

impl BitWriter {
    fn bit(&mut self, value: bool) {
        if self.used.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if value && let Some(last) = self.bytes.last_mut() {
            *last |= 0x80 >> (self.used % 8);
        }
        self.used += 1;
    }

    fn bits(&mut self, value: u32, count: u32) {
        for shift in (0..count).rev() {
            self.bit(value >> shift & 1 == 1);
        }
    }

    /// Unsigned exponential-Golomb code.
    fn ue(&mut self, value: u32) {
        let coded = value + 1;
        let len = 32 - coded.leading_zeros();
        self.bits(0, len - 1);
        self.bits(coded, len);
    }

    /// The RBSP trailing bits, then the bytes.
    fn finish(mut self) -> Vec<u8> {
        self.bit(true);
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb() {
        for (value, expected) in [
            (0, "1"),
            (1, "010"),
            (2, "011"),
            (3, "00100"),
            (79, "0000001010000"),
        ] {
            let mut bits = BitWriter::default();
            bits.ue(value);
            let used = bits.used as usize;
            let text: String = bits
                .bytes
                .iter()
                .map(|byte| format!("{byte:08b}"))
                .collect();
            assert_eq!(&text[..used], expected, "ue({value})");
        }
    }

    #[test]
    fn sps_for_720p() {
        // Baseline 4.0, 80×45 macroblocks, no cropping.
        assert_eq!(
            sps(1280, 720),
            [0x67, 0x42, 0xc0, 0x28, 0xda, 0x01, 0x40, 0x16, 0xe4]
        );
    }

    #[test]
    fn emulation_prevention() {
        assert_eq!(
            nal(0x67, &[0, 0, 1, 0, 0, 0, 5]),
            [0x67, 0, 0, 3, 1, 0, 0, 3, 0, 5]
        );
    }
}
