//! Fragmented MP4 writer: an `init.mp4` (`ftyp` + `moov`, the `avcC` holding the SPS and PPS) and media segments
//! (`moof` + `mdat`) whose samples are the frames' length-prefixed NAL units.

use crate::h264;
use crate::video::{FRAME_RATE, FRAME_TICKS, Frame, SEGMENT_TICKS, TICKS_PER_SECOND};

/// The media timescale (ticks per second): the MPEG clock, so frame durations are whole.
const TIMESCALE: u32 = TICKS_PER_SECOND as u32;
/// The only track's id.
const TRACK_ID: u32 = 1;
/// One frame's duration in [`TIMESCALE`] ticks.
const FRAME_TICKS_U32: u32 = FRAME_TICKS as u32;
/// Sample flags (ISO/IEC 14496-12 8.8.3.1): an IDR picture depends on no other and is a sync sample; the other
/// pictures depend on one and are not.
const SYNC_SAMPLE_FLAGS: u32 = 0x0200_0000;
const NON_SYNC_SAMPLE_FLAGS: u32 = 0x0101_0000;
/// The bytes of the smallest filler NAL unit in a sample: 4-byte length, header, trailing bits.
const MIN_FILLER: usize = 6;

/// The initialisation segment of a `width`×`height` H.264 track.
pub(crate) fn init_segment(width: u16, height: u16) -> Vec<u8> {
    let mut ftyp = Vec::new();
    ftyp.extend_from_slice(b"isom");
    ftyp.extend_from_slice(&0x200u32.to_be_bytes());
    for brand in [b"isom", b"iso6", b"avc1", b"mp41"] {
        ftyp.extend_from_slice(brand);
    }
    let moov = boxed(
        b"moov",
        &[mvhd(), trak(width, height), boxed(b"mvex", &trex())].concat(),
    );
    [boxed(b"ftyp", &ftyp), moov].concat()
}

/// Media segment `index` (sequence number `index + 1`) of `frames`, about `size` bytes: filler NAL units in the
/// samples make up the difference, when there is one.
pub(crate) fn media_segment(frames: &[Frame], index: u64, size: usize) -> Vec<u8> {
    let mut samples: Vec<Vec<u8>> = frames
        .iter()
        .map(|frame| {
            let mut bytes = u32_be(frame.slice.len());
            bytes.extend_from_slice(&frame.slice);
            bytes
        })
        .collect();
    let moof_len = moof(0, 0, &vec![0; samples.len()], 0).len();
    let needed = moof_len + 8 + samples.iter().map(Vec::len).sum::<usize>();
    pad(&mut samples, size.saturating_sub(needed));

    let sizes: Vec<u32> = samples.iter().map(|sample| len_u32(sample.len())).collect();
    let decode_time = index * SEGMENT_TICKS;
    let sequence = u32::try_from(index + 1).unwrap_or(u32::MAX);
    // The data offset counts from the start of `moof`; its value does not change the box size.
    let moof = moof(sequence, decode_time, &sizes, len_u32(moof_len + 8));
    [moof, boxed(b"mdat", &samples.concat())].concat()
}

/// Shares `extra` bytes of filler NAL units out over `samples`; all in the first when the shares would be too small
/// for a NAL unit, none when `extra` itself is.
fn pad(samples: &mut [Vec<u8>], extra: usize) {
    let count = samples.len().max(1);
    let filler = |sample: &mut Vec<u8>, len: usize| {
        sample.extend_from_slice(&u32_be(len - 4));
        sample.extend_from_slice(&h264::filler(len - MIN_FILLER));
    };
    if extra / count >= MIN_FILLER {
        for (position, sample) in samples.iter_mut().enumerate() {
            filler(
                sample,
                extra / count + usize::from(position < extra % count),
            );
        }
    } else if extra >= MIN_FILLER
        && let Some(first) = samples.first_mut()
    {
        filler(first, extra);
    }
}

/// A box: 32-bit size, four-character type, body.
pub(crate) fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = u32_be(8 + body.len());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// A full box: a box whose body starts with version and 24-bit flags.
fn full_box(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut content = flags.to_be_bytes().to_vec();
    content[0] = version;
    content.extend_from_slice(body);
    boxed(kind, &content)
}

fn u32_be(value: usize) -> Vec<u8> {
    len_u32(value).to_be_bytes().to_vec()
}

fn len_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The unity transformation matrix of `mvhd` and `tkhd`.
fn matrix() -> Vec<u8> {
    [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]
        .iter()
        .flat_map(|value| value.to_be_bytes())
        .collect()
}

