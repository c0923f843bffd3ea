//! Checks of the segment writer: packet structure, continuity, timestamps and sizes.

use super::*;
use crate::video;
use std::collections::HashMap;

/// Checks sync bytes, PSI tables with valid CRCs first, the video PES first after them, and continuity per PID
/// across `segments`.
pub(crate) fn check_stream(segments: &[Vec<u8>]) {
    let mut counters: HashMap<u16, u8> = HashMap::new();
    for segment in segments {
        assert_eq!(segment.len() % PACKET_SIZE, 0);
        let packets: Vec<&[u8]> = segment.chunks(PACKET_SIZE).collect();
        for (position, packet) in packets.iter().enumerate() {
            assert_eq!(packet[0], SYNC_BYTE);
            let pid = pid(packet);
            match position {
                0 => assert_eq!(pid, 0),
                1 => assert_eq!(pid, PMT_PID),
                _ => assert!(pid == VIDEO_PID || pid == AUDIO_PID, "pid {pid:#x}"),
            }
            let counter = packet[3] & 0x0f;
            if let Some(previous) = counters.insert(pid, counter) {
                assert_eq!(counter, (previous + 1) % 16, "continuity of pid {pid:#x}");
            }
            if position < 2 {
                let section_len = usize::from(packet[6] & 0x0f) << 8 | usize::from(packet[7]);
                let section = &packet[5..8 + section_len];
                assert_eq!(
                    psi::crc32_mpeg2(section),
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

fn pid(packet: &[u8]) -> u16 {
    u16::from(packet[1] & 0x1f) << 8 | u16::from(packet[2])
}

/// The payload of a packet, after its adaptation field.
fn payload(packet: &[u8]) -> &[u8] {
    if packet[3] & 0x20 != 0 {
        &packet[5 + usize::from(packet[4])..]
    } else {
        &packet[4..]
    }
}

/// The PTS of every PES that starts on `wanted`, in stream order.
fn timestamps(stream: &[u8], wanted: u16) -> Vec<u64> {
    stream
        .chunks(PACKET_SIZE)
        .filter(|packet| pid(packet) == wanted && packet[1] & 0x40 != 0)
        .map(|packet| {
            let field = &payload(packet)[9..14];
            (u64::from(field[0] & 0x0e) << 29)
                | (u64::from(field[1]) << 22)
                | (u64::from(field[2] & 0xfe) << 14)
                | (u64::from(field[3]) << 7)
                | u64::from(field[4] >> 1)
        })
        .collect()
}

/// Segments `0..count` of a 640×360 stream, each asked for `packets(index)` packets.
fn stream(count: u64, packets: impl Fn(u64) -> usize) -> Vec<Vec<u8>> {
    let parameter_sets = [h264::sps(640, 360, video::FRAME_RATE), h264::pps()];
    let (mut video_before, mut audio_before) = (0, 0);
    let mut segments = Vec::new();
    for index in 0..count {
        let frames = video::segment_frames(640, 360, index as u32 * 30);
        let budget = PacketBudget::new(&parameter_sets, &frames);
        let (video_packets, audio_packets) = budget.split(index, packets(index));
        segments.push(segment(&Segment {
            index,
            parameter_sets: &parameter_sets,
            frames: &frames,
            video_packets,
            video_packets_before: video_before,
            audio_packets_before: audio_before,
        }));
        video_before += video_packets as u64;
        audio_before += audio_packets as u64;
    }
    segments
}

#[test]
fn segments_are_well_formed_and_continuous() {
    let segments = stream(12, |index| 90 + (index as usize * 37) % 200);
    check_stream(&segments);
}

#[test]
fn segments_have_the_packets_asked_for_and_never_fewer_than_they_need() {
    let sized = stream(3, |index| 150 + index as usize);
    for (index, segment) in sized.iter().enumerate() {
        assert_eq!(segment.len(), (150 + index) * PACKET_SIZE);
    }
    let tiny = stream(2, |_| 3);
    assert_eq!(tiny[0].len(), tiny[1].len(), "the content's own size");
    assert!(tiny[0].len() < 150 * PACKET_SIZE);
    assert_eq!(tiny, stream(2, |_| 0), "deterministic, whatever the floor");
}

#[test]
fn timestamps_run_on_across_segments() {
    let joined = stream(3, |_| 160).concat();
    let video = timestamps(&joined, VIDEO_PID);
    assert_eq!(video.len(), 3 * video::FRAMES_PER_SEGMENT);
    assert!(
        video
            .iter()
            .enumerate()
            .all(|(frame, pts)| *pts == PTS_DELAY + frame as u64 * video::FRAME_TICKS)
    );
    let audio = timestamps(&joined, AUDIO_PID);
    assert_eq!(audio.first(), Some(&PTS_DELAY));
    assert!(audio.windows(2).all(|pair| pair[1] > pair[0]));
    // 563 frames in three segments: 188 + 187 + 188, 15 to a PES.
    let last = PTS_DELAY + (aac::first_frame(3) - 8) * aac::FRAME_TICKS;
    assert_eq!(audio.last(), Some(&last));
}

#[test]
fn pts_round_trips() {
    let encoded = pes::timestamp(0x1_2345_6789);
    let decoded = (u64::from(encoded[0] & 0x0e) << 29)
        | (u64::from(encoded[1]) << 22)
        | (u64::from(encoded[2] & 0xfe) << 14)
        | (u64::from(encoded[3]) << 7)
        | u64::from(encoded[4] >> 1);
    assert_eq!(decoded, 0x1_2345_6789);
}

#[test]
fn crc_matches_reference() {
    // CRC-32/MPEG-2 check value.
    assert_eq!(psi::crc32_mpeg2(b"123456789"), 0x0376_e6e7);
}

#[test]
fn packet_counts_match_the_writer() {
    for len in [1, 175, 176, 177, 360, 361, 5000] {
        let mut out = Vec::new();
        let mut counter = 0;
        let clock = pes::Clock {
            pcr: 0,
            random_access: false,
        };
        pes::write(
            &mut out,
            VIDEO_PID,
            &mut counter,
            &vec![7; len],
            Some(clock),
        );
        assert_eq!(out.len(), pes::packets(len, true) * PACKET_SIZE, "{len}");
        assert!(pes::capacity(pes::packets(len, true), true) >= len);
    }
}
