//! Stream bytes as pure functions of (code, variant, index) and the segment size the server was started with.

#[cfg(test)]
mod tests;

use super::{StreamKind, VARIANTS, Variant, code, has_broken_video, segment_count, stream_kind};
use crate::prng::{SplitMix64, hash};
use crate::{crypto, fmp4, h264, ts, video};

/// The plaintext of segment `index` of `variant` of `n`, about `segment_size` bytes (scaled by variant), or what its
/// pictures and sound need when that is more.
///
/// MPEG-TS for [`StreamKind::Ts`] and [`StreamKind::TsAes128`], a `moof` + `mdat` fragment for [`StreamKind::Fmp4`].
pub fn segment_bytes(n: u32, variant: usize, index: usize, segment_size: usize) -> Vec<u8> {
    let target = target_size(n, variant, index, segment_size);
    let rendition = rendition(variant);
    let frames = video::segment_frames(rendition.width, rendition.height, bar_hue(n, index));
    match stream_kind(n) {
        StreamKind::Ts | StreamKind::TsAes128 => {
            let parameter_sets = ts_parameter_sets(n, rendition);
            // Every segment's frames have the sizes of these, so one budget counts the earlier segments' packets.
            let budget = ts::PacketBudget::new(&parameter_sets, &frames);
            let (mut video_before, mut audio_before) = (0, 0);
            for earlier in 0..index {
                let earlier_target = target_size(n, variant, earlier, segment_size);
                let (video, audio) = budget.split(earlier as u64, earlier_target / ts::PACKET_SIZE);
                video_before += video as u64;
                audio_before += audio as u64;
            }
            let (video_packets, _) = budget.split(index as u64, target / ts::PACKET_SIZE);
            ts::segment(&ts::Segment {
                index: index as u64,
                parameter_sets: &parameter_sets,
                frames: &frames,
                video_packets,
                video_packets_before: video_before,
                audio_packets_before: audio_before,
            })
        }
        StreamKind::Fmp4 => fmp4::media_segment(&frames, index as u64, target),
    }
}

/// The parameter sets sent before every IDR picture: SPS and PPS, or only the SPS in a broken stream (no slice can
/// be decoded without the PPS).
fn ts_parameter_sets(n: u32, rendition: Variant) -> Vec<Vec<u8>> {
    let sps = h264::sps(rendition.width, rendition.height, video::FRAME_RATE);
    if has_broken_video(n) {
        vec![sps]
    } else {
        vec![sps, h264::pps()]
    }
}

/// The hue of the first colour bar of segment `index` of `n`: each code starts elsewhere on the colour wheel, and
/// each segment turns it on, so a seek shows.
fn bar_hue(n: u32, index: usize) -> u32 {
    ((n as usize * 47 + index * 29) % 360) as u32
}

/// The variant's rendition; the first for an out-of-range index.
fn rendition(variant: usize) -> Variant {
    VARIANTS.get(variant).copied().unwrap_or(VARIANTS[0])
}

/// The byte size one segment is made to have (about, for fMP4), unless its content needs more.
fn target_size(n: u32, variant: usize, index: usize, segment_size: usize) -> usize {
    let seed = hash(&[
        b"segment",
        code(n).as_bytes(),
        &variant.to_le_bytes(),
        &index.to_le_bytes(),
    ]);
    // Higher variants are larger, and sizes wobble a little from segment to segment.
    segment_size * (variant + 2) / 3 + (seed % 8) as usize * ts::PACKET_SIZE
}

/// The segment as served: [`segment_bytes`], AES-128-CBC encrypted for [`StreamKind::TsAes128`].
pub fn served_segment(n: u32, variant: usize, index: usize, segment_size: usize) -> Vec<u8> {
    let plaintext = segment_bytes(n, variant, index, segment_size);
    match stream_kind(n) {
        StreamKind::TsAes128 => crypto::encrypt(&aes_key(n), &aes_iv(n, variant), &plaintext),
        StreamKind::Ts | StreamKind::Fmp4 => plaintext,
    }
}

/// The `init.mp4` of an fMP4 stream; `None` for MPEG-TS streams.
pub fn init_segment(n: u32, variant: usize) -> Option<Vec<u8>> {
    let rendition = rendition(variant);
    let width = u16::try_from(rendition.width).unwrap_or(u16::MAX);
    let height = u16::try_from(rendition.height).unwrap_or(u16::MAX);
    (stream_kind(n) == StreamKind::Fmp4).then(|| fmp4::init_segment(width, height))
}

/// What a correct download of `variant` of `n` contains: the init segment (fMP4) and every segment, decrypted.
pub fn full_stream(n: u32, variant: usize, segment_size: usize) -> Vec<u8> {
    full_stream_with_segments(n, variant, segment_size, segment_count(n))
}

/// [`full_stream`] of a stream with `n_segments` segments (a site started with `stream_segments`).
pub fn full_stream_with_segments(
    n: u32,
    variant: usize,
    segment_size: usize,
    n_segments: usize,
) -> Vec<u8> {
    let mut out = init_segment(n, variant).unwrap_or_default();
    for index in 0..n_segments {
        out.extend_from_slice(&segment_bytes(n, variant, index, segment_size));
    }
    out
}

/// The AES-128 key of `n` (served at `/stream/{CODE}/key.bin`); meaningful for [`StreamKind::TsAes128`].
pub fn aes_key(n: u32) -> [u8; 16] {
    sixteen_bytes(&[b"key", code(n).as_bytes()])
}

/// The IV of `variant` of `n`, given in that variant's playlist as `IV=0x...`; every segment uses it.
pub fn aes_iv(n: u32, variant: usize) -> [u8; 16] {
    sixteen_bytes(&[b"iv", code(n).as_bytes(), &variant.to_le_bytes()])
}

fn sixteen_bytes(parts: &[&[u8]]) -> [u8; 16] {
    let mut out = [0; 16];
    SplitMix64::new(hash(parts)).fill(&mut out);
    out
}

/// Decrypts a segment served for an AES-128 stream with `key` and `iv`; `None` when the padding is invalid.
pub fn decrypt_segment(key: &[u8; 16], iv: &[u8; 16], ciphertext: &[u8]) -> Option<Vec<u8>> {
    crypto::decrypt(key, iv, ciphertext)
}
