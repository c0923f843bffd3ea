//! Playlist filter over the cue tags packagers write around inserted ads (SCTE-35 in HLS):
//! every segment from `#EXT-X-CUE-OUT` to `#EXT-X-CUE-IN` is dropped, with the cue tags and
//! the `#EXT-X-DISCONTINUITY` lines that only framed the break. A `CUE-OUT` with a
//! `DURATION` and no `CUE-IN` ends when that much time has been dropped. Master playlists
//! pass unchanged.

mod cues;

use kura_plugin_sdk::{Error, Playlist, PlaylistFilter, PlaylistKind};

/// The exported filter.
struct AdCues;

impl PlaylistFilter for AdCues {
    fn filter(playlist: Playlist) -> Result<String, Error> {
        if playlist.kind == PlaylistKind::Master {
            return Ok(playlist.text);
        }
        let filtered = cues::drop_ad_breaks(&playlist.text);
        if filtered.dropped == 0 {
            // Nothing to drop: the site's text as it was (not re-joined lines).
            return Ok(playlist.text);
        }
        kura_plugin_sdk::info!(
            "{}: dropped {} ad segment(s), {:.1} s",
            playlist.code,
            filtered.dropped,
            filtered.dropped_seconds
        );
        Ok(filtered.text)
    }
}

kura_plugin_sdk::export_playlist_filter!(AdCues);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing;

    #[test]
    fn manifest_is_valid() {
        testing::check_manifest();
    }
}
