//! MPEG-TS segment writer: a PAT, a PMT and one H.264 PES of deterministic pseudo-random payload per segment.
//!
//! Continuity counters continue across segments of one variant, as if the segments were cut from one stream.

use crate::h264;
use crate::prng::SplitMix64;

/// The size of one transport packet.
pub(crate) const PACKET_SIZE: usize = 188;
/// The sync byte every packet starts with.
pub(crate) const SYNC_BYTE: u8 = 0x47;
/// PID of the program map table.
pub(crate) const PMT_PID: u16 = 0x1000;
/// PID of the video elementary stream (also the PCR PID).
pub(crate) const VIDEO_PID: u16 = 0x0100;
/// The least packets a segment has: PAT, PMT and one PES packet.
pub(crate) const MIN_PACKETS: usize = 3;

/// 90 kHz ticks in one segment (4 s).
const TICKS_PER_SEGMENT: u64 = 4 * 90_000;
/// Payload bytes after the header, adaptation field (PCR) and PES header of the first video packet.
const FIRST_PES_PAYLOAD: usize = PACKET_SIZE - 4 - 8 - 14;
/// Payload bytes of the following video packets.
const PES_PAYLOAD: usize = PACKET_SIZE - 4;

/// Writes segment `index` of a stream: `packets` packets (at least [`MIN_PACKETS`]), payload drawn from `seed`.
///
/// The elementary stream starts with `prefix` (Annex B parameter sets); the rest is slice data without zero bytes.
/// `video_packets_before` is the number of video packets in the earlier segments, so continuity counters continue.
pub(crate) fn segment(
    seed: u64,
    index: u64,
    packets: usize,
    video_packets_before: u64,
    prefix: &[u8],
) -> Vec<u8> {
    let packets = packets.max(MIN_PACKETS);
    let video_packets = packets - 2;
    let mut out = Vec::with_capacity(packets * PACKET_SIZE);
    let psi_counter = (index % 16) as u8;
    psi_packet(&mut out, 0, psi_counter, &pat_section());
    psi_packet(&mut out, PMT_PID, psi_counter, &pmt_section());

    let mut random = SplitMix64::new(seed);
    let payload_len = FIRST_PES_PAYLOAD + (video_packets - 1) * PES_PAYLOAD;
    let mut payload = random.bytes(payload_len);
    h264::scrub(&mut payload);
    let prefix_len = prefix.len().min(payload_len);
    payload[..prefix_len].copy_from_slice(&prefix[..prefix_len]);

    let first_counter = (video_packets_before % 16) as u8;
    let clock = index * TICKS_PER_SEGMENT;
    let (first, rest) = payload.split_at(FIRST_PES_PAYLOAD);
    first_video_packet(&mut out, first_counter, clock, first);
    for (offset, chunk) in rest.chunks(PES_PAYLOAD).enumerate() {
        let counter = (first_counter as usize + 1 + offset) % 16;
        header(&mut out, VIDEO_PID, false, false, counter as u8);
        out.extend_from_slice(chunk);
    }
    out
}

/// The 4-byte packet header.
fn header(out: &mut Vec<u8>, pid: u16, unit_start: bool, adaptation: bool, counter: u8) {
    let pid_high = ((pid >> 8) & 0x1f) as u8;
    out.push(SYNC_BYTE);
    out.push(if unit_start { 0x40 } else { 0 } | pid_high);
    out.push((pid & 0xff) as u8);
    let control = if adaptation { 0x30 } else { 0x10 };
    out.push(control | (counter & 0x0f));
}

/// One packet carrying a whole PSI section, stuffed with 0xff.
fn psi_packet(out: &mut Vec<u8>, pid: u16, counter: u8, section: &[u8]) {
    let start = out.len();
    header(out, pid, true, false, counter);
    out.push(0); // pointer_field
    out.extend_from_slice(section);
    out.resize(start + PACKET_SIZE, 0xff);
}

/// The program association table: program 1 at [`PMT_PID`].
fn pat_section() -> Vec<u8> {
    let pmt = PMT_PID.to_be_bytes();
    with_crc(vec![
        0x00,
        0xb0,
        13, // table_id, syntax flag, section_length
        0x00,
        0x01,
        0xc1,
        0x00,
        0x00, // transport_stream_id, version/current, section numbers
        0x00,
        0x01,
        0xe0 | pmt[0],
        pmt[1], // program 1 -> PMT PID
    ])
}

/// The program map table: one H.264 stream at [`VIDEO_PID`], which also carries the PCR.
fn pmt_section() -> Vec<u8> {
    let video = VIDEO_PID.to_be_bytes();
    with_crc(vec![
        0x02,
        0xb0,
        18, // table_id, syntax flag, section_length
        0x00,
        0x01,
        0xc1,
        0x00,
        0x00, // program_number, version/current, section numbers
        0xe0 | video[0],
        video[1],
        0xf0,
        0x00, // PCR PID, program_info_length 0
        0x1b,
        0xe0 | video[0],
        video[1],
        0xf0,
        0x00, // stream_type H.264, PID, ES_info_length 0
    ])
}

