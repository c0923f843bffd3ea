//! The ad-break rule over a media playlist's lines.

/// A playlist with its ad breaks removed.
#[derive(Debug, PartialEq)]
pub(crate) struct Filtered {
    pub(crate) text: String,
    /// Segments dropped.
    pub(crate) dropped: usize,
    pub(crate) dropped_seconds: f64,
}

/// Tags that belong to the next segment only: dropped with an ad segment.
const SEGMENT_TAGS: &[&str] = &[
    "#EXTINF:",
    "#EXT-X-BYTERANGE:",
    "#EXT-X-PROGRAM-DATE-TIME:",
    "#EXT-X-GAP",
    "#EXT-X-BITRATE:",
];

/// Tags that only mark an ad break; never kept.
const CUE_TAGS: &[&str] = &[
    "#EXT-X-CUE-OUT-CONT",
    "#EXT-OATCLS-SCTE35:",
    "#EXT-X-ASSET:",
];

/// Removes every ad break from a media playlist.
pub(crate) fn drop_ad_breaks(text: &str) -> Filtered {
    let mut kept: Vec<&str> = Vec::new();
    let mut in_break = false;
    // The break's announced length, when `CUE-OUT` gave one and no `CUE-IN` closes it.
    let mut remaining: Option<f64> = None;
    let mut pending: Vec<&str> = Vec::new();
    let mut dropped = 0;
    let mut dropped_seconds = 0.0;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(attributes) = trimmed.strip_prefix("#EXT-X-CUE-OUT")
            && !attributes.starts_with("-CONT")
        {
            in_break = true;
            remaining = duration(attributes);
            drop_trailing_discontinuity(&mut kept);
            continue;
        }
        if trimmed == "#EXT-X-CUE-IN" || trimmed.starts_with("#EXT-X-CUE-IN:") {
            in_break = false;
            remaining = None;
            pending.clear();
            continue;
        }
        if CUE_TAGS.iter().any(|tag| trimmed.starts_with(tag)) {
            continue;
        }
        if !in_break {
            // The discontinuity right after a break framed it: the content continues.
            if trimmed == "#EXT-X-DISCONTINUITY" && just_closed(&kept, dropped) {
                continue;
            }
            kept.push(line);
            continue;
        }
        if SEGMENT_TAGS.iter().any(|tag| trimmed.starts_with(tag)) {
            pending.push(line);
        } else if trimmed.is_empty() || trimmed.starts_with('#') {
            // Playlist-wide tags (a key, a map) also apply after the break: keep them.
            if trimmed != "#EXT-X-DISCONTINUITY" {
                kept.push(line);
            }
        } else {
            // A segment URI: the ad itself.
            let seconds = pending.iter().find_map(|tag| extinf(tag)).unwrap_or(0.0);
            pending.clear();
            dropped += 1;
            dropped_seconds += seconds;
            if let Some(left) = remaining.as_mut() {
                *left -= seconds;
                if *left <= 0.001 {
                    in_break = false;
                    remaining = None;
                }
            }
        }
    }
    let mut text = kept.join("\n");
    text.push('\n');
    Filtered {
        text,
        dropped,
        dropped_seconds,
    }
}

/// `:DURATION=30.0` or `:30` after `#EXT-X-CUE-OUT`.
fn duration(attributes: &str) -> Option<f64> {
    let value = attributes.strip_prefix(':')?;
    let value = value
        .split(',')
        .find_map(|pair| pair.trim().strip_prefix("DURATION="))
        .unwrap_or(value);
    value
        .trim()
        .parse()
        .ok()
        .filter(|seconds: &f64| *seconds > 0.0)
}

/// The duration of an `#EXTINF:4.0,title` line.
fn extinf(tag: &str) -> Option<f64> {
    let value = tag.trim().strip_prefix("#EXTINF:")?;
    value.split(',').next()?.trim().parse().ok()
}

/// A discontinuity just before `CUE-OUT` only framed the break.
fn drop_trailing_discontinuity(kept: &mut Vec<&str>) {
    if kept
        .last()
        .is_some_and(|line| line.trim() == "#EXT-X-DISCONTINUITY")
    {
        kept.pop();
    }
}

/// Whether the last kept line precedes a break that was just dropped: nothing but tags
/// have been kept since the last segment URI, and something was dropped.
fn just_closed(kept: &[&str], dropped: usize) -> bool {
    dropped > 0
        && kept
            .iter()
            .rev()
            .take_while(|line| !is_uri(line))
            .all(|line| !line.trim().starts_with("#EXTINF:"))
        && kept.last().is_some_and(|line| is_uri(line))
}

fn is_uri(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty() && !line.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_ADS: &str = "#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:4
#EXTINF:4.0,
seg0.ts
#EXT-X-DISCONTINUITY
#EXT-X-CUE-OUT:DURATION=4.0
#EXTINF:4.0,
ad0.ts
#EXT-X-CUE-IN
#EXT-X-DISCONTINUITY
#EXTINF:4.0,
seg1.ts
#EXT-X-DISCONTINUITY
#EXT-X-CUE-OUT:DURATION=4.0
#EXTINF:4.0,
ad1.ts
#EXT-X-CUE-IN
#EXT-X-DISCONTINUITY
#EXTINF:4.0,
seg2.ts
#EXT-X-ENDLIST
";

    const CONTENT: &str = "#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:4
#EXTINF:4.0,
seg0.ts
#EXTINF:4.0,
seg1.ts
#EXTINF:4.0,
seg2.ts
#EXT-X-ENDLIST
";

    #[test]
    fn breaks_and_their_framing_discontinuities_go() {
        let filtered = drop_ad_breaks(WITH_ADS);
        assert_eq!(filtered.text, CONTENT);
        assert_eq!(filtered.dropped, 2);
        assert!((filtered.dropped_seconds - 8.0).abs() < 1e-9);
    }

    #[test]
    fn a_playlist_without_cues_is_unchanged() {
        let filtered = drop_ad_breaks(CONTENT);
        assert_eq!(filtered.text, CONTENT);
        assert_eq!(filtered.dropped, 0);
    }

    #[test]
    fn a_real_discontinuity_in_the_content_stays() {
        let text = "#EXTM3U\n#EXTINF:4.0,\na.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n";
        assert_eq!(drop_ad_breaks(text).text, text);
    }

    #[test]
    fn a_break_without_cue_in_ends_after_its_duration() {
        let text = "#EXTM3U\n#EXTINF:4.0,\na.ts\n#EXT-X-CUE-OUT:8\n#EXTINF:4.0,\nad0.ts\n#EXT-X-CUE-OUT-CONT:ElapsedTime=4,Duration=8\n#EXTINF:4.0,\nad1.ts\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n";
        let filtered = drop_ad_breaks(text);
        assert_eq!(
            filtered.text,
            "#EXTM3U\n#EXTINF:4.0,\na.ts\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n"
        );
        assert_eq!(filtered.dropped, 2);
    }

    #[test]
    fn a_key_inside_a_break_still_applies_after_it() {
        let text = "#EXTM3U\n#EXTINF:4.0,\na.ts\n#EXT-X-CUE-OUT:4\n#EXT-X-KEY:METHOD=AES-128,URI=\"k2\"\n#EXTINF:4.0,\nad.ts\n#EXT-X-CUE-IN\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n";
        let filtered = drop_ad_breaks(text);
        assert!(
            filtered
                .text
                .contains("#EXT-X-KEY:METHOD=AES-128,URI=\"k2\"\n#EXTINF:4.0,\nb.ts")
        );
        assert!(!filtered.text.contains("ad.ts"));
    }
}