fn mvhd() -> Vec<u8> {
    let mut body = vec![0; 8]; // creation and modification time
    body.extend_from_slice(&1000u32.to_be_bytes()); // timescale
    body.extend_from_slice(&0u32.to_be_bytes()); // duration: fragmented
    body.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
    body.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
    body.extend_from_slice(&[0; 10]);
    body.extend_from_slice(&matrix());
    body.extend_from_slice(&[0; 24]); // pre_defined
    body.extend_from_slice(&(TRACK_ID + 1).to_be_bytes()); // next_track_ID
    full_box(b"mvhd", 0, 0, &body)
}

fn trak(width: u16, height: u16) -> Vec<u8> {
    let mut tkhd = vec![0; 8];
    tkhd.extend_from_slice(&TRACK_ID.to_be_bytes());
    tkhd.extend_from_slice(&[0; 4]); // reserved
    tkhd.extend_from_slice(&0u32.to_be_bytes()); // duration
    tkhd.extend_from_slice(&[0; 8]); // reserved
    tkhd.extend_from_slice(&[0; 8]); // layer, alternate_group, volume, reserved
    tkhd.extend_from_slice(&matrix());
    tkhd.extend_from_slice(&(u32::from(width) << 16).to_be_bytes());
    tkhd.extend_from_slice(&(u32::from(height) << 16).to_be_bytes());
    let tkhd = full_box(b"tkhd", 0, 3, &tkhd); // enabled, in movie

    let mut mdhd = vec![0; 8];
    mdhd.extend_from_slice(&TIMESCALE.to_be_bytes());
    mdhd.extend_from_slice(&0u32.to_be_bytes());
    mdhd.extend_from_slice(&[0x55, 0xc4, 0, 0]); // language "und", pre_defined
    let mdhd = full_box(b"mdhd", 0, 0, &mdhd);

    let mut hdlr = vec![0; 4];
    hdlr.extend_from_slice(b"vide");
    hdlr.extend_from_slice(&[0; 12]);
    hdlr.extend_from_slice(b"VideoHandler\0");
    let hdlr = full_box(b"hdlr", 0, 0, &hdlr);

    let vmhd = full_box(b"vmhd", 0, 1, &[0; 8]);
    let dref = full_box(
        b"dref",
        0,
        0,
        &[&1u32.to_be_bytes()[..], &full_box(b"url ", 0, 1, &[])].concat(),
    );
    let dinf = boxed(b"dinf", &dref);
    let minf = boxed(b"minf", &[vmhd, dinf, stbl(width, height)].concat());
    let mdia = boxed(b"mdia", &[mdhd, hdlr, minf].concat());
    boxed(b"trak", &[tkhd, mdia].concat())
}

/// The sample table: one `avc1` description, and empty tables (samples live in the fragments).
fn stbl(width: u16, height: u16) -> Vec<u8> {
    let stsd = full_box(
        b"stsd",
        0,
        0,
        &[&1u32.to_be_bytes()[..], &avc1(width, height)].concat(),
    );
    let empty = 0u32.to_be_bytes();
    let stts = full_box(b"stts", 0, 0, &empty);
    let stsc = full_box(b"stsc", 0, 0, &empty);
    let stsz = full_box(b"stsz", 0, 0, &[0; 8]);
    let stco = full_box(b"stco", 0, 0, &empty);
    boxed(b"stbl", &[stsd, stts, stsc, stsz, stco].concat())
}

fn avc1(width: u16, height: u16) -> Vec<u8> {
    let mut body = vec![0; 6];
    body.extend_from_slice(&1u16.to_be_bytes()); // data_reference_index
    body.extend_from_slice(&[0; 16]); // pre_defined, reserved
    body.extend_from_slice(&width.to_be_bytes());
    body.extend_from_slice(&height.to_be_bytes());
    body.extend_from_slice(&0x0048_0000u32.to_be_bytes()); // 72 dpi
    body.extend_from_slice(&0x0048_0000u32.to_be_bytes());
    body.extend_from_slice(&[0; 4]);
    body.extend_from_slice(&1u16.to_be_bytes()); // frame_count
    body.extend_from_slice(&[0; 32]); // compressorname
    body.extend_from_slice(&[0x00, 0x18, 0xff, 0xff]); // depth, pre_defined -1
    let avcc = h264::avc_configuration(u32::from(width), u32::from(height), FRAME_RATE);
    body.extend_from_slice(&boxed(b"avcC", &avcc));
    boxed(b"avc1", &body)
}

fn trex() -> Vec<u8> {
    let mut body = TRACK_ID.to_be_bytes().to_vec();
    body.extend_from_slice(&1u32.to_be_bytes()); // default_sample_description_index
    body.extend_from_slice(&FRAME_TICKS_U32.to_be_bytes()); // default_sample_duration
    body.extend_from_slice(&0u32.to_be_bytes()); // default_sample_size
    body.extend_from_slice(&NON_SYNC_SAMPLE_FLAGS.to_be_bytes());
    full_box(b"trex", 0, 0, &body)
}

