//! Program-specific information: the PAT and the PMT, each one packet, with their CRC.

use super::{AUDIO_PID, PACKET_SIZE, PMT_PID, VIDEO_PID, pes};

/// `stream_type` of H.264 video and of AAC audio in ADTS.
const STREAM_TYPE_H264: u8 = 0x1b;
const STREAM_TYPE_ADTS_AAC: u8 = 0x0f;

/// The program association table: program 1 at [`PMT_PID`].
pub(super) fn write_pat(out: &mut Vec<u8>, counter: u8) {
    let pmt = PMT_PID.to_be_bytes();
    let body = [
        &[0x00, 0x01, 0xc1, 0x00, 0x00][..], // transport_stream_id, version/current, section numbers
        &[0x00, 0x01, 0xe0 | pmt[0], pmt[1]], // program 1 -> PMT PID
    ];
    write_section(out, 0, counter, &section(0x00, &body.concat()));
}

/// The program map table: H.264 at [`VIDEO_PID`], which also carries the PCR, and AAC at [`AUDIO_PID`].
pub(super) fn write_pmt(out: &mut Vec<u8>, counter: u8) {
    let pcr = VIDEO_PID.to_be_bytes();
    let body = [
        &[0x00, 0x01, 0xc1, 0x00, 0x00][..], // program_number, version/current, section numbers
        &[0xe0 | pcr[0], pcr[1], 0xf0, 0x00], // PCR PID, program_info_length 0
        &elementary_stream(STREAM_TYPE_H264, VIDEO_PID),
        &elementary_stream(STREAM_TYPE_ADTS_AAC, AUDIO_PID),
    ];
    write_section(out, PMT_PID, counter, &section(0x02, &body.concat()));
}

/// One stream of the PMT: type, PID, no descriptors.
fn elementary_stream(stream_type: u8, pid: u16) -> [u8; 5] {
    let pid = pid.to_be_bytes();
    [stream_type, 0xe0 | pid[0], pid[1], 0xf0, 0x00]
}

/// A section with the syntax flag: `table_id`, the length, `body`, then the CRC-32/MPEG-2 of it all.
fn section(table_id: u8, body: &[u8]) -> Vec<u8> {
    let length = (body.len() + 4) as u16; // the CRC counts
    let mut section = vec![table_id, 0xb0 | (length >> 8) as u8, length as u8];
    section.extend_from_slice(body);
    let crc = crc32_mpeg2(&section);
    section.extend_from_slice(&crc.to_be_bytes());
    section
}

/// One packet carrying a whole section, stuffed with 0xff.
fn write_section(out: &mut Vec<u8>, pid: u16, counter: u8, section: &[u8]) {
    let start = out.len();
    pes::transport_header(out, pid, true, false, counter);
    out.push(0); // pointer_field
    out.extend_from_slice(section);
    out.resize(start + PACKET_SIZE, 0xff);
}

/// CRC-32/MPEG-2: polynomial 0x04c11db7, initial value all ones, no reflection, no final xor.
pub(super) fn crc32_mpeg2(data: &[u8]) -> u32 {
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
