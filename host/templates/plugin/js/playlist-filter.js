// {{name}}: a playlist filter that drops the segments of SCTE-35 ad breaks
// (#EXT-X-CUE-OUT ... #EXT-X-CUE-IN) from media playlists, with the discontinuities that
// framed them. Master playlists pass unchanged. Replace the rule with yours.
import { dropBreaks } from './rules.js';

export const playlistFilter = {
  filter(playlist) {
    // An enum arrives as its case name: 'master' or 'media'.
    if (playlist.kind === 'master') return playlist.text;
    return dropBreaks(playlist.text);
  },
};
