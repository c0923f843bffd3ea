// Tests the pure page rules with node: `npm test`.
import assert from 'node:assert/strict';
import { movie, seconds, toMetadata } from './src/page.js';

const page = `<script type="application/ld+json">{"@type":"Movie","name":"Summer","duration":"PT1H22M",
  "datePublished":"2019-01-12","image":"/c.jpg","actor":[{"@type":"Person","name":"A"}],"genre":["Drama"]}</script>`;
const found = movie(page);
assert.equal(found.name, 'Summer');
assert.equal(seconds('PT1H22M'), 4920);
const metadata = toMetadata('DEMO-001', 'http://x/meta/DEMO-001', found);
assert.equal(metadata.coverUrl, 'http://x/c.jpg');
assert.deepEqual(metadata.people.map((p) => p.name), ['A']);
assert.deepEqual(metadata.tags, ['Drama']);
console.log('page rules: ok');
