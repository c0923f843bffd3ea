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
const TICKS_PER_MS: i64 = 90;
/// PTS values wrap at 33 bits.
const PTS_WRAP: i64 = 1 << 33;

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
    let mut blocks: Vec<(Vec<&str>, Option<i64>)> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut in_header = false;
    let mut origin: Option<i64> = None;
    for line in text.lines() {
        let bare = line.trim_start_matches('\u{feff}');
        let is_header =
            bare == "WEBVTT" || bare.starts_with("WEBVTT ") || bare.starts_with("WEBVTT\t");
        if is_header || bare.trim().is_empty() {
            if !current.is_empty() {
                blocks.push((std::mem::take(&mut current), origin));
            }
            if is_header {
                origin = None;
            }
            in_header = is_header;
            continue;
        }
        if in_header {
            if let Some(map) = bare.trim().strip_prefix("X-TIMESTAMP-MAP=") {
                origin = map_origin(map);
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        blocks.push((current, origin));
    }
    let reference = video_start
        .and_then(|start| i64::try_from(start).ok())
        .or_else(|| blocks.iter().find_map(|(_, origin)| *origin));
    let mut out = String::from("WEBVTT\n");
    let mut seen_cue = false;
    let mut cues = std::collections::HashSet::new();
    for (block, origin) in blocks {
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
            let shift = match (origin, reference) {
                (Some(origin), Some(reference)) => wrapped(origin - reference) / TICKS_PER_MS,
                _ => 0,
            };
            let Some(text) = shifted(&block, shift) else {
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

/// The 90 kHz tick at which the segment's cue time 0 falls: `MPEGTS - LOCAL`, from
/// `MPEGTS:900000,LOCAL:00:00:00.000` (either order).
fn map_origin(map: &str) -> Option<i64> {
    let (mut ticks, mut local) = (None, None);
    for field in map.split(',') {
        let (name, value) = field.split_once(':')?;
        match name.trim() {
            "MPEGTS" => ticks = value.trim().parse::<i64>().ok(),
            "LOCAL" => local = parse_time(value.trim()),
            _ => {}
        }
    }
    Some(ticks? - local? * TICKS_PER_MS)
}

/// A difference of PTS values taken the short way round their 33-bit wrap.
fn wrapped(ticks: i64) -> i64 {
    let ticks = ticks.rem_euclid(PTS_WRAP);
    if ticks > PTS_WRAP / 2 {
        ticks - PTS_WRAP
    } else {
        ticks
    }
}

/// The cue with its timing line moved by `shift_ms`; `None` when it ends before 0.
fn shifted(block: &[&str], shift_ms: i64) -> Option<String> {
    if shift_ms == 0 {
        return Some(block.join("\n"));
    }
    let mut lines = Vec::with_capacity(block.len());
    for line in block {
        let Some((start, rest)) = line.split_once("-->") else {
            lines.push((*line).to_owned());
            continue;
        };
        let rest = rest.trim_start();
        let (end, settings) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let (Some(start), Some(end)) = (parse_time(start.trim()), parse_time(end)) else {
            lines.push((*line).to_owned());
            continue;
        };
        let (start, end) = ((start + shift_ms).max(0), end + shift_ms);
        if end <= 0 {
            return None;
        }
        let mut timing = format!("{} --> {}", format_time(start), format_time(end));
        if !settings.trim().is_empty() {
            timing.push(' ');
            timing.push_str(settings.trim());
        }
        lines.push(timing);
    }
    Some(lines.join("\n"))
}

/// Milliseconds of a WebVTT timestamp, `mm:ss.ttt` or `hh:mm:ss.ttt`.
fn parse_time(text: &str) -> Option<i64> {
    let (clock, millis) = text.split_once('.')?;
    if millis.len() != 3 {
        return None;
    }
    let millis: i64 = millis.parse().ok()?;
    let parts: Vec<i64> = clock
        .split(':')
        .map(|part| part.parse().ok())
        .collect::<Option<_>>()?;
    let seconds = match parts[..] {
        [minutes, seconds] => minutes * 60 + seconds,
        [hours, minutes, seconds] => hours * 3600 + minutes * 60 + seconds,
        _ => return None,
    };
    Some(seconds * 1000 + millis)
}

fn format_time(millis: i64) -> String {
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
            merge(joined.as_bytes(), None).expect("merged"),
            "WEBVTT\n\nSTYLE\n::cue { color: yellow }\n\n\
             00:00:01.000 --> 00:00:05.500\n你好\n\n\
             cue-7\n00:00:06.000 --> 00:00:07.000 line:90%\n<i>two</i>\nlines\n"
        );
    }

    #[test]
    fn a_segment_without_a_final_line_break_still_ends_before_the_next() {
        let joined = "WEBVTT\n\n00:01.000 --> 00:02.000\none\u{2192}WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00.000\n\n00:03.000 --> 00:04.000\ntwo";
        assert_eq!(
            merge(joined.as_bytes(), None).expect("merged"),
            "WEBVTT\n\n00:01.000 --> 00:02.000\none\u{2192}\n\n00:03.000 --> 00:04.000\ntwo\n"
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
            merge(joined.as_bytes(), Some(990_000)).expect("merged"),
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\none\n\n\
             00:00:02.000 --> 00:00:03.000 line:90%\ntwo\n"
        );
        // The video starts at the map's origin: the times as written.
        assert_eq!(
            merge(joined.as_bytes(), Some(900_000)).expect("merged"),
            "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\none\n\n\
             00:03.000 --> 00:04.000 line:90%\ntwo\n\n00:00:00.100 --> 00:00:00.900\ngone\n"
        );
    }

    #[test]
    fn a_local_time_in_the_map_and_a_map_that_changes_move_the_cues() {
        // Cue time 10 s is the video's first tick: 10.5 s is half a second in.
        let local = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:10.000\n\n\
            00:00:10.500 --> 00:00:11.000\nin\n";
        assert_eq!(
            merge(local.as_bytes(), Some(900_000)).expect("merged"),
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
            merge(changing.as_bytes(), None).expect("merged"),
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
            merge(joined.as_bytes(), Some(start)).expect("merged"),
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n"
        );
    }

    #[test]
    fn other_subtitle_formats_are_refused() {
        assert!(merge(b"<tt xmlns=\"http://www.w3.org/ns/ttml\">", None).is_err());
        assert!(merge(&[0, 0, 0, 24, b'f', b't', b'y', b'p', 0xff], None).is_err());
    }
}
