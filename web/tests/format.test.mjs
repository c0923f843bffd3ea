// The display formats: sizes, speeds, clocks, percentages, dates and relative times.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatBytes, formatClock, formatDate, formatDateTime, formatElapsed, formatEta, formatNumber, formatPercent, formatRelative, formatSpeed, toDate,
} from '../assets/lib/format.js';

const check = (fn, cases) => {
  for (const [input, expected] of cases) assert.equal(fn(...[].concat(input)), expected, JSON.stringify(input));
};

test('bytes', () => {
  check(formatBytes, [
    [0, '0 B'], [1, '1 B'], [1023, '1,023 B'], [1024, '1.0 KiB'], [1536, '1.5 KiB'], [10 * 1024, '10 KiB'],
    [5 * 1024 ** 2, '5.0 MiB'], [123456789, '118 MiB'], [3.25 * 1024 ** 3, '3.3 GiB'], [2 * 1024 ** 4, '2.0 TiB'],
    [-2048, '-2.0 KiB'], [null, '—'], [NaN, '—'], [undefined, '—'], ['12', '—'],
  ]);
  assert.equal(formatBytes(1536, 'zh-CN'), '1.5 KiB');
  assert.equal(formatBytes(1234567890123, 'en'), '1.1 TiB');
});

test('speeds', () => {
  check(formatSpeed, [[0, '0 B/s'], [1572864, '1.5 MiB/s'], [-1, '—'], [null, '—'], [Infinity, '—']]);
});

test('clocks and times left', () => {
  check(formatClock, [[0, '0:00'], [5, '0:05'], [65, '1:05'], [3600, '1:00:00'], [4920, '1:22:00'], [59.6, '1:00'], [-1, '—'], [null, '—']]);
  check(formatEta, [[0, '0:00'], [4.2, '0:05'], [3725, '1:02:05'], [100 * 3600, '—'], [null, '—'], [-3, '—']]);
});

test('percentages are floored and clamped', () => {
  check(formatPercent, [[0, '0%'], [42.9, '42%'], [99.99, '99%'], [100, '100%'], [130, '100%'], [-5, '0%'], [null, '—']]);
  assert.equal(formatPercent(50, 'zh-CN'), '50%');
});

test('numbers are grouped by locale', () => {
  assert.equal(formatNumber(1234567, 'en'), '1,234,567');
  assert.equal(formatNumber(null), '—');
});

test('dates', () => {
  assert.equal(toDate('nonsense'), null);
  assert.equal(toDate(''), null);
  assert.equal(toDate(0).getTime(), 0);
  assert.equal(formatDate('2019-01-12', 'en'), 'Jan 12, 2019', 'a date-only text never shifts a day');
  assert.equal(formatDate('2019-01-12', 'zh-CN'), '2019年1月12日');
  assert.equal(formatDate(null), '—');
  assert.equal(formatDateTime(Date.UTC(2026, 11, 6, 15, 30), 'en', 'UTC'), 'Dec 6, 2026, 3:30 PM');
  assert.equal(formatDateTime('2026-12-07T02:00:00+00:00', 'en', 'UTC'), 'Dec 7, 2026, 2:00 AM');
  assert.equal(formatDateTime('bad'), '—');
});

test('relative times', () => {
  const now = Date.UTC(2026, 0, 1);
  check((v) => formatRelative(v, now, 'en'), [
    [now, 'now'], [now - 30_000, '30 seconds ago'], [now - 5 * 60_000, '5 minutes ago'],
    [now + 2 * 3600_000, 'in 2 hours'], [now - 86400_000, 'yesterday'], [now + 3 * 86400_000, 'in 3 days'],
    [now - 400 * 86400_000, 'last year'], [null, '—'],
  ]);
  assert.equal(formatRelative(now + 3600_000, now, 'zh-CN'), '1小时后');
  assert.equal(formatRelative(now, NaN), '—');
});

test('elapsed time between two instants', () => {
  check(formatElapsed, [[[1000, 8000], '7.0 s'], [[0, 420], '0.4 s'], [[0, 65_000], '1:05'], [[0, 3_600_000], '1:00:00'], [[5, 1], '—'], [[null, 5], '—']]);
});
