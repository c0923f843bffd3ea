//! One WebVTT file from a subtitle rendition's segments: each segment is a whole WebVTT
//! document, so the joined segments repeat the `WEBVTT` header and the cues that span a
//! segment boundary. The merge keeps one header, the style and region blocks of the
//! first segment, and each cue once, in order.
//!
//! A segment's header may map its cue times onto the video's 90 kHz clock
//! (`X-TIMESTAMP-MAP=MPEGTS:<ticks>,LOCAL:<cue time>`, RFC 8216 3.5): its cues are moved
//! so that time 0 is the video's start, where a player puts it. The start is the video
//! file's first timestamp when it is known (MPEG-TS), else the first mapped segment's
//! origin (cues then keep the first segment's times, and later segments whose mapping
//! differs move with it). A segment without a map keeps its cue times as written, as
//! ffmpeg writes them relative to the stream's start.

/// Ticks of the 90 kHz clock in a millisecond.
const TICKS_PER_MS: i128 = 90;
/// PTS values wrap at 33 bits.
const PTS_WRAP: i128 = 1 << 33;

/// A segment's `X-TIMESTAMP-MAP`: its cue time `local_ms` falls on tick `ticks` of the
/// video's clock. Times are `i128`: no value read from the text can overflow them.
#[derive(Debug, Clone, Copy)]
struct Map {
    ticks: i128,
    local_ms: i128,
}

