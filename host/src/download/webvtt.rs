//! One WebVTT file from a subtitle rendition's segments: each segment is a whole WebVTT
//! document, so the joined segments repeat the `WEBVTT` header (with its HLS
//! `X-TIMESTAMP-MAP`) and the cues that span a segment boundary. The merge keeps one
//! header, the style and region blocks of the first segment, and each cue once, in order;
//! cue times stay as the packager wrote them (relative to the stream's start).

/// The merged document, or why the text is not WebVTT (an fMP4 or TTML subtitle track).
pub(crate) fn merge(joined: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(joined)
        .map_err(|_| "the subtitle segments are not UTF-8 text (not WebVTT)".to_owned())?;
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    // A segment that does not end with a line break glues the next one's header to its
    // last line: put it on a line of its own.
    let text = unglue_headers(&text);
    if !text.starts_with("WEBVTT") {
        return Err("the subtitle segments are not WebVTT (no WEBVTT header)".to_owned());
    }
    // Blocks of lines between blank lines. A segment may end without a blank line, so
    // its successor's header can follow the last cue's text directly: a `WEBVTT` line
    // always starts a header, which runs to the next blank line and is dropped.
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut in_header = false;
    for line in text.lines() {
        let bare = line.trim_start_matches('\u{feff}');
        let is_header =
            bare == "WEBVTT" || bare.starts_with("WEBVTT ") || bare.starts_with("WEBVTT\t");
        if is_header || bare.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            in_header = is_header;
            continue;
        }
        if !in_header {
            current.push(line);
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    let mut out = String::from("WEBVTT\n");
    let mut seen_cue = false;
    let mut cues = std::collections::HashSet::new();
    for block in blocks {
        let first = block[0];
        let is_cue = block.iter().take(2).any(|line| line.contains("-->"));
        let text = block.join("\n");
        if !is_cue {
            // STYLE and REGION blocks belong before the first cue; NOTE blocks anywhere.
            if (first.starts_with("STYLE") || first.starts_with("REGION")) && seen_cue {
                continue;
            }
        } else {
            seen_cue = true;
            if !cues.insert(text.clone()) {
                continue;
            }
        }
        out.push('\n');
        out.push_str(&text);
        out.push('\n');
    }
    Ok(out)
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
            merge(joined.as_bytes()).expect("merged"),
            "WEBVTT\n\nSTYLE\n::cue { color: yellow }\n\n\
             00:00:01.000 --> 00:00:05.500\n你好\n\n\
             cue-7\n00:00:06.000 --> 00:00:07.000 line:90%\n<i>two</i>\nlines\n"
        );
    }

    #[test]
    fn a_segment_without_a_final_line_break_still_ends_before_the_next() {
        let joined = "WEBVTT\n\n00:01.000 --> 00:02.000\none\u{2192}WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00.000\n\n00:03.000 --> 00:04.000\ntwo";
        assert_eq!(
            merge(joined.as_bytes()).expect("merged"),
            "WEBVTT\n\n00:01.000 --> 00:02.000\none\u{2192}\n\n00:03.000 --> 00:04.000\ntwo\n"
        );
    }

    #[test]
    fn other_subtitle_formats_are_refused() {
        assert!(merge(b"<tt xmlns=\"http://www.w3.org/ns/ttml\">").is_err());
        assert!(merge(&[0, 0, 0, 24, b'f', b't', b'y', b'p', 0xff]).is_err());
    }
}
