//! HLS playlist text: the master playlist, the media playlist of one variant, and its byte-range form over one file.
//!
//! URIs are relative to the playlist and carry the `?site=` query through, so protection follows the whole stream.

use std::fmt::Write as _;

use crate::catalog::{self, SEGMENT_SECONDS, Site, StreamKind, VARIANTS};
use crate::{aac, h264};

/// The `?site=...` suffix for URIs, empty for unprotected requests.
fn site_query(site: Option<Site>) -> String {
    site.map(|site| format!("?site={}", site.as_str()))
        .unwrap_or_default()
}

/// The master playlist of `n`: three variants, each at `{variant}/index.m3u8`.
pub(crate) fn master_playlist(n: u32, site: Option<Site>) -> String {
    let query = site_query(site);
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:");
    out.push_str(version(n));
    out.push_str("\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    // Every format in the variant: the MPEG-TS segments also carry AAC-LC audio.
    let codecs = match catalog::stream_kind(n) {
        StreamKind::Fmp4 => h264::CODECS.to_owned(),
        StreamKind::Ts | StreamKind::TsAes128 => format!("{},{}", h264::CODECS, aac::CODECS),
    };
    for (index, variant) in VARIANTS.iter().enumerate() {
        let _ = write!(
            out,
            "#EXT-X-STREAM-INF:BANDWIDTH={},RESOLUTION={}x{},CODECS=\"{}\"\n{index}/index.m3u8{query}\n",
            variant.bandwidth, variant.width, variant.height, codecs,
        );
    }
    out
}

/// The media playlist of `variant` of `n`: `n_segments` segments of 4 s, then `#EXT-X-ENDLIST`.
pub(crate) fn media_playlist(
    n: u32,
    variant: usize,
    site: Option<Site>,
    n_segments: usize,
) -> String {
    let query = site_query(site);
    let kind = catalog::stream_kind(n);
    let mut out = media_header(version(n));
    match kind {
        StreamKind::Fmp4 => {
            let _ = writeln!(out, "#EXT-X-MAP:URI=\"init.mp4{query}\"");
        }
        StreamKind::TsAes128 => out.push_str(&key_line(n, variant, &query)),
        StreamKind::Ts => {}
    }
    let extension = kind.segment_extension();
    let ads = catalog::has_ad_breaks(n);
    for index in 0..n_segments {
        if ads && index == n_segments - 1 {
            out.push_str(&ad_break(1, &query));
        }
        let _ = write!(
            out,
            "#EXTINF:{SEGMENT_SECONDS}.0,\nseg{index}.{extension}{query}\n"
        );
        if ads && index == 0 {
            out.push_str(&ad_break(0, &query));
        }
    }
    out.push_str("#EXT-X-ENDLIST\n");
    out
}

/// Ad break `k`: the SCTE-35 cue tags packagers write around an inserted ad.
fn ad_break(k: usize, query: &str) -> String {
    format!(
        "#EXT-X-DISCONTINUITY\n#EXT-X-CUE-OUT:DURATION={SEGMENT_SECONDS}.0\n#EXTINF:{SEGMENT_SECONDS}.0,\nad{k}.ts{query}\n#EXT-X-CUE-IN\n#EXT-X-DISCONTINUITY\n"
    )
}

/// The number `k` of an ad segment file `ad{k}.ts`.
pub(crate) fn ad_index(file: &str) -> Option<usize> {
    let digits = file.strip_prefix("ad")?.strip_suffix(".ts")?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&k| k < 2)
}

/// The single file holding a variant's init section (fMP4) and its segments as served, one after the other.
pub(crate) fn single_file_name(kind: StreamKind) -> &'static str {
    match kind {
        StreamKind::Fmp4 => "all.mp4",
        StreamKind::Ts | StreamKind::TsAes128 => "all.ts",
    }
}

/// The media playlist of `variant` of `n` as `#EXT-X-BYTERANGE` slices of [`single_file_name`] (as
/// `ffmpeg -hls_flags single_file` packages): the init section (`init_bytes`, fMP4) at 0 in `#EXT-X-MAP`, then one
/// range per segment of `segment_bytes`; the second segment's range has no offset (it follows the first, as RFC 8216
/// allows).
pub(crate) fn byte_range_playlist(
    n: u32,
    variant: usize,
    site: Option<Site>,
    init_bytes: Option<usize>,
    segment_bytes: &[usize],
) -> String {
    let query = site_query(site);
    let kind = catalog::stream_kind(n);
    let file = single_file_name(kind);
    // `#EXT-X-BYTERANGE` needs version 4; `#EXT-X-MAP` outside I-frame playlists 6.
    let mut out = media_header(if init_bytes.is_some() { "7" } else { "4" });
    let mut offset = 0;
    if let Some(length) = init_bytes {
        let _ = writeln!(
            out,
            "#EXT-X-MAP:URI=\"{file}{query}\",BYTERANGE=\"{length}@0\""
        );
        offset = length;
    }
    if kind == StreamKind::TsAes128 {
        out.push_str(&key_line(n, variant, &query));
    }
    for (index, length) in segment_bytes.iter().enumerate() {
        let _ = write!(
            out,
            "#EXTINF:{SEGMENT_SECONDS}.0,\n#EXT-X-BYTERANGE:{length}"
        );
        if index != 1 {
            let _ = write!(out, "@{offset}");
        }
        let _ = write!(out, "\n{file}{query}\n");
        offset += length;
    }
    out.push_str("#EXT-X-ENDLIST\n");
    out
}

