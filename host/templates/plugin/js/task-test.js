// Tests the pure task rules with node: `npm test`.
import assert from 'node:assert/strict';
import { options, staleCodes } from './src/rules.js';

const DAY = 86_400_000n;
const opts = options({ older_than_days: 7, limit: 1 }, 100n * DAY);
assert.equal(opts.cutoff, 93n * DAY);
const report = { checked: 0, queued: 0 };
const items = [{ code: 'A-1', updatedAtMs: 90n * DAY }, { code: 'B-2', updatedAtMs: 99n * DAY }, { code: 'C-3', updatedAtMs: 1n }];
assert.deepEqual(staleCodes(opts, items, report), ['A-1']);
assert.equal(report.checked, 3);
console.log('task rules: ok');