/// Appends the CRC-32/MPEG-2 of `section`.
fn with_crc(mut section: Vec<u8>) -> Vec<u8> {
    let crc = crc32_mpeg2(&section);
    section.extend_from_slice(&crc.to_be_bytes());
    section
}

/// CRC-32/MPEG-2: polynomial 0x04c11db7, initial value all ones, no reflection, no final xor.
pub(crate) fn crc32_mpeg2(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for byte in data {
        crc ^= u32::from(*byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The first video packet: random-access flag, PCR, and a PES header with a PTS.
fn first_video_packet(out: &mut Vec<u8>, counter: u8, clock: u64, payload: &[u8]) {
    header(out, VIDEO_PID, true, true, counter);
    out.extend_from_slice(&[7, 0x50]); // adaptation_field_length, random_access + PCR flags
    out.extend_from_slice(&pcr(clock));
    out.extend_from_slice(&[0, 0, 1, 0xe0, 0, 0]); // start code, stream_id video, unbounded length
    out.extend_from_slice(&[0x80, 0x80, 5]); // marker bits, PTS only, header length
    out.extend_from_slice(&pts(clock + 9_000));
    out.extend_from_slice(payload);
}

/// A PCR with base `clock` (90 kHz) and extension 0.
fn pcr(clock: u64) -> [u8; 6] {
    let base = clock & 0x1_ffff_ffff;
    [
        (base >> 25) as u8,
        (base >> 17) as u8,
        (base >> 9) as u8,
        (base >> 1) as u8,
        (((base & 1) << 7) as u8) | 0x7e,
        0,
    ]
}

/// A PES presentation timestamp field with prefix `0010`.
fn pts(clock: u64) -> [u8; 5] {
    let value = clock & 0x1_ffff_ffff;
    [
        0x20 | ((value >> 29) as u8 & 0x0e) | 1,
        (value >> 22) as u8,
        ((value >> 14) as u8 & 0xfe) | 1,
        (value >> 7) as u8,
        ((value << 1) as u8 & 0xfe) | 1,
    ]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Checks sync bytes, PSI tables with valid CRCs first, and continuity across `segments`.
    pub(crate) fn check_stream(segments: &[Vec<u8>]) {
        let mut counters: HashMap<u16, u8> = HashMap::new();
        for segment in segments {
            assert_eq!(segment.len() % PACKET_SIZE, 0);
            let packets: Vec<&[u8]> = segment.chunks(PACKET_SIZE).collect();
            for (position, packet) in packets.iter().enumerate() {
                assert_eq!(packet[0], SYNC_BYTE);
                let pid = u16::from(packet[1] & 0x1f) << 8 | u16::from(packet[2]);
                let expected_pid = match position {
                    0 => 0,
                    1 => PMT_PID,
                    _ => VIDEO_PID,
                };
                assert_eq!(pid, expected_pid);
                let counter = packet[3] & 0x0f;
                if let Some(previous) = counters.insert(pid, counter) {
                    assert_eq!(counter, (previous + 1) % 16, "continuity of pid {pid:#x}");
                }
                if position < 2 {
                    let section_len = usize::from(packet[6] & 0x0f) << 8 | usize::from(packet[7]);
                    let section = &packet[5..8 + section_len];
                    assert_eq!(
                        crc32_mpeg2(section),
                        0,
                        "a section with its CRC checks to zero"
                    );
                }
            }
            assert_eq!(
                &packets[2][12..16],
                &[0, 0, 1, 0xe0],
                "PES start code after PCR adaptation"
            );
        }
    }

    #[test]
    fn segments_are_well_formed_and_continuous() {
        let mut before = 0;
        let mut segments = Vec::new();
        for index in 0..20 {
            let packets = 3 + (index as usize * 7) % 11;
            segments.push(segment(
                42 + index,
                index,
                packets,
                before,
                &h264::annex_b_prefix(640, 360),
            ));
            before += packets as u64 - 2;
        }
        check_stream(&segments);
    }

    #[test]
    fn crc_matches_reference() {
        // CRC-32/MPEG-2 check value.
        assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_e6e7);
    }

    #[test]
    fn pts_round_trips() {
        let encoded = pts(0x1_2345_6789);
        let decoded = (u64::from(encoded[0] & 0x0e) << 29)
            | (u64::from(encoded[1]) << 22)
            | (u64::from(encoded[2] & 0xfe) << 14)
            | (u64::from(encoded[3]) << 7)
            | u64::from(encoded[4] >> 1);
        assert_eq!(decoded, 0x1_2345_6789);
    }
}
