"""{{name}}: a playlist filter that drops the segments of SCTE-35 ad breaks
(#EXT-X-CUE-OUT ... #EXT-X-CUE-IN) from media playlists, with the discontinuities that
framed them. Master playlists pass unchanged. Replace the rule (rules.py) with yours.
"""
from wit_world import exports
from wit_world.exports import playlist_filter

import rules


class PlaylistFilter(exports.PlaylistFilter):
    def filter(self, playlist: playlist_filter.Playlist) -> str:
        if playlist.kind == playlist_filter.PlaylistKind.MASTER:
            return playlist.text
        return rules.drop_breaks(playlist.text)
