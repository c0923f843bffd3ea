//! Coded pictures without an encoder: an IDR picture of vertical colour bars, and a P picture that repeats its
//! reference.
//!
//! The first macroblock of each bar, in the top row, is I_PCM: its samples are written as they are. Every other
//! macroblock is Intra 16×16 with no residual, predicted from its neighbour (horizontally along the top row,
//! vertically below it), so it copies the bar's colour. A picture of any size costs one byte per macroblock and 386
//! bytes per bar. Deblocking is off, so the decoded samples are exactly the bar colours.

use super::bits::BitWriter;
use super::{FRAME_NUM_BITS, NAL_IDR, NAL_NON_IDR, nal};

/// One colour in 8-bit Y′CbCr (video range keeps every sample above zero, so no PCM byte needs escaping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Colour {
    /// Luma.
    pub(crate) y: u8,
    /// Blue-difference chroma.
    pub(crate) cb: u8,
    /// Red-difference chroma.
    pub(crate) cr: u8,
}

/// The macroblock grid of a picture.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Picture {
    width_mbs: u32,
    height_mbs: u32,
}

/// `mb_type` of I_PCM in an I slice.
const MB_I_PCM: u32 = 25;
/// `mb_type` of Intra 16×16 with no coded residual: prediction mode 0 (vertical) and 1 (horizontal).
const MB_I16_VERTICAL: u32 = 1;
const MB_I16_HORIZONTAL: u32 = 2;
/// `intra_chroma_pred_mode` values.
const CHROMA_HORIZONTAL: u32 = 1;
const CHROMA_VERTICAL: u32 = 2;
/// `slice_type` values that also promise every slice of the picture has the same type.
const SLICE_P: u32 = 5;
const SLICE_I: u32 = 7;
/// `disable_deblocking_filter_idc`: the filter is off, so the decoded picture is what was coded.
const DEBLOCKING_OFF: u32 = 1;

impl Picture {
    /// The macroblocks covering `width`×`height` samples.
    pub(crate) fn new(width: u32, height: u32) -> Self {
        Self {
            width_mbs: width.div_ceil(16).max(1),
            height_mbs: height.div_ceil(16).max(1),
        }
    }

    fn macroblocks(self) -> u32 {
        self.width_mbs * self.height_mbs
    }

    /// The bar of macroblock column `x` when `bars` bars share the width.
    fn bar(self, x: u32, bars: usize) -> usize {
        (x as usize * bars) / self.width_mbs as usize
    }

    /// The IDR slice NAL unit of bars in `colours`, left to right, of equal width (up to a macroblock).
    pub(crate) fn bars_slice(self, colours: &[Colour]) -> Vec<u8> {
        let bars = colours.len().max(1);
        let mut bits = BitWriter::default();
        bits.ue(0); // first_mb_in_slice
        bits.ue(SLICE_I);
        bits.ue(0); // pic_parameter_set_id
        bits.bits(0, FRAME_NUM_BITS); // frame_num
        bits.ue(0); // idr_pic_id: IDR pictures are never adjacent here
        bits.bit(false); // no_output_of_prior_pics_flag
        bits.bit(false); // long_term_reference_flag
        bits.se(0); // slice_qp_delta
        bits.ue(DEBLOCKING_OFF);
        for y in 0..self.height_mbs {
            for x in 0..self.width_mbs {
                let starts_bar = y == 0 && (x == 0 || self.bar(x - 1, bars) != self.bar(x, bars));
                if starts_bar {
                    let colour = colours.get(self.bar(x, bars)).copied();
                    pcm_macroblock(&mut bits, colour.unwrap_or(GREY));
                    continue;
                }
                if y == 0 {
                    bits.ue(MB_I16_HORIZONTAL);
                    bits.ue(CHROMA_HORIZONTAL);
                } else {
                    bits.ue(MB_I16_VERTICAL);
                    bits.ue(CHROMA_VERTICAL);
                }
                bits.se(0); // mb_qp_delta
                // The Intra16x16DCLevel block, with no coefficient.
                no_coefficients(&mut bits, self.dc_context(x, y, bars));
            }
        }
        nal(NAL_IDR, &bits.finish())
    }