/// The merged document, or why the text is not WebVTT (an fMP4 or TTML subtitle track).
/// `video_start` is the video's first timestamp in 90 kHz ticks, when known.
pub(crate) fn merge(joined: &[u8], video_start: Option<u64>) -> Result<String, String> {
    let text = std::str::from_utf8(joined)
        .map_err(|_| "the subtitle segments are not UTF-8 text (not WebVTT)".to_owned())?;
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    // A segment that does not end with a line break glues the next one's header to its
    // last line: put it on a line of its own.
    let text = unglue_headers(&text);
    if !text.starts_with("WEBVTT") {
        return Err("the subtitle segments are not WebVTT (no WEBVTT header)".to_owned());
    }
    // Blocks of lines between blank lines, each with the map of the segment it is in. A
    // segment may end without a blank line, so its successor's header can follow the
    // last cue's text directly: a `WEBVTT` line always starts a header, which runs to
    // the next blank line and is dropped (its map kept for the segment's cues).
    let mut blocks: Vec<(Vec<&str>, Option<Map>)> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut in_header = false;
    let mut map: Option<Map> = None;
    for line in text.lines() {
        let bare = line.trim_start_matches('\u{feff}');
        let is_header =
            bare == "WEBVTT" || bare.starts_with("WEBVTT ") || bare.starts_with("WEBVTT\t");
        if is_header || bare.trim().is_empty() {
            if !current.is_empty() {
                blocks.push((std::mem::take(&mut current), map));
            }
            if is_header {
                map = None;
            }
            in_header = is_header;
            continue;
        }
        if in_header {
            if let Some((name, value)) = bare.split_once('=')
                && name.trim() == "X-TIMESTAMP-MAP"
            {
                map = parse_map(value);
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        blocks.push((current, map));
    }
    let reference = match video_start {
        Some(start) => Some(Map {
            ticks: i128::from(start),
            local_ms: 0,
        }),
        None => blocks.iter().find_map(|(_, map)| *map),
    };
    let mut out = String::from("WEBVTT\n");
    let mut seen_cue = false;
    let mut cues = std::collections::HashSet::new();
    for (block, map) in blocks {
        let first = block[0];
        let is_cue = block.iter().take(2).any(|line| line.contains("-->"));
        let text = if !is_cue {
            // STYLE and REGION blocks belong before the first cue; NOTE blocks anywhere.
            if (first.starts_with("STYLE") || first.starts_with("REGION")) && seen_cue {
                continue;
            }
            block.join("\n")
        } else {
            seen_cue = true;
            let shift = match (map, reference) {
                (Some(map), Some(reference)) => shift_ms(map, reference),
                _ => 0,
            };
            let Some(text) = cue(&block, shift) else {
                continue;
            };
            if !cues.insert(text.clone()) {
                continue;
            }
            text
        };
        out.push('\n');
        out.push_str(&text);
        out.push('\n');
    }
    Ok(out)
}

/// `MPEGTS:900000,LOCAL:00:00:00.000` (either order, spaces allowed).
fn parse_map(value: &str) -> Option<Map> {
    let (mut ticks, mut local_ms) = (None, None);
    for field in value.split(',') {
        let (name, value) = field.split_once(':')?;
        match name.trim() {
            "MPEGTS" => ticks = value.trim().parse::<u64>().ok().map(i128::from),
            "LOCAL" => local_ms = parse_time(value.trim()),
            _ => {}
        }
    }
    Some(Map {
        ticks: ticks?,
        local_ms: local_ms?,
    })
}

/// How far a segment mapped by `map` moves its cues to be timed like `reference`: the
/// ticks between the two (the short way round the clock's wrap, which cue times do not
/// have), less the cue times between them.
fn shift_ms(map: Map, reference: Map) -> i128 {
    let ticks = (map.ticks - reference.ticks).rem_euclid(PTS_WRAP);
    let ticks = if ticks > PTS_WRAP / 2 {
        ticks - PTS_WRAP
    } else {
        ticks
    };
    ticks.div_euclid(TICKS_PER_MS) - (map.local_ms - reference.local_ms)
}

/// A cue block as it is written out, moved by `shift_ms`, its timing written in full
/// (`hh:mm:ss.ttt`), so a cue repeated by the next segment in another form is still the
/// same text. `None` when it is moved to end before the video starts, or its timing
/// cannot be read to be moved.
fn cue(block: &[&str], shift_ms: i128) -> Option<String> {
    let mut text = Vec::with_capacity(block.len());
    for line in block {
        let timing = line.split_once("-->").and_then(|(start, rest)| {
            let rest = rest.trim_start();
            let (end, settings) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            Some((parse_time(start.trim())?, parse_time(end)?, settings.trim()))
        });
        let Some((start, end, settings)) = timing else {
            if shift_ms != 0 && line.contains("-->") {
                return None;
            }
            text.push((*line).to_owned());
            continue;
        };
        let (start, end) = ((start + shift_ms).max(0), end + shift_ms);
        if shift_ms != 0 && end <= 0 {
            return None;
        }
        let mut timing = format!("{} --> {}", format_time(start), format_time(end));
        if !settings.is_empty() {
            timing.push(' ');
            timing.push_str(settings);
        }
        text.push(timing);
    }
    Some(text.join("\n"))
}

/// Milliseconds of a WebVTT timestamp, `mm:ss.ttt` or `hh:mm:ss.ttt`.
pub(super) fn parse_time(text: &str) -> Option<i128> {
    let (clock, millis) = text.split_once('.')?;
    if millis.len() != 3 {
        return None;
    }
    let millis = i128::from(millis.parse::<u16>().ok()?);
    let parts: Vec<i128> = clock
        .split(':')
        .map(|part| part.parse::<u64>().ok().map(i128::from))
        .collect::<Option<_>>()?;
    let seconds = match parts[..] {
        [minutes, seconds] => minutes * 60 + seconds,
        [hours, minutes, seconds] => hours * 3600 + minutes * 60 + seconds,
        _ => return None,
    };
    Some(seconds * 1000 + millis)
}

fn format_time(millis: i128) -> String {
    let (seconds, millis) = (millis / 1000, millis % 1000);
    format!(
        "{:02}:{:02}:{:02}.{millis:03}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// `...textWEBVTT\n` -> `...text\nWEBVTT\n`: a `WEBVTT` followed by a line break or a
/// space that does not start its line starts a new segment's header.
fn unglue_headers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("WEBVTT") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let after = &from["WEBVTT".len()..];
        let ends_header = after.is_empty() || after.starts_with(['\n', ' ', '\t']);
        let line_start = out.is_empty() || out.ends_with('\n') || out.ends_with('\u{feff}');
        if ends_header && !line_start {
            out.push('\n');
        }
        out.push_str("WEBVTT");
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The merge of `joined` with the video starting at `video_start`.
    fn merged(joined: &str, video_start: Option<u64>) -> String {
        merge(joined.as_bytes(), video_start).expect("merged")
    }

    #[test]
    fn segments_merge_into_one_document() {
        let joined = "\u{feff}WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n\
            STYLE\n::cue { color: yellow }\n\n\
            00:00:01.000 --> 00:00:05.500\n你好\n\
            WEBVTT\r\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\r\n\r\n\
            00:00:01.000 --> 00:00:05.500\n你好\n\n\
            cue-7\n00:00:06.000 --> 00:00:07.000 line:90%\n<i>two</i>\nlines\n\n\
            STYLE\n::cue { color: red }\n";
        assert_eq!(
            merged(joined, None),
            "WEBVTT\n\nSTYLE\n::cue { color: yellow }\n\n\
             00:00:01.000 --> 00:00:05.500\n你好\n\n\
             cue-7\n00:00:06.000 --> 00:00:07.000 line:90%\n<i>two</i>\nlines\n"
        );
    }

    #[test]
    fn a_segment_without_a_final_line_break_still_ends_before_the_next() {
        let joined = "WEBVTT\n\n00:01.000 --> 00:02.000\none\u{2192}WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00.000\n\n00:03.000 --> 00:04.000\ntwo";
        assert_eq!(
            merged(joined, None),
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\none\u{2192}\n\n00:00:03.000 --> 00:00:04.000\ntwo\n"
        );
    }

    #[test]
    fn mapped_cues_are_moved_onto_the_video_start() {
        let joined = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n\
            00:00:00.500 --> 00:00:02.000\none\n\n\
            WEBVTT\nX-TIMESTAMP-MAP=LOCAL:00:00:00.000,MPEGTS:900000\n\n\
            00:03.000 --> 00:04.000 line:90%\ntwo\n\n\
            00:00:00.100 --> 00:00:00.900\ngone\n";
        // The video starts a second after the map's origin: every cue a second earlier;
        // one that began before the video starts with it, one that ended before is gone.
        assert_eq!(
            merged(joined, Some(990_000)),
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\none\n\n\
             00:00:02.000 --> 00:00:03.000 line:90%\ntwo\n"
        );
        // The video starts at the map's origin: the times as written.
        assert_eq!(
            merged(joined, Some(900_000)),
            "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\none\n\n\
             00:00:03.000 --> 00:00:04.000 line:90%\ntwo\n\n00:00:00.100 --> 00:00:00.900\ngone\n"
        );
    }

    #[test]
    fn a_local_time_in_the_map_and_a_map_that_changes_move_the_cues() {
        // Cue time 10 s is the video's first tick: 10.5 s is half a second in.
        let local = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:10.000\n\n\
            00:00:10.500 --> 00:00:11.000\nin\n";
        assert_eq!(
            merged(local, Some(900_000)),
            "WEBVTT\n\n00:00:00.500 --> 00:00:01.000\nin\n"
        );
        // The video's start unknown: the first segment's map is the reference, and a
        // later segment mapped two seconds later moves by two seconds; a segment
        // without a map keeps its times.
        let changing = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n\
            00:00:00.500 --> 00:00:01.000\na\n\n\
            WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:1080000,LOCAL:00:00:00.000\n\n\
            00:00:00.500 --> 00:00:01.000\nb\n\n\
            WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nc\n";
        assert_eq!(
            merged(changing, None),
            "WEBVTT\n\n00:00:00.500 --> 00:00:01.000\na\n\n\
             00:00:02.500 --> 00:00:03.000\nb\n\n00:00:05.000 --> 00:00:06.000\nc\n"
        );
    }

    #[test]
    fn a_map_past_the_clock_wrap_is_a_short_step() {
        // The video starts just before the 33-bit wrap; the map just after it.
        let joined = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:100,LOCAL:00:00:00.000\n\n\
            00:00:00.000 --> 00:00:01.000\nx\n";
        let start = (1u64 << 33) - 89_900;
        assert_eq!(
            merged(joined, Some(start)),
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n"
        );
    }

    #[test]
    fn a_time_of_day_as_local_time_and_a_cue_repeated_in_another_format() {
        // Live packagers write LOCAL as the time of day: the map's cue time is the video's
        // first tick, whatever its size.
        let joined = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000, LOCAL:15:00:00.000\n\n\
            15:00:01.000 --> 15:00:02.500 align:start\nday\n\n\
            WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:990000,LOCAL:15:00:01.000\n\n\
            15:00:01.000 --> 15:00:02.500 align:start\nday\n";
        // The second segment maps a second later onto a cue time a second later: the
        // cue it repeats is the same one, and is kept once.
        assert_eq!(
            merged(joined, Some(900_000)),
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.500 align:start\nday\n"
        );
        // A cue and its repeat moved onto the same times, written with and without
        // hours, are one cue.
        let repeated = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n\
            00:01.000 --> 00:02.000\nonce\n\n\
            WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:810000,LOCAL:00:00:00.000\n\n\
            00:00:02.000 --> 00:00:03.000\nonce\n";
        assert_eq!(
            merged(repeated, None),
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nonce\n"
        );
    }

    #[test]
    fn times_past_any_clock_do_not_overflow_and_an_unreadable_moved_cue_is_dropped() {
        let huge = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:18446744073709551615,LOCAL:18446744073709551615:59:59.999\n\n\
            18446744073709551615:00:00.000 --> 18446744073709551615:00:01.000\nfar\n\n\
            WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n\
            00:00:01.000 --> 00:00:02.000\nnear\n\n\
            00:00:0x.000 --> 00:00:02.000\nunreadable\n";
        let text = merged(huge, Some(90_000));
        assert!(
            text.contains("00:00:00.000 --> 00:00:01.000\nnear"),
            "{text}"
        );
        assert!(!text.contains("unreadable"), "{text}");
    }

    #[test]
    fn other_subtitle_formats_are_refused() {
        assert!(merge(b"<tt xmlns=\"http://www.w3.org/ns/ttml\">", None).is_err());
        assert!(merge(&[0, 0, 0, 24, b'f', b't', b'y', b'p', 0xff], None).is_err());
    }
}
