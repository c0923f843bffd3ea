// Tests the pure playlist rules with node: `npm test`.
import assert from 'node:assert/strict';
import { dropBreaks } from './src/rules.js';

const text = '#EXTM3U\n#EXTINF:4.0,\na.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-CUE-OUT:4\n#EXTINF:4.0,\nad.ts\n#EXT-X-CUE-IN\n#EXT-X-DISCONTINUITY\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n';
assert.equal(dropBreaks(text), '#EXTM3U\n#EXTINF:4.0,\na.ts\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n');
console.log('playlist rules: ok');
