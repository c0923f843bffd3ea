//! {{name}}: a playlist filter that drops the segments of SCTE-35 ad breaks
//! (`#EXT-X-CUE-OUT` ... `#EXT-X-CUE-IN`) from media playlists, with the discontinuities
//! that framed them. Master playlists pass unchanged. Replace the rule with yours.

use kura_plugin_sdk::{Error, Playlist, PlaylistFilter, PlaylistKind};

/// The exported filter.
struct Filter;

impl PlaylistFilter for Filter {
    fn filter(playlist: Playlist) -> Result<String, Error> {
        if playlist.kind == PlaylistKind::Master {
            return Ok(playlist.text);
        }
        Ok(drop_breaks(&playlist.text))
    }
}

/// Every line outside `CUE-OUT`..`CUE-IN`, without the discontinuities around a break.
fn drop_breaks(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut in_break = false;
    let mut after_break = false;
    for line in text.lines() {
        let tag = line.trim();
        if tag.starts_with("#EXT-X-CUE-OUT") && !tag.starts_with("#EXT-X-CUE-OUT-CONT") {
            in_break = true;
            if kept.last() == Some(&"#EXT-X-DISCONTINUITY") {
                kept.pop();
            }
        } else if tag.starts_with("#EXT-X-CUE-IN") {
            in_break = false;
            after_break = true;
        } else if in_break {
            // Keys and maps apply after the break too.
            if tag.starts_with("#EXT-X-KEY") || tag.starts_with("#EXT-X-MAP") {
                kept.push(line);
            }
        } else if after_break && tag == "#EXT-X-DISCONTINUITY" {
            after_break = false;
        } else {
            after_break = false;
            kept.push(line);
        }
    }
    kept.join("\n") + "\n"
}

kura_plugin_sdk::export_playlist_filter!(Filter);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing;

    #[test]
    fn manifest_is_valid() {
        testing::check_manifest();
    }

    #[test]
    fn an_ad_break_goes() {
        let text = "#EXTM3U\n#EXTINF:4.0,\na.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-CUE-OUT:4\n#EXTINF:4.0,\nad.ts\n#EXT-X-CUE-IN\n#EXT-X-DISCONTINUITY\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n";
        assert_eq!(
            super::drop_breaks(text),
            "#EXTM3U\n#EXTINF:4.0,\na.ts\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n"
        );
    }
}
