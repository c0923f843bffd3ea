//! HLS playlists: parse (m3u8-rs, lenient), pick a variant, list the alternative
//! renditions (`#EXT-X-MEDIA`) a variant refers to, and flatten a media playlist into the
//! parts to fetch, each with its absolute URL, byte range, key and IV.
//!
//! Pure functions: the network side is in `remote.rs`. m3u8-rs attaches `#EXT-X-KEY` and
//! `#EXT-X-MAP` only to the first segment after the tag, so both are carried forward
//! here in segment order, as the HLS spec says they apply until the next such tag.

use m3u8_rs::{AlternativeMediaType, KeyMethod, MediaPlaylist, Playlist as Parsed};
use serde::Serialize;
use url::Url;

use crate::types::VariantRule;

/// One entry of a master playlist.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Variant {
    pub(crate) url: Url,
    pub(crate) bandwidth: u64,
    /// Width times height, 0 when unknown.
    pub(crate) pixels: u64,
    /// `CODECS`, as written.
    pub(crate) codecs: Option<String>,
    /// `AUDIO`: the group of its audio renditions.
    pub(crate) audio: Option<String>,
    /// `SUBTITLES`: the group of its subtitle renditions.
    pub(crate) subtitles: Option<String>,
}

/// What an alternative rendition carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RenditionKind {
    Audio,
    Subtitles,
}

/// One `#EXT-X-MEDIA` line of type AUDIO or SUBTITLES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendition {
    pub(crate) kind: RenditionKind,
    pub(crate) group: String,
    pub(crate) name: String,
    pub(crate) language: Option<String>,
    pub(crate) default: bool,
    pub(crate) autoselect: bool,
    /// Its media playlist; none when the rendition is carried in the variant itself.
    pub(crate) url: Option<Url>,
}

/// A master playlist: its variants and the renditions they refer to.
#[derive(Debug, Clone)]
pub(crate) struct Master {
    pub(crate) variants: Vec<Variant>,
    pub(crate) renditions: Vec<Rendition>,
}

/// A parsed playlist: a master playlist or a media playlist's parts.
#[derive(Debug)]
pub(crate) enum Playlist {
    Master(Master),
    Media(Stream),
}

/// The container the segments are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceContainer {
    Ts,
    Fmp4,
}

/// A sub-range of a resource (`#EXT-X-BYTERANGE`, `BYTERANGE` of `#EXT-X-MAP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub(crate) offset: u64,
    pub(crate) length: u64,
}

/// How a part is encrypted (`METHOD=AES-128`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartKey {
    pub(crate) uri: Url,
    pub(crate) iv: [u8; 16],
}

/// One file to fetch: an init section (`init-K`) or a media segment (`seg-N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// Its file name in the work directory; also its identity across URL refreshes.
    pub(crate) name: String,
    pub(crate) url: Url,
    pub(crate) range: Option<ByteRange>,
    pub(crate) key: Option<PartKey>,
    /// A media segment (counted in progress) rather than an init section.
    pub(crate) is_segment: bool,
}

/// A media playlist flattened for downloading.
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    /// Unique parts, in the order they are first needed.
    pub(crate) parts: Vec<Part>,
    /// Indices into `parts` in assembly order (an init section again when the map
    /// changes back).
    pub(crate) order: Vec<usize>,
    pub(crate) n_segments: usize,
    pub(crate) container: SourceContainer,
    pub(crate) duration_seconds: f64,
    /// No `#EXT-X-ENDLIST`: a live playlist, downloaded as listed now.
    pub(crate) live: bool,
    /// Segments marked `#EXT-X-GAP`: listed, never fetched (the time they cover stays
    /// empty in the output).
    pub(crate) gaps: usize,
    /// Identifies the content (segment count, durations, ranges, encryption), not the
    /// URLs, which change when a stream URL is refreshed.
    pub(crate) fingerprint: String,
    /// The playlist filters that changed what is downloaded.
    pub(crate) filtered_by: Vec<String>,
}

