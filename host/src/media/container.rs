//! What container a video file is, read from its first bytes, never from its name: a
//! download kept as MPEG-TS (no ffmpeg to remux it) must not be offered as MP4, and a
//! file that is none (an error page saved as a video) is no video at all.

use std::io::Read;
use std::path::Path;

use super::{MediaError, Result};

/// A video file's container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Container {
    /// ISO base media (MP4, MOV: a box first): plays in every browser's `<video>`.
    Mp4,
    /// MPEG transport stream (sync byte 0x47 every 188 bytes): browsers do not play it
    /// in `<video>`.
    Mpegts,
    /// Matroska or WebM (the EBML magic).
    Matroska,
}

/// Bytes [`sniff`] looks at: the start of a second transport packet.
const SNIFF_BYTES: usize = TS_PACKET + 1;
const TS_PACKET: usize = 188;

impl Container {
    /// The media type a server answers with.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Mp4 => "video/mp4",
            Self::Mpegts => "video/mp2t",
            Self::Matroska => "video/x-matroska",
        }
    }

    /// The file name extension that says what it is.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::Mpegts => "ts",
            Self::Matroska => "mkv",
        }
    }

    /// Whether a browser's `<video>` element plays it.
    pub(crate) fn plays_in_browsers(self) -> bool {
        self == Self::Mp4
    }
}

/// The container the first bytes of a file say, if they say one this module knows.
fn sniff(head: &[u8]) -> Option<Container> {
    let mp4 = head.len() >= 8
        && matches!(
            &head[4..8],
            b"ftyp" | b"styp" | b"moov" | b"moof" | b"mdat" | b"free" | b"skip" | b"wide"
        );
    // A whole first packet, and the second's sync byte when the file goes on.
    let ts = head.len() >= TS_PACKET
        && head[0] == 0x47
        && head.get(TS_PACKET).is_none_or(|b| *b == 0x47);
    if mp4 {
        Some(Container::Mp4)
    } else if ts {
        Some(Container::Mpegts)
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(Container::Matroska)
    } else {
        None
    }
}

/// The container of the file at `path`; None when it cannot be read or starts like no
/// video (blocking).
pub(crate) fn container_of(path: &Path) -> Option<Container> {
    let file = std::fs::File::open(path).ok()?;
    sniff(&read_head(file).ok()?)
}

/// Up to [`SNIFF_BYTES`] from the start of `file`.
fn read_head(file: std::fs::File) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    file.take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// A stored video: its container and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VideoFile {
    /// What its bytes say it is; `None` when they match no known container.
    pub(crate) container: Option<Container>,
    /// Its size in bytes.
    pub(crate) size: u64,
}

/// Reads the head of the file at `path`; `NotFound` when there is none.
pub(super) fn probe(path: &Path, what: impl FnOnce() -> String) -> Result<VideoFile> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(MediaError::NotFound { what: what() });
        }
        Err(source) => {
            return Err(MediaError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let io = |source| MediaError::Io {
        path: path.to_owned(),
        source,
    };
    let size = file.metadata().map_err(io)?.len();
    let head = read_head(file).map_err(io)?;
    Ok(VideoFile {
        container: sniff(&head),
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_told_by_their_bytes() {
        let mut mp4 = vec![0, 0, 0, 0x20];
        mp4.extend_from_slice(b"ftypisom");
        assert_eq!(sniff(&mp4), Some(Container::Mp4));
        mp4[4..8].copy_from_slice(b"moov");
        assert_eq!(sniff(&mp4), Some(Container::Mp4), "the movie box first");
        let mut ts = vec![0u8; SNIFF_BYTES];
        ts[0] = 0x47;
        ts[TS_PACKET] = 0x47;
        assert_eq!(sniff(&ts), Some(Container::Mpegts));
        assert_eq!(
            sniff(&ts[..TS_PACKET]),
            Some(Container::Mpegts),
            "one whole packet"
        );
        ts[TS_PACKET] = 0;
        assert_eq!(sniff(&ts), None, "one sync byte is not a stream");
        assert_eq!(
            sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0, 0, 0, 0]),
            Some(Container::Matroska)
        );
        assert_eq!(sniff(&[0x47]), None, "less than a packet");
        assert_eq!(sniff(b"<html><body>403</body></html>"), None);
        assert_eq!(sniff(&[]), None);
    }

    #[test]
    fn a_missing_file_is_not_found_and_a_present_one_is_measured() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("v");
        assert!(matches!(
            probe(&path, || "video".to_owned()),
            Err(MediaError::NotFound { .. })
        ));
        let mut bytes = vec![0u8; 1000];
        bytes[4..8].copy_from_slice(b"ftyp");
        std::fs::write(&path, &bytes).expect("written");
        let found = probe(&path, || "video".to_owned()).expect("probed");
        assert_eq!(found.container, Some(Container::Mp4));
        assert_eq!(found.size, 1000);
    }
}
