// Translations: English and Simplified Chinese have the same keys and the same holes,
// every key the code asks for exists, and lookups pick plurals and fill holes.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import en from '../assets/i18n/en.js';
import zhCN from '../assets/i18n/zh-CN.js';
import { pickLanguage, translate } from '../assets/lib/i18n.js';

const holes = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const assets = fileURLToPath(new URL('../assets/', import.meta.url));

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'vendor' || name === 'i18n' ? [] : sources(path);
    return name.endsWith('.js') ? [path] : [];
  });
}

test('every English key exists in Simplified Chinese and the other way round', () => {
  assert.deepEqual(Object.keys(zhCN).filter((k) => !(k in en)), [], 'keys only in zh-CN');
  assert.deepEqual(Object.keys(en).filter((k) => !(k in zhCN)), [], 'keys only in en');
});

test('both languages have the same holes in every string, and no empty string', () => {
  for (const key of Object.keys(en)) {
    assert.deepEqual(holes(zhCN[key]), holes(en[key]), key);
    assert.ok(en[key].trim() && zhCN[key].trim(), key);
  }
});

test('plural forms come in pairs', () => {
  for (const key of Object.keys(en).filter((k) => k.endsWith('.one'))) {
    assert.ok(`${key.slice(0, -4)}.other` in en, key);
  }
});

test('every key the code names literally exists', () => {
  const known = new Set(Object.keys(en));
  for (const key of Object.keys(en)) if (/\.(one|other)$/.test(key)) known.add(key.replace(/\.(one|other)$/, ''));
  const missing = [];
  for (const file of sources(assets)) {
    const text = readFileSync(file, 'utf8');
    for (const call of text.matchAll(/\bt(?:Or)?\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)) {
      for (const literal of call[1].matchAll(/'([a-z_]+\.[a-z0-9_.-]+)'/g)) {
        if (!known.has(literal[1])) missing.push(`${file.slice(assets.length)}: ${literal[1]}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

test('the language comes from a stored choice, else the browser', () => {
  assert.equal(pickLanguage([], null), 'en');
  assert.equal(pickLanguage(['zh-CN', 'en'], null), 'zh-CN');
  assert.equal(pickLanguage(['zh-TW'], null), 'zh-CN');
  assert.equal(pickLanguage(['fr-FR', 'en-GB'], null), 'en');
  assert.equal(pickLanguage(['fr-FR', 'de'], null), 'en');
  assert.equal(pickLanguage(['zh-CN'], 'en'), 'en');
  assert.equal(pickLanguage(['en'], 'zh-CN'), 'zh-CN');
  assert.equal(pickLanguage(['en'], 'klingon'), 'en');
});

test('lookups fill holes, pick plurals and fall back to English, then the key', () => {
  const strings = { 'a.b': 'Hello {name}', 'n.one': '{count} item', 'n.other': '{count} items', only: 'x' };
  const fallback = { 'f.g': 'From English {x}' };
  assert.equal(translate(strings, fallback, 'en', 'a.b', { name: 'Kura' }), 'Hello Kura');
  assert.equal(translate(strings, fallback, 'en', 'a.b'), 'Hello {name}');
  assert.equal(translate(strings, fallback, 'en', 'n', { count: 1 }), '1 item');
  assert.equal(translate(strings, fallback, 'en', 'n', { count: 2 }), '2 items');
  assert.equal(translate(strings, fallback, 'zh-CN', 'n', { count: 1 }), '1 items', 'Chinese has no singular');
  assert.equal(translate(strings, fallback, 'en', 'f.g', { x: 1 }), 'From English 1');
  assert.equal(translate(strings, fallback, 'en', 'missing.key'), 'missing.key');
  assert.equal(translate(en, en, 'en', 'library.total', { count: 1, n: '1' }), '1 resource');
  assert.equal(translate(zhCN, en, 'zh-CN', 'library.total', { count: 3, n: '3' }), '共 3 个资源');
});
