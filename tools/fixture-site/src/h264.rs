//! Just enough H.264 for streams that decode: parameter sets, NAL framing, access unit delimiters and filler.
//!
//! Constrained Baseline, CAVLC; the pictures themselves are in [`picture`].

mod bits;
mod picture;

pub(crate) use picture::{Colour, Picture};

use bits::BitWriter;

/// `avc1.42C028`: Constrained Baseline, level 4.0, as in the `CODECS` attribute.
pub(crate) const CODECS: &str = "avc1.42c028";
const PROFILE: u8 = 66;
const CONSTRAINTS: u8 = 0xc0;
const LEVEL: u8 = 40;
/// `frame_num` has this many bits (`log2_max_frame_num_minus4` = 0).
const FRAME_NUM_BITS: u32 = 4;

/// NAL unit header bytes: `nal_ref_idc` in bits 5-6, `nal_unit_type` below.
const NAL_IDR: u8 = 0x65;
const NAL_NON_IDR: u8 = 0x41;
const NAL_SPS: u8 = 0x67;
const NAL_PPS: u8 = 0x68;
const NAL_DELIMITER: u8 = 0x09;
const NAL_FILLER: u8 = 0x0c;

/// The four-byte Annex B start code.
pub(crate) const START_CODE: [u8; 4] = [0, 0, 0, 1];
/// The bytes of the smallest filler NAL unit in Annex B: start code, header, trailing bits.
pub(crate) const MIN_FILLER: usize = START_CODE.len() + 2;

/// The sequence parameter set NAL unit for `width`×`height` at `frame_rate` frames per second.
pub(crate) fn sps(width: u32, height: u32, frame_rate: u32) -> Vec<u8> {
    let width_mbs = width.div_ceil(16);
    let height_mbs = height.div_ceil(16);
    let mut bits = BitWriter::default();
    bits.bits(u32::from(PROFILE), 8);
    bits.bits(u32::from(CONSTRAINTS), 8);
    bits.bits(u32::from(LEVEL), 8);
    bits.ue(0); // seq_parameter_set_id
    bits.ue(FRAME_NUM_BITS - 4); // log2_max_frame_num_minus4
    bits.ue(2); // pic_order_cnt_type: output order is decoding order
    bits.ue(1); // max_num_ref_frames
    bits.bit(false); // gaps_in_frame_num_value_allowed_flag
    bits.ue(width_mbs - 1);
    bits.ue(height_mbs - 1);
    bits.bit(true); // frame_mbs_only_flag
    bits.bit(true); // direct_8x8_inference_flag
    // Crop units are two samples in 4:2:0 frames.
    let crop_right = (width_mbs * 16 - width) / 2;
    let crop_bottom = (height_mbs * 16 - height) / 2;
    bits.bit(crop_right > 0 || crop_bottom > 0);
    if crop_right > 0 || crop_bottom > 0 {
        bits.ue(0);
        bits.ue(crop_right);
        bits.ue(0);
        bits.ue(crop_bottom);
    }
    bits.bit(true); // vui_parameters_present_flag
    vui(&mut bits, frame_rate);
    nal(NAL_SPS, &bits.finish())
}

/// Video usability information: the frame rate, so a demuxer times frames without a container, and no reordering.
fn vui(bits: &mut BitWriter, frame_rate: u32) {
    bits.bit(false); // aspect_ratio_info_present_flag
    bits.bit(false); // overscan_info_present_flag
    bits.bit(false); // video_signal_type_present_flag
    bits.bit(false); // chroma_loc_info_present_flag
    bits.bit(true); // timing_info_present_flag
    bits.bits(1, 32); // num_units_in_tick
    bits.bits(2 * frame_rate, 32); // time_scale: two ticks per frame
    bits.bit(true); // fixed_frame_rate_flag
    bits.bit(false); // nal_hrd_parameters_present_flag
    bits.bit(false); // vcl_hrd_parameters_present_flag
    bits.bit(false); // pic_struct_present_flag
    bits.bit(true); // bitstream_restriction_flag
    bits.bit(true); // motion_vectors_over_pic_boundaries_flag
    bits.ue(0); // max_bytes_per_pic_denom
    bits.ue(0); // max_bits_per_mb_denom
    bits.ue(11); // log2_max_mv_length_horizontal
    bits.ue(11); // log2_max_mv_length_vertical
    bits.ue(0); // max_num_reorder_frames: no B pictures
    bits.ue(1); // max_dec_frame_buffering
}

