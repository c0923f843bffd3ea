// Checks the pure cleaning rules (src/clean.js) against the golden cases before any
// componentizing: `node test.js [WIT_DIR]` (default ./wit, or $WIT_DIR).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanTitle, parseLabels } from './src/clean.js';

const witDir = process.argv[2] || process.env.WIT_DIR || 'wit';
const cases = JSON.parse(readFileSync(join(witDir, 'cleaner-golden.json'), 'utf8'));

// Extra cases of our own: what must stay, what must go, what is unusable.
const extra = [
  { rule: 'bold-after-label', input: 'Translation: **"Summer Seaside"** (Note: literal)', expected: 'Summer Seaside' },
  { rule: 'bold-label', input: '**Translation**: Summer Seaside', expected: 'Summer Seaside' },
  { rule: 'keep-colon', input: 'Star Wars: A New Hope', expected: 'Star Wars: A New Hope' },
  { rule: 'keep-hyphen', input: 'Spider-Man - Far From Home', expected: 'Spider-Man - Far From Home' },
  { rule: 'keep-brackets', input: 'Alien (1979)', expected: 'Alien (1979)' },
  { rule: 'empty', input: '   \n\n ', expected: '' },
  { rule: 'empty', input: '""', expected: '' },
  { rule: 'empty', input: '**  **', expected: '' },
  { rule: 'label-only', input: 'Translation:', expected: '' },
  { rule: 'colon-title', input: 'Re: Zero:', expected: 'Re: Zero:' },
  { rule: 'extra-label', input: 'Titel: Sommerfest', expected: 'Sommerfest', labels: 'Titel|Übersetzung' },
  { rule: 'courtesy-label', input: 'Sure! Here is the translation: Summer Festival', expected: 'Summer Festival' },
  // Chinese titles the Chinese rules must leave: a label word inside a longer word before a
  // colon, a quoted work followed by more title, a copula that is no explanation, a count.
  { rule: 'keep-colon', input: '标题党：流量时代', expected: '标题党：流量时代' },
  { rule: 'keep-quoted', input: '《红楼梦》续集', expected: '《红楼梦》续集' },
  { rule: 'keep-quoted', input: '“我”是谁', expected: '“我”是谁' },
  { rule: 'keep-list-like', input: '1、2、3木头人', expected: '1、2、3木头人' },
];

let failed = 0;
for (const c of [...cases, ...extra]) {
  const { title } = cleanTitle(c.input, { extraLabels: parseLabels(c.labels) });
  if (title !== c.expected) {
    failed++;
    console.log(`FAIL [${c.rule}] ${JSON.stringify(c.input)}\n  got      ${JSON.stringify(title)}\n  expected ${JSON.stringify(c.expected)}`);
  }
}
console.log(`${cases.length} golden + ${extra.length} extra cases, ${failed} failed`);
process.exit(failed ? 1 : 0);