/// `#EXTM3U` to `#EXT-X-PLAYLIST-TYPE:VOD`.
fn media_header(version: &str) -> String {
    format!(
        "#EXTM3U\n#EXT-X-VERSION:{version}\n#EXT-X-TARGETDURATION:{SEGMENT_SECONDS}\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
    )
}

/// The `#EXT-X-KEY` line of an AES-128 stream: the key one level up, the variant's IV.
fn key_line(n: u32, variant: usize, query: &str) -> String {
    let iv: String = catalog::aes_iv(n, variant)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("#EXT-X-KEY:METHOD=AES-128,URI=\"../key.bin{query}\",IV=0x{iv}\n")
}

/// `#EXT-X-VERSION`: 7 for fMP4 (`#EXT-X-MAP` outside I-frame playlists), 3 otherwise.
fn version(n: u32) -> &'static str {
    match catalog::stream_kind(n) {
        StreamKind::Fmp4 => "7",
        StreamKind::Ts | StreamKind::TsAes128 => "3",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(actual: &str, expected: &str) {
        assert_eq!(actual, expected, "\nactual:\n{actual}");
    }

    #[test]
    fn master_lists_three_variants() {
        check(
            &master_playlist(1, Some(Site::Alpha)),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360,CODECS=\"avc1.42c028,mp4a.40.2\"\n0/index.m3u8?site=alpha\n\
             #EXT-X-STREAM-INF:BANDWIDTH=1200000,RESOLUTION=1280x720,CODECS=\"avc1.42c028,mp4a.40.2\"\n1/index.m3u8?site=alpha\n\
             #EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1920x1080,CODECS=\"avc1.42c028,mp4a.40.2\"\n2/index.m3u8?site=alpha\n",
        );
        let fmp4 = master_playlist(11, None);
        assert!(
            fmp4.contains(",CODECS=\"avc1.42c028\"\n0/index.m3u8\n"),
            "{fmp4}"
        );
    }

    #[test]
    fn plain_ts_playlist() {
        check(
            &media_playlist(5, 0, None, catalog::segment_count(5)),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n\
             #EXTINF:4.0,\nseg0.ts\n#EXTINF:4.0,\nseg1.ts\n#EXTINF:4.0,\nseg2.ts\n\
             #EXTINF:4.0,\nseg3.ts\n#EXTINF:4.0,\nseg4.ts\n#EXTINF:4.0,\nseg5.ts\n#EXT-X-ENDLIST\n",
        );
    }

    #[test]
    fn aes_playlist_has_key_and_iv() {
        let playlist = media_playlist(7, 2, Some(Site::Beta), catalog::segment_count(7));
        let iv: String = catalog::aes_iv(7, 2)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let key_line = format!(
            "#EXT-X-KEY:METHOD=AES-128,URI=\"../key.bin?site=beta\",IV=0x{iv}\n#EXTINF:4.0,\nseg0.ts?site=beta\n"
        );
        assert!(playlist.contains(&key_line), "{playlist}");
        assert_eq!(playlist.matches("#EXTINF:4.0,").count(), 8);
    }

    #[test]
    fn byte_range_playlists() {
        check(
            &byte_range_playlist(11, 0, Some(Site::Alpha), Some(100), &[10, 20, 30]),
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n\
             #EXT-X-MAP:URI=\"all.mp4?site=alpha\",BYTERANGE=\"100@0\"\n\
             #EXTINF:4.0,\n#EXT-X-BYTERANGE:10@100\nall.mp4?site=alpha\n\
             #EXTINF:4.0,\n#EXT-X-BYTERANGE:20\nall.mp4?site=alpha\n\
             #EXTINF:4.0,\n#EXT-X-BYTERANGE:30@130\nall.mp4?site=alpha\n#EXT-X-ENDLIST\n",
        );
        let aes = byte_range_playlist(7, 2, None, None, &[16, 32]);
        assert!(aes.contains("#EXT-X-VERSION:4\n"), "{aes}");
        assert!(
            aes.contains("\",IV=0x")
                && aes.ends_with("#EXT-X-BYTERANGE:32\nall.ts\n#EXT-X-ENDLIST\n"),
            "{aes}"
        );
    }

    #[test]
    fn fmp4_playlist_has_map() {
        let playlist = media_playlist(11, 1, None, catalog::segment_count(11));
        assert!(playlist.contains("#EXT-X-VERSION:7\n"));
        assert!(playlist.contains("#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:4.0,\nseg0.m4s\n"));
        assert!(playlist.ends_with("seg6.m4s\n#EXT-X-ENDLIST\n"));
    }
}
