//! PES packets cut into transport packets: headers, timestamps, and adaptation fields with the PCR and stuffing.

use super::{PACKET_SIZE, SYNC_BYTE};

/// `stream_id` of the first video and the first audio stream.
pub(super) const VIDEO_STREAM: u8 = 0xe0;
pub(super) const AUDIO_STREAM: u8 = 0xc0;
/// A PES header with a PTS and no DTS (there is no reordering).
pub(super) const HEADER_LEN: usize = 14;
/// Payload bytes after the 4-byte packet header.
const PAYLOAD: usize = PACKET_SIZE - 4;
/// An adaptation field with a PCR: length, flags, 6 bytes of PCR.
const PCR_FIELD: usize = 8;

/// The clock carried by the first packet of a PES.
pub(super) struct Clock {
    /// Program clock reference, 90 kHz.
    pub(super) pcr: u64,
    /// Whether a decoder can start here (an IDR picture with its parameter sets).
    pub(super) random_access: bool,
}

/// The PES header: start code, `stream_id`, length (`None`: unbounded, as muxers write for video), data alignment,
/// and the presentation timestamp `pts`.
pub(super) fn header(stream_id: u8, payload_len: Option<usize>, pts: u64) -> [u8; HEADER_LEN] {
    // PES_packet_length counts the bytes after it: 3 of flags and header length, 5 of PTS, the payload.
    let length = payload_len
        .and_then(|len| u16::try_from(len + 8).ok())
        .unwrap_or(0)
        .to_be_bytes();
    let pts = timestamp(pts);
    [
        0, 0, 1, stream_id, length[0], length[1], 0x84, 0x80, 5, pts[0], pts[1], pts[2], pts[3],
        pts[4],
    ]
}

/// The transport packets a PES of `len` bytes takes, the first with a PCR when `pcr`.
pub(super) fn packets(len: usize, pcr: bool) -> usize {
    let first = first_room(pcr);
    if len <= first {
        1
    } else {
        1 + (len - first).div_ceil(PAYLOAD)
    }
}

/// The PES bytes `packets` transport packets hold, the first with a PCR when `pcr`.
pub(super) fn capacity(packets: usize, pcr: bool) -> usize {
    first_room(pcr) + packets.saturating_sub(1) * PAYLOAD
}

fn first_room(pcr: bool) -> usize {
    if pcr { PAYLOAD - PCR_FIELD } else { PAYLOAD }
}

/// Writes `pes` on `pid` from continuity counter `counter` (left at the next value); the first packet carries
/// `clock`, the last is stuffed to the full packet size.
pub(super) fn write(
    out: &mut Vec<u8>,
    pid: u16,
    counter: &mut u8,
    pes: &[u8],
    clock: Option<Clock>,
) {
    let mut rest = pes;
    let mut clock = clock;
    let mut first = true;
    while first || !rest.is_empty() {
        let field = clock.take();
        let room = if field.is_some() {
            PAYLOAD - PCR_FIELD
        } else {
            PAYLOAD
        };
        let take = rest.len().min(room);
        let stuffing = room - take;
        transport_header(out, pid, first, field.is_some() || stuffing > 0, *counter);
        *counter = (*counter + 1) % 16;
        if let Some(clock) = field {
            out.push((PCR_FIELD - 1 + stuffing) as u8);
            out.push(if clock.random_access { 0x50 } else { 0x10 }); // random access, PCR flags
            out.extend_from_slice(&program_clock(clock.pcr));
            out.resize(out.len() + stuffing, 0xff);
        } else if stuffing > 0 {
            out.push((stuffing - 1) as u8);
            if stuffing > 1 {
                out.push(0); // no flags
                out.resize(out.len() + stuffing - 2, 0xff);
            }
        }
        out.extend_from_slice(&rest[..take]);
        rest = &rest[take..];
        first = false;
    }
}

/// The 4-byte packet header.
pub(super) fn transport_header(
    out: &mut Vec<u8>,
    pid: u16,
    unit_start: bool,
    adaptation: bool,
    counter: u8,
) {
    let pid_high = ((pid >> 8) & 0x1f) as u8;
    out.push(SYNC_BYTE);
    out.push(if unit_start { 0x40 } else { 0 } | pid_high);
    out.push((pid & 0xff) as u8);
    let control = if adaptation { 0x30 } else { 0x10 };
    out.push(control | (counter & 0x0f));
}

/// A PCR with base `clock` (90 kHz) and extension 0.
fn program_clock(clock: u64) -> [u8; 6] {
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
pub(super) fn timestamp(clock: u64) -> [u8; 5] {
    let value = clock & 0x1_ffff_ffff;
    [
        0x20 | ((value >> 29) as u8 & 0x0e) | 1,
        (value >> 22) as u8,
        ((value >> 14) as u8 & 0xfe) | 1,
        (value >> 7) as u8,
        ((value << 1) as u8 & 0xfe) | 1,
    ]
}
