// Splitting typed or pasted codes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitCodes } from '../assets/lib/codes.js';

test('codes are split on whitespace, commas and semicolons, duplicates dropped', () => {
  const check = (text, expected) => assert.deepEqual(splitCodes(text), expected, JSON.stringify(text));
  check('', []);
  check(null, []);
  check('DEMO-001', ['DEMO-001']);
  check(' DEMO-001  DEMO-002\nDEMO-003\tDEMO-004 ', ['DEMO-001', 'DEMO-002', 'DEMO-003', 'DEMO-004']);
  check('DEMO-001,DEMO-002, demo-003;DEMO-004', ['DEMO-001', 'DEMO-002', 'demo-003', 'DEMO-004']);
  check('DEMO-001，DEMO-002、DEMO-003；DEMO-004', ['DEMO-001', 'DEMO-002', 'DEMO-003', 'DEMO-004']);
  check('demo-001 DEMO-001 Demo-001 DEMO-002', ['demo-001', 'DEMO-002']);
  check(',,,\n\n', []);
});
