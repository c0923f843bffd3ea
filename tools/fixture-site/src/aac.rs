//! Silent audio: AAC-LC in ADTS frames, 48 kHz mono, the frame `ffmpeg`'s encoder writes for silence.
//!
//! A frame is 1024 samples, 1920 ticks of the 90 kHz clock. A 4-second segment holds 187.5 of them, so segments
//! alternate 188 and 187 frames and the audio runs on across segment boundaries, as packagers cut it.

use crate::video::SEGMENT_TICKS;

/// `mp4a.40.2`: MPEG-4 audio, AAC-LC, as in the `CODECS` attribute.
pub(crate) const CODECS: &str = "mp4a.40.2";

/// Ticks of the 90 kHz clock in one frame of 1024 samples at 48 kHz.
pub(crate) const FRAME_TICKS: u64 = 1920;

/// One silent frame: the 7-byte ADTS header (MPEG-4, no CRC, AAC-LC, 48 kHz, one channel, 11 bytes, VBR), then a
/// single channel element with no spectral data.
pub(crate) const SILENT_FRAME: [u8; 11] = [
    0xff, 0xf1, 0x4c, 0x40, 0x01, 0x7f, 0xfc, 0x01, 0x18, 0x20, 0x07,
];

/// The number of the first audio frame of segment `index`: the first that starts at or after the segment.
pub(crate) fn first_frame(index: u64) -> u64 {
    (index * SEGMENT_TICKS).div_ceil(FRAME_TICKS)
}

/// The audio frames of segment `index`: those that start within it.
pub(crate) fn frames(index: u64) -> std::ops::Range<u64> {
    first_frame(index)..first_frame(index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_alternate_188_and_187_frames() {
        let counts: Vec<u64> = (0..4)
            .map(|index| frames(index).end - frames(index).start)
            .collect();
        assert_eq!(counts, [188, 187, 188, 187]);
        assert_eq!(frames(1).start, frames(0).end);
    }

    #[test]
    fn the_header_describes_the_frame() {
        let header = &SILENT_FRAME;
        assert_eq!(u16::from(header[0]) << 4 | u16::from(header[1]) >> 4, 0xfff);
        assert_eq!(header[2] >> 6, 1, "AAC-LC");
        assert_eq!(header[2] >> 2 & 0x0f, 3, "48 kHz");
        assert_eq!((header[2] & 1) << 2 | header[3] >> 6, 1, "mono");
        let length = usize::from(header[3] & 0x03) << 11
            | usize::from(header[4]) << 3
            | usize::from(header[5]) >> 5;
        assert_eq!(length, SILENT_FRAME.len());
    }
}
