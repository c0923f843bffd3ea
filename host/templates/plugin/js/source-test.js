// Tests the pure page rules with node: `npm test`.
import assert from 'node:assert/strict';
import { between } from './src/page.js';

const page = '<title>Summer - Alpha</title><script>var hlsUrl = "http://x/m.m3u8";</script>';
assert.equal(between(page, 'var hlsUrl = "', '"'), 'http://x/m.m3u8');
assert.equal(between(page, 'missing', '"'), undefined);
console.log('page rules: ok');