fn moof(sequence: u32, decode_time: u64, sizes: &[u32], data_offset: u32) -> Vec<u8> {
    let mfhd = full_box(b"mfhd", 0, 0, &sequence.to_be_bytes());
    let tfhd = full_box(b"tfhd", 0, 0x02_0000, &TRACK_ID.to_be_bytes()); // default-base-is-moof
    let tfdt = full_box(b"tfdt", 1, 0, &decode_time.to_be_bytes());
    let mut trun = len_u32(sizes.len()).to_be_bytes().to_vec();
    trun.extend_from_slice(&data_offset.to_be_bytes());
    trun.extend_from_slice(&SYNC_SAMPLE_FLAGS.to_be_bytes()); // first_sample_flags: the IDR picture
    for size in sizes {
        trun.extend_from_slice(&FRAME_TICKS_U32.to_be_bytes());
        trun.extend_from_slice(&size.to_be_bytes());
    }
    // Data offset, first sample flags, and each sample's duration and size present.
    let trun = full_box(b"trun", 0, 0x0305, &trun);
    let traf = boxed(b"traf", &[tfhd, tfdt, trun].concat());
    boxed(b"moof", &[mfhd, traf].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `data` into top-level boxes, checking every size adds up.
    fn boxes(data: &[u8]) -> Vec<(String, &[u8])> {
        let mut out = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            let size = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
            assert!(
                size >= 8 && size <= rest.len(),
                "box size {size} within {}",
                rest.len()
            );
            out.push((
                String::from_utf8_lossy(&rest[4..8]).into_owned(),
                &rest[8..size],
            ));
            rest = &rest[size..];
        }
        out
    }

    fn kinds(data: &[u8]) -> Vec<String> {
        boxes(data).into_iter().map(|(kind, _)| kind).collect()
    }

    #[test]
    fn init_is_ftyp_then_moov() {
        let init = init_segment(1280, 720);
        assert_eq!(kinds(&init), ["ftyp", "moov"]);
        let moov = boxes(&init)[1].1;
        assert_eq!(kinds(moov), ["mvhd", "trak", "mvex"]);
    }

    /// The data offset and the (duration, size) of every sample in the `trun` of `segment`.
    fn samples(segment: &[u8]) -> (usize, Vec<(u32, usize)>) {
        let top = boxes(segment);
        let traf = boxes(top[0].1)[1].1;
        assert_eq!(kinds(traf), ["tfhd", "tfdt", "trun"]);
        let trun = boxes(traf)[2].1;
        let word = |at: usize| u32::from_be_bytes(trun[at..at + 4].try_into().expect("4 bytes"));
        assert_eq!(
            word(0),
            0x0305,
            "version 0; offset, first flags, durations, sizes"
        );
        assert_eq!(word(12), SYNC_SAMPLE_FLAGS);
        let entries = (0..word(4) as usize)
            .map(|sample| (word(16 + sample * 8), word(20 + sample * 8) as usize))
            .collect();
        (word(8) as usize, entries)
    }

    #[test]
    fn media_segment_offsets_point_into_mdat() {
        let frames = crate::video::segment_frames(640, 360, 0);
        let segment = media_segment(&frames, 3, 20_000);
        let top = boxes(&segment);
        assert_eq!(kinds(&segment), ["moof", "mdat"]);
        let moof_len = top[0].1.len() + 8;
        let (offset, entries) = samples(&segment);
        assert_eq!(offset, moof_len + 8);
        assert_eq!(entries.len(), frames.len());
        assert!(entries.iter().all(|(duration, _)| *duration == 9_000));
        let total: usize = entries.iter().map(|(_, size)| size).sum();
        assert_eq!(total, top[1].1.len());
        assert!(
            segment.len() > 19_000 && segment.len() < 21_000,
            "{}",
            segment.len()
        );
    }

    #[test]
    fn samples_are_the_frames_then_filler() {
        let frames = crate::video::segment_frames(640, 360, 90);
        for size in [0, 30_000] {
            let segment = media_segment(&frames, 0, size);
            let mdat = boxes(&segment)[1].1;
            let (_, entries) = samples(&segment);
            let mut at = 0;
            for ((_, sample_len), frame) in entries.iter().zip(&frames) {
                let sample = &mdat[at..at + sample_len];
                let first_len =
                    u32::from_be_bytes(sample[..4].try_into().expect("4 bytes")) as usize;
                assert_eq!(&sample[4..4 + first_len], frame.slice.as_slice());
                let rest = &sample[4 + first_len..];
                if !rest.is_empty() {
                    assert_eq!(rest[4], 0x0c, "a filler NAL unit");
                    assert_eq!(
                        u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize,
                        rest.len() - 4
                    );
                }
                at += sample_len;
            }
            assert_eq!(at, mdat.len());
        }
    }
}
