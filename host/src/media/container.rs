//! What container a stored video is, read from its first bytes, never from its name: a
//! download kept as MPEG-TS (no ffmpeg to remux it) must not be offered as MP4.

use std::io::Read;
use std::path::Path;

use super::{MediaError, Result};

/// A video file's container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Container {
    /// ISO base media (`ftyp` box first): plays in every browser's `<video>`.
    Mp4,
    /// MPEG transport stream (sync byte 0x47 every 188 bytes): browsers do not play it
    /// in `<video>`.
    Mpegts,
}

/// Bytes [`sniff`] looks at: two transport packets.
pub(super) const SNIFF_BYTES: usize = 2 * TS_PACKET;
const TS_PACKET: usize = 188;

impl Container {
    /// The media type a server answers with.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Mp4 => "video/mp4",
            Self::Mpegts => "video/mp2t",
        }
    }

    /// The file name extension that says what it is.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::Mpegts => "ts",
        }
    }

    /// Whether a browser's `<video>` element plays it.
    pub(crate) fn plays_in_browsers(self) -> bool {
        self == Self::Mp4
    }
}

/// The container the first bytes of a file say, if they say one this module knows.
pub(crate) fn sniff(head: &[u8]) -> Option<Container> {
    if head.len() >= 8 && &head[4..8] == b"ftyp" {
        return Some(Container::Mp4);
    }
    let second_packet = head.get(TS_PACKET).is_none_or(|b| *b == 0x47);
    if head.first() == Some(&0x47) && second_packet {
        return Some(Container::Mpegts);
    }
    None
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
    let mut file = match std::fs::File::open(path) {
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
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    file.by_ref()
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
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
        let mut ts = vec![0u8; SNIFF_BYTES];
        ts[0] = 0x47;
        ts[TS_PACKET] = 0x47;
        assert_eq!(sniff(&ts), Some(Container::Mpegts));
        ts[TS_PACKET] = 0;
        assert_eq!(sniff(&ts), None, "one sync byte is not a stream");
        assert_eq!(sniff(b"video"), None);
        assert_eq!(sniff(&[]), None);
        assert_eq!(
            sniff(&[0x47]),
            Some(Container::Mpegts),
            "a file of one short packet"
        );
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