    /// `nC` of the luma DC block of macroblock (`x`, `y`): from the blocks left and above, where an I_PCM
    /// macroblock counts 16 coefficients and an Intra 16×16 one without residual none.
    fn dc_context(self, x: u32, y: u32, bars: usize) -> u32 {
        let coefficients = |x: u32, y: u32| -> u32 {
            let pcm = y == 0 && (x == 0 || self.bar(x - 1, bars) != self.bar(x, bars));
            if pcm { 16 } else { 0 }
        };
        let left = (x > 0).then(|| coefficients(x - 1, y));
        let above = (y > 0).then(|| coefficients(x, y - 1));
        match (left, above) {
            (Some(left), Some(above)) => (left + above + 1) >> 1,
            (Some(only), None) | (None, Some(only)) => only,
            (None, None) => 0,
        }
    }

    /// A P slice NAL unit whose macroblocks are all skipped: the picture repeats its reference.
    pub(crate) fn repeat_slice(self, frame_num: u32) -> Vec<u8> {
        let mut bits = BitWriter::default();
        bits.ue(0); // first_mb_in_slice
        bits.ue(SLICE_P);
        bits.ue(0); // pic_parameter_set_id
        bits.bits(frame_num % (1 << FRAME_NUM_BITS), FRAME_NUM_BITS);
        bits.bit(false); // num_ref_idx_active_override_flag
        bits.bit(false); // ref_pic_list_modification_flag_l0
        bits.bit(false); // adaptive_ref_pic_marking_mode_flag: sliding window
        bits.se(0); // slice_qp_delta
        bits.ue(DEBLOCKING_OFF);
        bits.ue(self.macroblocks()); // mb_skip_run
        nal(NAL_NON_IDR, &bits.finish())
    }
}

/// Mid grey, for a bar without a colour.
const GREY: Colour = Colour {
    y: 128,
    cb: 128,
    cr: 128,
};

/// An I_PCM macroblock of one flat colour: 256 luma samples, then 64 of each chroma component (4:2:0).
fn pcm_macroblock(bits: &mut BitWriter, colour: Colour) {
    bits.ue(MB_I_PCM);
    bits.align_with_zeros();
    bits.bytes(&[colour.y; 256]);
    bits.bytes(&[colour.cb; 64]);
    bits.bytes(&[colour.cr; 64]);
}

/// `coeff_token` for a block with no coefficients, from the table `nC` selects.
fn no_coefficients(bits: &mut BitWriter, context: u32) {
    match context {
        0..=1 => bits.bits(0b1, 1),
        2..=3 => bits.bits(0b11, 2),
        4..=7 => bits.bits(0b1111, 4),
        _ => bits.bits(0b00_0011, 6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn colours(count: u8) -> Vec<Colour> {
        (0..count)
            .map(|index| Colour {
                y: 16 + index * 20,
                cb: 240 - index * 10,
                cr: 100 + index,
            })
            .collect()
    }

    #[test]
    fn one_byte_per_predicted_macroblock_and_386_per_bar() {
        let picture = Picture::new(1920, 1080);
        let slice = picture.bars_slice(&colours(8));
        // 120×68 macroblocks, 8 of them I_PCM.
        let predicted = 120 * 68 - 8;
        assert!(slice.len() > predicted + 8 * 384, "{}", slice.len());
        assert!(slice.len() < predicted + 8 * 388 + 64, "{}", slice.len());
    }

    #[test]
    fn slice_sizes_do_not_depend_on_the_colours() {
        for (width, height) in [(640, 360), (1280, 720), (1920, 1080), (64, 36), (16, 16)] {
            let picture = Picture::new(width, height);
            let bright = picture.bars_slice(&colours(8));
            let dark = picture.bars_slice(&[GREY; 8]);
            assert_eq!(bright.len(), dark.len(), "{width}x{height}");
            assert_eq!(
                picture.repeat_slice(0).len(),
                picture.repeat_slice(15).len()
            );
        }
    }

    #[test]
    fn bars_start_with_pcm_in_the_top_row() {
        let picture = Picture::new(640, 360);
        let starts: Vec<u32> = (0..picture.width_mbs)
            .filter(|&x| x == 0 || picture.bar(x - 1, 8) != picture.bar(x, 8))
            .collect();
        assert_eq!(starts, [0, 5, 10, 15, 20, 25, 30, 35]);
        assert_eq!(picture.dc_context(1, 0, 8), 16);
        assert_eq!(picture.dc_context(0, 1, 8), 16);
        assert_eq!(picture.dc_context(5, 1, 8), 8);
        assert_eq!(picture.dc_context(2, 1, 8), 0);
        // Narrower than the bars: every column starts one.
        let narrow = Picture::new(48, 16);
        assert_eq!(narrow.bar(0, 8), 0);
        assert_eq!(narrow.bar(2, 8), 5);
    }
}
