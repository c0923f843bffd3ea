//! The time an MPEG-TS file starts at: the earliest first presentation timestamp of its
//! elementary streams, in the 90 kHz clock. Subtitle segments map their cue times onto
//! that clock (`X-TIMESTAMP-MAP`); a player shows the file's start as time 0.

use std::io::Read;
use std::path::Path;

const PACKET: usize = 188;
const SYNC: u8 = 0x47;
/// How far into the file the first timestamps are looked for: every stream of a
/// packager's segment starts within its first packets.
const LOOK_BYTES: u64 = 2 * 1024 * 1024;

/// The earliest first PTS of the audio and video streams in the file's first
/// [`LOOK_BYTES`], or `None` (not MPEG-TS, or no timestamp there).
pub(crate) fn first_pts(path: &Path) -> Option<u64> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(LOOK_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    first_pts_in(&bytes)
}

fn first_pts_in(bytes: &[u8]) -> Option<u64> {
    let mut seen_pids = Vec::new();
    let mut earliest: Option<u64> = None;
    for packet in bytes.chunks_exact(PACKET) {
        if packet[0] != SYNC {
            return earliest;
        }
        let unit_start = packet[1] & 0x40 != 0;
        let pid = u16::from_be_bytes([packet[1] & 0x1f, packet[2]]);
        if !unit_start || seen_pids.contains(&pid) {
            continue;
        }
        // A stream starts at its first PES: one whose time cannot be read here does not
        // pass its start on to a later one.
        seen_pids.push(pid);
        let Some(pts) = payload(packet).and_then(pes_pts) else {
            continue;
        };
        earliest = Some(earliest.map_or(pts, |earliest| earlier(earliest, pts)));
    }
    earliest
}

/// The earlier of two timestamps, taken the short way round the 33-bit wrap.
fn earlier(a: u64, b: u64) -> u64 {
    const WRAP: u64 = 1 << 33;
    if b.wrapping_sub(a) % WRAP > WRAP / 2 {
        b
    } else {
        a
    }
}

/// The packet's payload, past its adaptation field.
fn payload(packet: &[u8]) -> Option<&[u8]> {
    let control = (packet[3] >> 4) & 0b11;
    let start = match control {
        0b01 => 4,
        0b11 => 5 + usize::from(packet[4]),
        _ => return None,
    };
    packet.get(start..)
}

/// The PTS of a PES header of an audio (0xC0-0xDF) or video (0xE0-0xEF) stream, or
/// of private stream 1 (0xBD), which carries AC-3 and E-AC-3 audio.
fn pes_pts(pes: &[u8]) -> Option<u64> {
    let timed_media = pes.len() >= 14
        && pes[..3] == [0, 0, 1]
        && matches!(pes[3], 0xBD | 0xC0..=0xEF)
        && pes[7] & 0x80 != 0;
    if !timed_media {
        return None;
    }
    let field = &pes[9..14];
    Some(
        (u64::from(field[0] >> 1) & 0x07) << 30
            | u64::from(field[1]) << 22
            | u64::from(field[2] >> 1) << 15
            | u64::from(field[3]) << 7
            | u64::from(field[4] >> 1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A packet of `pid` starting a PES of `stream_id` with `pts`.
    fn packet(pid: u16, stream_id: u8, pts: u64) -> Vec<u8> {
        let mut packet = vec![SYNC, 0x40 | (pid >> 8) as u8, pid as u8, 0x10];
        packet.extend([0, 0, 1, stream_id, 0, 0, 0x80, 0x80, 5]);
        packet.extend([
            0x21 | ((pts >> 29) & 0x0e) as u8,
            (pts >> 22) as u8,
            0x01 | ((pts >> 14) & 0xfe) as u8,
            (pts >> 7) as u8,
            0x01 | ((pts << 1) & 0xfe) as u8,
        ]);
        packet.resize(PACKET, 0xff);
        packet
    }

    #[test]
    fn the_earliest_first_timestamp_of_the_streams() {
        let mut bytes = packet(0x100, 0xE0, 127_920);
        bytes.extend(packet(0x101, 0xC0, 126_000));
        // A later PES of the video starts earlier in time (a B-frame): not its first.
        bytes.extend(packet(0x100, 0xE0, 120_000));
        assert_eq!(first_pts_in(&bytes), Some(126_000));
        // 33 bits are read whole.
        let high = (1 << 33) - 90_000;
        assert_eq!(first_pts_in(&packet(0x100, 0xE0, high)), Some(high));
        // Audio just past the wrap is later than video just before it.
        let mut wrapping = packet(0x100, 0xE0, high);
        wrapping.extend(packet(0x101, 0xC0, 1_000));
        assert_eq!(first_pts_in(&wrapping), Some(high));
        // A stream's first PES without a readable time: its later ones do not count.
        let mut unreadable = packet(0x100, 0xE0, 500);
        unreadable[6] = 0; // not a PES start code
        unreadable.extend(packet(0x100, 0xE0, 100));
        unreadable.extend(packet(0x101, 0xC0, 300));
        assert_eq!(first_pts_in(&unreadable), Some(300));
    }

    #[test]
    fn not_a_transport_stream_has_no_start() {
        assert_eq!(
            first_pts_in(b"WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n"),
            None
        );
        assert_eq!(first_pts_in(&[0; PACKET * 2]), None);
        // A stream that is not audio or video (a padding one) is not counted; AC-3
        // audio in private stream 1 is.
        assert_eq!(first_pts_in(&packet(0x102, 0xBE, 5)), None);
        assert_eq!(first_pts_in(&packet(0x102, 0xBD, 5)), Some(5));
    }
}
