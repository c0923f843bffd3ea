// The library view <-> URL hash codec, and route parsing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildHash, decodeLibrary, decodeQuery, defaultOrder, encodeLibrary, encodeQuery, LIBRARY_DEFAULTS, libraryApiQuery, libraryHash, parseHash,
} from '../assets/lib/url.js';

const view = (changes = {}) => ({ ...decodeLibrary({}), ...changes });

test('the default view writes nothing', () => {
  assert.equal(encodeLibrary(view()), '');
  assert.equal(libraryHash(view()), '#/library');
  assert.deepEqual(decodeLibrary({}), { ...LIBRARY_DEFAULTS, order: 'desc' });
});

test('views round-trip through the URL with defaults left out', () => {
  const cases = [
    [{ search: 'summer sea' }, 'search=summer%20sea'],
    [{ search: '夏の海辺' }, `search=${encodeURIComponent('夏の海辺')}`],
    [{ downloaded: 'true', tag: '9' }, 'downloaded=true&tag=9'],
    [{ person: '666', source: 'fixture-alpha' }, 'person=666&source=fixture-alpha'],
    [{ translation_status: 'failed' }, 'translation_status=failed'],
    [{ sort: 'code', order: 'asc' }, 'sort=code'],
    [{ sort: 'code', order: 'desc' }, 'sort=code&order=desc'],
    [{ sort: 'release_date', order: 'desc' }, 'sort=release_date'],
    [{ order: 'asc' }, 'order=asc'],
    [{ page: 3, page_size: 96 }, 'page=3&page_size=96'],
    [{ search: 'a&b=c#d' }, 'search=a%26b%3Dc%23d'],
  ];
  for (const [changes, query] of cases) {
    const v = view(changes);
    assert.equal(encodeLibrary(v), query, JSON.stringify(changes));
    const back = decodeLibrary(decodeQuery(query));
    assert.deepEqual(back, v, query);
    assert.deepEqual(parseHash(libraryHash(v)), { path: ['library'], params: decodeQuery(query) });
  }
});

test('the default page size comes from the preference', () => {
  const defaults = { ...LIBRARY_DEFAULTS, page_size: 96 };
  assert.equal(encodeLibrary(view({ page_size: 96 }), defaults), '');
  assert.equal(encodeLibrary(view({ page_size: 48 }), defaults), 'page_size=48');
  assert.equal(decodeLibrary({}, defaults).page_size, 96);
});

test('invalid values fall back to the defaults', () => {
  const v = decodeLibrary({
    sort: 'title', order: 'sideways', page: '0', page_size: '5000', downloaded: 'yes',
    translation_status: 'done', person: 'abc', tag: '-1',
  });
  assert.deepEqual(v, { ...LIBRARY_DEFAULTS, order: 'desc' });
  assert.equal(decodeLibrary({ page: '2.5' }).page, 1);
  assert.equal(decodeLibrary({ page_size: '1000' }).page_size, 1000);
});

test('the order follows the sort unless given', () => {
  assert.equal(defaultOrder('code'), 'asc');
  assert.equal(defaultOrder('added_at'), 'desc');
  assert.equal(decodeLibrary({ sort: 'code' }).order, 'asc');
  assert.equal(decodeLibrary({ sort: 'video_time' }).order, 'desc');
});

test('the API query always names sort, order and paging', () => {
  const v = view({ search: '  demo ', tag: '3' });
  assert.equal(libraryApiQuery(v), 'search=demo&tag=3&sort=added_at&order=desc&page=1&page_size=48');
  assert.equal(libraryApiQuery(v, 'abc_-'), 'search=demo&tag=3&sort=added_at&order=desc&cursor=abc_-&page_size=48');
  assert.equal(libraryApiQuery(view({ search: '   ' })), 'sort=added_at&order=desc&page=1&page_size=48');
});

test('routes are read from the hash', () => {
  assert.deepEqual(parseHash(''), { path: [], params: {} });
  assert.deepEqual(parseHash('#'), { path: [], params: {} });
  assert.deepEqual(parseHash('#/'), { path: [], params: {} });
  assert.deepEqual(parseHash('#/resource/DEMO-001'), { path: ['resource', 'DEMO-001'], params: {} });
  assert.deepEqual(parseHash('#/library?search=a+b&tag=3&tag=4'), { path: ['library'], params: { search: 'a b', tag: '3' } });
  assert.deepEqual(parseHash('#/reports/check-resources-1.json?x'), { path: ['reports', 'check-resources-1.json'], params: { x: '' } });
  assert.deepEqual(parseHash('#/library?search=%E0%A4%A'), { path: ['library'], params: { search: '%E0%A4%A' } }, 'bad escapes kept as typed');
});

test('hashes are built with every part escaped', () => {
  assert.equal(buildHash(['resource', 'A B/C']), '#/resource/A%20B%2FC');
  assert.equal(buildHash(['queue'], { status: 'failed', kind: '', page: 2 }), '#/queue?status=failed&page=2');
  assert.equal(buildHash(['login'], { next: '#/queue?status=failed' }), '#/login?next=%23%2Fqueue%3Fstatus%3Dfailed');
  assert.deepEqual(parseHash(buildHash(['login'], { next: '#/queue?status=failed' })).params, { next: '#/queue?status=failed' });
  assert.equal(encodeQuery({ a: null, b: undefined, c: '', d: 0 }), 'd=0');
});
