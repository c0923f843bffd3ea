//! The video of one segment: four seconds at 10 frames per second, an IDR picture of colour bars first, then P
//! pictures that repeat it.
//!
//! The bars' hues turn from segment to segment, so a player that seeks shows where it landed. Only the I_PCM samples
//! change with the hue: every segment of one rendition has frames of the same sizes.

use crate::catalog::SEGMENT_SECONDS;
use crate::h264::{Colour, Picture};

/// The MPEG clock: 90 kHz, also the fMP4 timescale.
pub(crate) const TICKS_PER_SECOND: u64 = 90_000;
/// Frames per second.
pub(crate) const FRAME_RATE: u32 = 10;
/// Ticks in one segment.
pub(crate) const SEGMENT_TICKS: u64 = SEGMENT_SECONDS as u64 * TICKS_PER_SECOND;
/// Ticks of one frame.
pub(crate) const FRAME_TICKS: u64 = TICKS_PER_SECOND / FRAME_RATE as u64;
/// Frames in one segment.
pub(crate) const FRAMES_PER_SEGMENT: usize = (SEGMENT_SECONDS * FRAME_RATE) as usize;
/// Bars across the picture.
const BARS: u32 = 8;

/// One coded frame.
pub(crate) struct Frame {
    /// The slice NAL unit, without start code or length.
    pub(crate) slice: Vec<u8>,
    /// Whether it is the IDR picture a segment starts with.
    pub(crate) key: bool,
}

/// The frames of one segment of a `width`×`height` rendition whose first bar has hue `hue` (degrees).
pub(crate) fn segment_frames(width: u32, height: u32, hue: u32) -> Vec<Frame> {
    let picture = Picture::new(width, height);
    let colours = bar_colours(hue);
    let mut frames = Vec::with_capacity(FRAMES_PER_SEGMENT);
    frames.push(Frame {
        slice: picture.bars_slice(&colours),
        key: true,
    });
    for frame_num in 1..FRAMES_PER_SEGMENT as u32 {
        frames.push(Frame {
            slice: picture.repeat_slice(frame_num),
            key: false,
        });
    }
    frames
}

/// The colours of the bars, left to right: evenly round the colour wheel from hue `hue` (degrees).
pub(crate) fn bar_colours(hue: u32) -> Vec<Colour> {
    (0..BARS)
        .map(|bar| colour(hue + bar * 360 / BARS))
        .collect()
}

/// A 75 % saturated, 75 % bright colour of hue `hue` degrees, in BT.601 video range.
fn colour(hue: u32) -> Colour {
    let sector = f64::from(hue % 360) / 60.0;
    let rising = sector.fract();
    let (high, low) = (0.75, 0.1875);
    let mid_up = low + (high - low) * rising;
    let mid_down = high - (high - low) * rising;
    let (r, g, b) = match sector as u32 {
        0 => (high, mid_up, low),
        1 => (mid_down, high, low),
        2 => (low, high, mid_up),
        3 => (low, mid_down, high),
        4 => (mid_up, low, high),
        _ => (high, low, mid_down),
    };
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let sample = |value: f64| value.round().clamp(16.0, 240.0) as u8;
    Colour {
        y: sample(16.0 + 219.0 * y),
        cb: sample(128.0 + 224.0 * (b - y) / 1.772),
        cr: sample(128.0 + 224.0 * (r - y) / 1.402),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_is_one_idr_then_repeats() {
        let frames = segment_frames(640, 360, 0);
        assert_eq!(frames.len(), 40);
        assert_eq!(SEGMENT_TICKS, FRAMES_PER_SEGMENT as u64 * FRAME_TICKS);
        assert!(frames[0].key && frames[1..].iter().all(|frame| !frame.key));
        assert_eq!(frames[0].slice[0], 0x65);
        assert_eq!(frames[1].slice[0], 0x41);
    }

    #[test]
    fn frame_sizes_do_not_depend_on_the_hue() {
        let sizes = |hue| -> Vec<usize> {
            segment_frames(1280, 720, hue)
                .iter()
                .map(|frame| frame.slice.len())
                .collect()
        };
        assert_eq!(sizes(0), sizes(137));
    }

    #[test]
    fn colours_are_video_range() {
        assert_eq!(
            colour(0),
            Colour {
                y: 94,
                cb: 107,
                cr: 191
            }
        );
        for hue in 0..360 {
            let Colour { y, cb, cr } = colour(hue);
            assert!((16..=235).contains(&y) && cb >= 16 && cr >= 16, "{hue}");
        }
        assert_ne!(colour(0), colour(45));
    }
}
