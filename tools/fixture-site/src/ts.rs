//! MPEG-TS segment writer: a PAT and a PMT, then the H.264 frames and the AAC audio as PES packets in time order.
//!
//! Continuity counters and timestamps run on across the segments of one variant, as if they were cut from one
//! stream. Every frame's PES fills whole packets: a filler NAL unit (or, for the last few bytes, adaptation-field
//! stuffing) brings a segment to the number of packets asked for, so the pictures stay the same whatever the size.

mod pes;
mod psi;
#[cfg(test)]
pub(crate) mod tests;

use crate::video::{FRAME_TICKS, Frame, SEGMENT_TICKS};
use crate::{aac, h264};

/// The size of one transport packet.
pub(crate) const PACKET_SIZE: usize = 188;
/// The sync byte every packet starts with.
pub(crate) const SYNC_BYTE: u8 = 0x47;
/// PID of the program map table.
pub(crate) const PMT_PID: u16 = 0x1000;
/// PID of the video elementary stream (also the PCR PID).
pub(crate) const VIDEO_PID: u16 = 0x0100;
/// PID of the audio elementary stream.
pub(crate) const AUDIO_PID: u16 = 0x0101;
/// The PAT and the PMT, once at the start of every segment.
const PSI_PACKETS: usize = 2;
/// ADTS frames per audio PES: as many as one packet holds.
const AUDIO_FRAMES_PER_PES: usize = 15;
/// Presentation runs this far behind the PCR: the decoder's buffering time (100 ms).
const PTS_DELAY: u64 = 9_000;

/// How many packets the segments of one rendition give their video and their audio.
pub(crate) struct PacketBudget {
    /// The packets the video of a segment needs without filler.
    video_min: usize,
}

impl PacketBudget {
    /// The budget of segments whose frames have the sizes of `frames` (they do not change from segment to segment).
    pub(crate) fn new(parameter_sets: &[Vec<u8>], frames: &[Frame]) -> Self {
        let video_min = frames
            .iter()
            .map(|frame| {
                let len = pes::HEADER_LEN + access_unit(parameter_sets, frame).len();
                pes::packets(len, true)
            })
            .sum();
        Self { video_min }
    }

    /// The (video, audio) packets of segment `index` when it should have `target` packets in all: the video takes
    /// what the PAT, the PMT and the audio leave, and never less than it needs.
    pub(crate) fn split(&self, index: u64, target: usize) -> (usize, usize) {
        let audio = audio_pes(index).len();
        let video = target
            .saturating_sub(PSI_PACKETS + audio)
            .max(self.video_min);
        (video, audio)
    }
}

/// One segment to write.
pub(crate) struct Segment<'a> {
    /// Its position in the stream: the clock starts at `index` × 4 s.
    pub(crate) index: u64,
    /// The parameter sets sent before every IDR picture (SPS, PPS).
    pub(crate) parameter_sets: &'a [Vec<u8>],
    /// Its frames, the IDR picture first.
    pub(crate) frames: &'a [Frame],
    /// Video packets, from [`PacketBudget::split`].
    pub(crate) video_packets: usize,
    /// Video packets in the earlier segments, so continuity counters continue.
    pub(crate) video_packets_before: u64,
    /// Audio packets in the earlier segments.
    pub(crate) audio_packets_before: u64,
}

/// Writes `segment`: PAT, PMT, then video and audio PES packets ordered by their clock.
pub(crate) fn segment(segment: &Segment<'_>) -> Vec<u8> {
    let audio = audio_pes(segment.index);
    let mut out =
        Vec::with_capacity((PSI_PACKETS + segment.video_packets + audio.len()) * PACKET_SIZE);
    let psi_counter = (segment.index % 16) as u8;
    psi::write_pat(&mut out, psi_counter);
    psi::write_pmt(&mut out, psi_counter);

    let mut video_counter = (segment.video_packets_before % 16) as u8;
    let mut audio_counter = (segment.audio_packets_before % 16) as u8;
    let units: Vec<Vec<u8>> = segment
        .frames
        .iter()
        .map(|frame| access_unit(segment.parameter_sets, frame))
        .collect();
    let shares = share_packets(&units, segment.video_packets);
    let mut audio = audio.into_iter().peekable();
    let start = segment.index * SEGMENT_TICKS;
    for (position, ((frame, unit), packets)) in
        segment.frames.iter().zip(units).zip(shares).enumerate()
    {
        let clock = start + position as u64 * FRAME_TICKS;
        while let Some(frames) = audio.next_if(|frames| frames.start * aac::FRAME_TICKS < clock) {
            write_audio(&mut out, &mut audio_counter, frames);
        }
        let mut bytes = pes::header(pes::VIDEO_STREAM, None, clock + PTS_DELAY).to_vec();
        bytes.extend_from_slice(&unit);
        let gap = pes::capacity(packets, true).saturating_sub(bytes.len());
        if gap >= h264::MIN_FILLER {
            bytes.extend_from_slice(&h264::annex_b_filler(gap));
        }
        let clock = pes::Clock {
            pcr: clock,
            random_access: frame.key,
        };
        pes::write(&mut out, VIDEO_PID, &mut video_counter, &bytes, Some(clock));
    }
    for frames in audio {
        write_audio(&mut out, &mut audio_counter, frames);
    }
    out
}

/// The packets of each access unit in `units`: what its PES needs, and the rest of `video_packets` shared out
/// evenly.
fn share_packets(units: &[Vec<u8>], video_packets: usize) -> Vec<usize> {
    let needed: Vec<usize> = units
        .iter()
        .map(|unit| pes::packets(pes::HEADER_LEN + unit.len(), true))
        .collect();
    let count = needed.len().max(1);
    let extra = video_packets.saturating_sub(needed.iter().sum());
    needed
        .iter()
        .enumerate()
        .map(|(position, need)| need + extra / count + usize::from(position < extra % count))
        .collect()
}

/// A frame in Annex B: access unit delimiter, the parameter sets before an IDR picture, the slice.
fn access_unit(parameter_sets: &[Vec<u8>], frame: &Frame) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.slice.len() + 64);
    let mut push = |nal: &[u8]| {
        out.extend_from_slice(&h264::START_CODE);
        out.extend_from_slice(nal);
    };
    push(&h264::access_unit_delimiter(frame.key));
    if frame.key {
        for set in parameter_sets {
            push(set);
        }
    }
    push(&frame.slice);
    out
}

/// The audio frames of segment `index`, grouped into PES packets.
fn audio_pes(index: u64) -> Vec<std::ops::Range<u64>> {
    let frames = aac::frames(index);
    let mut out = Vec::new();
    let mut start = frames.start;
    while start < frames.end {
        let end = (start + AUDIO_FRAMES_PER_PES as u64).min(frames.end);
        out.push(start..end);
        start = end;
    }
    out
}

/// One audio PES of silent frames `frames`.
fn write_audio(out: &mut Vec<u8>, counter: &mut u8, frames: std::ops::Range<u64>) {
    let count = (frames.end - frames.start) as usize;
    let payload_len = count * aac::SILENT_FRAME.len();
    let pts = frames.start * aac::FRAME_TICKS + PTS_DELAY;
    let mut bytes = pes::header(pes::AUDIO_STREAM, Some(payload_len), pts).to_vec();
    for _ in 0..count {
        bytes.extend_from_slice(&aac::SILENT_FRAME);
    }
    pes::write(out, AUDIO_PID, counter, &bytes, None);
}