/// The picture parameter set NAL unit.
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
    bits.se(0); // pic_init_qp_minus26
    bits.se(0); // pic_init_qs_minus26
    bits.se(0); // chroma_qp_index_offset
    bits.bit(true); // deblocking_filter_control_present_flag: slices turn the filter off
    bits.bit(false); // constrained_intra_pred_flag
    bits.bit(false); // redundant_pic_cnt_present_flag
    nal(NAL_PPS, &bits.finish())
}

/// The `avcC` configuration record for `width`×`height` at `frame_rate`.
pub(crate) fn avc_configuration(width: u32, height: u32, frame_rate: u32) -> Vec<u8> {
    let sps = sps(width, height, frame_rate);
    let pps = pps();
    // Version 1, profile, constraints, level, 4-byte lengths, one SPS.
    let mut out = vec![1, PROFILE, CONSTRAINTS, LEVEL, 0xff, 0xe1];
    out.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    out.extend_from_slice(&sps);
    out.push(1);
    out.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    out.extend_from_slice(&pps);
    out
}

/// An access unit delimiter for an IDR picture (`key`, I slices only) or a P picture.
pub(crate) fn access_unit_delimiter(key: bool) -> Vec<u8> {
    let primary_pic_type = if key { 0 } else { 1 };
    vec![NAL_DELIMITER, primary_pic_type << 5 | 0x10]
}

/// A filler data NAL unit of `len` bytes with its four-byte start code; `len` is at least [`MIN_FILLER`].
pub(crate) fn annex_b_filler(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&START_CODE);
    out.extend_from_slice(&filler(len - MIN_FILLER));
    out
}

/// A filler data NAL unit with `ff_bytes` bytes of 0xff (header and trailing bits add two).
pub(crate) fn filler(ff_bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(ff_bytes + 2);
    out.push(NAL_FILLER);
    out.resize(ff_bytes + 1, 0xff);
    out.push(0x80);
    out
}

/// A NAL unit: `header` byte and the RBSP with emulation-prevention bytes inserted.
fn nal(header: u8, rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + rbsp.len() / 64 + 1);
    out.push(header);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sps_for_720p_at_10_fps() {
        // Baseline 4.0, 80×45 macroblocks, no cropping, then the VUI: 1/20 s ticks, no reordering.
        assert_eq!(
            sps(1280, 720, 10),
            [
                0x67, 0x42, 0xc0, 0x28, 0xda, 0x01, 0x40, 0x16, 0xe8, 0x40, 0x00, 0x00, 0x03, 0x00,
                0x40, 0x00, 0x00, 0x05, 0x23, 0xc6, 0x0c, 0xa8
            ]
        );
    }

    #[test]
    fn sps_crops_to_the_picture() {
        // 1080 lines are 68 macroblock rows: 8 lines (4 crop units) off the bottom.
        let cropped = sps(1920, 1080, 10);
        let uncropped = sps(1920, 1088, 10);
        assert_ne!(cropped, uncropped);
        assert!(cropped.len() > uncropped.len());
    }

    #[test]
    fn emulation_prevention() {
        assert_eq!(
            nal(0x67, &[0, 0, 1, 0, 0, 0, 5]),
            [0x67, 0, 0, 3, 1, 0, 0, 3, 0, 5]
        );
    }

    #[test]
    fn filler_has_the_asked_length() {
        assert_eq!(annex_b_filler(MIN_FILLER), [0, 0, 0, 1, 0x0c, 0x80]);
        assert_eq!(annex_b_filler(40).len(), 40);
        assert_eq!(filler(3), [0x0c, 0xff, 0xff, 0xff, 0x80]);
    }
}