/// Parses a playlist fetched from `base` (its final URL, after redirects).
pub(crate) fn parse(text: &[u8], base: &Url) -> Result<Playlist, String> {
    let parsed = m3u8_rs::parse_playlist_res(text).map_err(|error| {
        let shown: String = format!("{error:?}").chars().take(200).collect();
        format!("not an HLS playlist: {shown}")
    })?;
    match parsed {
        Parsed::MasterPlaylist(master) => {
            let variants = master
                .variants
                .iter()
                .filter(|variant| !variant.is_i_frame)
                .map(|variant| {
                    Ok(Variant {
                        url: resolve(base, &variant.uri)?,
                        bandwidth: variant.bandwidth,
                        pixels: variant
                            .resolution
                            .map(|r| r.width.saturating_mul(r.height))
                            .unwrap_or(0),
                        codecs: variant.codecs.clone(),
                        audio: variant.audio.clone(),
                        subtitles: variant.subtitles.clone(),
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            if variants.is_empty() {
                return Err("master playlist lists no variant".to_owned());
            }
            let renditions = master
                .alternatives
                .iter()
                .filter_map(|media| {
                    let kind = match media.media_type {
                        AlternativeMediaType::Audio => RenditionKind::Audio,
                        AlternativeMediaType::Subtitles => RenditionKind::Subtitles,
                        _ => return None,
                    };
                    let url = match media.uri.as_deref().map(|uri| resolve(base, uri)) {
                        Some(Ok(url)) => Some(url),
                        Some(Err(error)) => return Some(Err(error)),
                        None => None,
                    };
                    Some(Ok(Rendition {
                        kind,
                        group: media.group_id.clone(),
                        name: media.name.clone(),
                        language: media.language.clone().filter(|l| !l.trim().is_empty()),
                        default: media.default,
                        autoselect: media.autoselect,
                        url,
                    }))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Playlist::Master(Master {
                variants,
                renditions,
            }))
        }
        Parsed::MediaPlaylist(media) => flatten(&media, base).map(Playlist::Media),
    }
}

/// The variant `rule` picks, among those ffmpeg can copy into MP4 when there are any (a
/// master may offer the same picture in several codecs).
pub(crate) fn choose(variants: &[Variant], rule: VariantRule) -> Option<&Variant> {
    let friendly: Vec<&Variant> = variants.iter().filter(|v| mp4_friendly(v)).collect();
    let pool: Vec<&Variant> = if friendly.is_empty() {
        variants.iter().collect()
    } else {
        friendly
    };
    choose_among(&pool, rule)
}

/// Codecs (RFC 6381 names, before the first dot) that MP4 holds as they are.
const MP4_CODECS: &[&str] = &[
    "avc1", "avc3", "hvc1", "hev1", "dvh1", "dvhe", "av01", "vp09", "mp4a", "ac-3", "ec-3", "opus",
    "flac", "alac", "mp4v", "wvtt", "stpp",
];

/// Every codec of the variant goes into MP4 by `-c copy` (unknown when `CODECS` is absent:
/// counted as friendly).
fn mp4_friendly(variant: &Variant) -> bool {
    variant.codecs.as_deref().is_none_or(|codecs| {
        codecs.split(',').all(|codec| {
            let family = codec.trim().split('.').next().unwrap_or("");
            MP4_CODECS
                .iter()
                .any(|known| family.eq_ignore_ascii_case(known))
        })
    })
}

fn choose_among<'a>(variants: &[&'a Variant], rule: VariantRule) -> Option<&'a Variant> {
    let variants = variants.iter().copied();
    let rank = |variant: &&Variant| (variant.bandwidth, variant.pixels);
    match rule {
        VariantRule::Best => variants.max_by_key(rank),
        VariantRule::Worst => variants.min_by_key(rank),
        VariantRule::MaxBandwidth(cap) => variants
            .clone()
            .filter(|variant| variant.bandwidth <= cap)
            .max_by_key(rank)
            .or_else(|| variants.min_by_key(rank)),
    }
}

fn resolve(base: &Url, uri: &str) -> Result<Url, String> {
    base.join(uri.trim())
        .map_err(|error| format!("bad URI `{uri}`: {error}"))
}

/// The key in effect: its URI and the IV the tag gave, if any.
type KeyState = Option<(Url, Option<[u8; 16]>)>;

/// The key state after an `#EXT-X-KEY` tag.
fn key_after(
    method: &KeyMethod,
    uri: Option<&str>,
    iv: Option<&str>,
    base: &Url,
) -> Result<KeyState, String> {
    match method {
        KeyMethod::None => Ok(None),
        KeyMethod::AES128 => {
            let uri = uri.ok_or("`#EXT-X-KEY` with METHOD=AES-128 has no URI")?;
            let iv = iv.map(parse_iv).transpose()?;
            Ok(Some((resolve(base, uri)?, iv)))
        }
        other => Err(format!(
            "encryption METHOD={other} is not supported (only AES-128; SAMPLE-AES is DRM)"
        )),
    }
}

/// `0x` followed by up to 32 hex digits, right-aligned in 16 bytes.
fn parse_iv(text: &str) -> Result<[u8; 16], String> {
    let digits = text
        .trim()
        .strip_prefix("0x")
        .or_else(|| text.trim().strip_prefix("0X"))
        .ok_or_else(|| format!("IV `{text}` does not start with 0x"))?;
    let value = u128::from_str_radix(digits, 16)
        .ok()
        .filter(|_| digits.len() <= 32)
        .ok_or_else(|| format!("IV `{text}` is not 128-bit hex"))?;
    Ok(value.to_be_bytes())
}

/// The key tag m3u8-rs could not parse and kept as an unknown tag: it refuses
/// `METHOD=NONE` without an IV, which is the normal way to write it.
fn unparsed_key(segment: &m3u8_rs::MediaSegment) -> Option<KeyMethod> {
    segment
        .unknown_tags
        .iter()
        .rev()
        .find(|tag| tag.tag == "X-KEY")
        .map(|tag| {
            let rest = tag.rest.as_deref().unwrap_or("");
            let method = rest
                .split(',')
                .find_map(|pair| pair.trim().strip_prefix("METHOD="))
                .unwrap_or("");
            method
                .parse()
                .unwrap_or(KeyMethod::Other(method.to_owned()))
        })
}

fn flatten(media: &MediaPlaylist, base: &Url) -> Result<Stream, String> {
    if media.segments.is_empty() {
        return Err("media playlist lists no segment".to_owned());
    }
    let mut stream = Stream {
        parts: Vec::new(),
        order: Vec::new(),
        n_segments: media.segments.len(),
        container: SourceContainer::Ts,
        duration_seconds: 0.0,
        live: !media.end_list,
        gaps: 0,
        fingerprint: String::new(),
        filtered_by: Vec::new(),
    };
    let mut fingerprint = format!("hls-v1 segments={}\n", media.segments.len());
    let mut key: KeyState = None;
    // (url, range) of each distinct init section, its index = position.
    let mut maps: Vec<(Url, Option<ByteRange>)> = Vec::new();
    let mut current_map: Option<usize> = None;
    let mut previous_range_end: Option<(Url, u64)> = None;
    for (index, segment) in media.segments.iter().enumerate() {
        if let Some(tag) = &segment.key {
            key = key_after(&tag.method, tag.uri.as_deref(), tag.iv.as_deref(), base)?;
        } else if let Some(method) = unparsed_key(segment) {
            key = key_after(&method, None, None, base)?;
        }
        if let Some(map) = &segment.map {
            let url = resolve(base, &map.uri)?;
            let range = map.byte_range.as_ref().map(|r| ByteRange {
                offset: r.offset.unwrap_or(0),
                length: r.length,
            });
            let position = match maps.iter().position(|m| *m == (url.clone(), range)) {
                Some(position) => position,
                None => {
                    maps.push((url.clone(), range));
                    // The init section is encrypted only when the key names its IV (the
                    // spec requires one then); the sequence-number IV is for segments.
                    let init_key = key.as_ref().and_then(|(uri, iv)| {
                        iv.map(|iv| PartKey {
                            uri: uri.clone(),
                            iv,
                        })
                    });
                    stream.parts.push(Part {
                        name: format!("init-{}", maps.len() - 1),
                        url,
                        range,
                        key: init_key,
                        is_segment: false,
                    });
                    maps.len() - 1
                }
            };
            if current_map != Some(position) {
                let part_index = stream
                    .parts
                    .iter()
                    .position(|p| p.name == format!("init-{position}"))
                    .ok_or("init section lost")?;
                stream.order.push(part_index);
                current_map = Some(position);
            }
        }
        let url = resolve(base, &segment.uri)?;
        let range = segment.byte_range.as_ref().map(|r| {
            let offset = r.offset.unwrap_or(match &previous_range_end {
                // No offset: the sub-range follows the previous segment's, in the same
                // resource.
                Some((previous, end)) if *previous == url => *end,
                _ => 0,
            });
            ByteRange {
                offset,
                length: r.length,
            }
        });
        previous_range_end = range.map(|r| (url.clone(), r.offset + r.length));
        if segment.unknown_tags.iter().any(|tag| tag.tag == "X-GAP") {
            // A gap's URI need not exist: it is not fetched; its range still places the
            // next one, and the key and map state above still apply after it.
            stream.gaps += 1;
            stream.n_segments -= 1;
            stream.duration_seconds += f64::from(segment.duration);
            fingerprint.push_str(&format!("gap {index}\n"));
            continue;
        }
        let sequence = media.media_sequence.saturating_add(index as u64);
        let part_key = key.as_ref().map(|(uri, iv)| PartKey {
            uri: uri.clone(),
            iv: iv.unwrap_or(u128::from(sequence).to_be_bytes()),
        });
        fingerprint.push_str(&format!(
            "seg {} {} {:?} {} {:?}\n",
            index,
            (f64::from(segment.duration) * 1000.0).round(),
            range.map(|r| (r.offset, r.length)),
            part_key.is_some(),
            current_map,
        ));
        stream.duration_seconds += f64::from(segment.duration);
        stream.order.push(stream.parts.len());
        stream.parts.push(Part {
            name: format!("seg-{index}"),
            url,
            range,
            key: part_key,
            is_segment: true,
        });
    }
    if stream.n_segments == 0 {
        return Err("every segment of the media playlist is a gap".to_owned());
    }
    if !maps.is_empty() {
        stream.container = SourceContainer::Fmp4;
    }
    stream.fingerprint = crate::util::sha256_hex(fingerprint.as_bytes());
    Ok(stream)
}

#[cfg(test)]
mod tests;
