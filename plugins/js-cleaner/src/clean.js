// Pure title-cleaning rules: no imports, so node can test them directly (test.js) and the
// component (component.js) wraps them with the host's log and settings.
//
// cleanTitle(raw, options) -> { title, steps } where `title` is '' when nothing usable
// remains and `steps` names the rules that changed something (for the debug log).

/** Label prefixes an LLM puts before the title ("Translation:", "Here is the translation:"). */
const DEFAULT_LABELS = [
  'here is the translation',
  "here's the translation",
  'here is the translated title',
  "here's the translated title",
  'here is the english title',
  'the title translates to',
  'the translation is',
  'translated title',
  'english title',
  'title translation',
  'translation',
  'translated',
  'title',
  'answer',
  'result',
  'output',
  'english',
  // Chinese, simplified and traditional: "翻译结果：", "译文：", "好的，翻译如下：".
  '这是翻译后的标题',
  '這是翻譯後的標題',
  '以下是翻译',
  '以下是翻譯',
  '翻译结果是',
  '翻譯結果是',
  '翻译结果',
  '翻譯結果',
  '翻译如下',
  '翻譯如下',
  '翻译',
  '翻譯',
  '译文',
  '譯文',
  '译名',
  '譯名',
  '标题',
  '標題',
  // Japanese.
  '以下が翻訳です',
  '翻訳結果',
  '翻訳',
  '訳文',
  '訳',
  'タイトル',
];

/**
 * Courtesy an LLM opens its answer with ("好的！", "Sure,"): skipped before a label on the
 * same line, and a line of nothing else (or of courtesy and "这是翻译后的标题。") is a lead-in.
 */
const COURTESY = [
  'sure',
  'okay',
  'ok',
  'certainly',
  'of course',
  '好的',
  '当然',
  '當然',
  '没问题',
  '沒問題',
  'はい',
  'もちろん',
  'かしこまりました',
  '承知しました',
];

/** Opening quote -> closing quote. */
const QUOTES = new Map([
  ['"', '"'],
  ["'", "'"],
  ['“', '”'],
  ['‘', '’'],
  ['「', '」'],
  ['『', '』'],
  ['«', '»'],
  ['„', '“'],
  ['《', '》'],
  ['〈', '〉'],
]);

/** Opening bracket -> closing bracket, for trailing notes. */
const BRACKETS = new Map([
  ['(', ')'],
  ['（', '）'],
  ['[', ']'],
  ['【', '】'],
  ['〔', '〕'],
  ['［', '］'],
]);

/** Kana, CJK ideographs and Hangul. */
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af]/u;
const KANA = /[\u3040-\u30ff\uff66-\uff9f]/u;
const HANGUL = /[\uac00-\ud7af]/u;

/**
 * A bracketed part in a script the title does not use is the original, not part of the title:
 * any CJK after a title without CJK ("Summer Festival (夏祭り)"), Japanese kana or Korean
 * after a Chinese title ("夏日祭典（夏祭り）"). Ideographs after a Chinese or Japanese title
 * may be part of it ("海边的夏天（第2部）").
 */
const ORIGINAL_SCRIPTS = [CJK, KANA, HANGUL];

/**
 * A letter or digit of the common scripts. Not `\p{L}`: StarlingMonkey's SpiderMonkey is built
 * without ICU, so Unicode property escapes are a SyntaxError inside the component.
 */
const LETTER_OR_DIGIT =
  /[0-9A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0370-\u03ff\u0400-\u052f\u0531-\u0587\u05d0-\u05ea\u0620-\u064a\u0660-\u0669\u0900-\u0dff\u0e01-\u0e5b\u1e00-\u1fff\u3005-\u3007\u3041-\u3096\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uff9d]/u;

/** Words that open a note inside brackets. */
const NOTE_START =
  /^(?:translator'?s?\s+note|translation\s+note|notes?|n\.b\.|t\/n|tn|lit\.|literally|literal(?:\s+translation)?|i\.e\.|e\.g\.|meaning|means|original(?:\s+title)?|orig\.|romaji|romani[sz]ed|japanese|chinese|korean|or|aka|注|註|訳注|原題|原文|直訳|意訳|備考|译注|譯註|譯注|备注|備註|注释|註釋|说明|說明|原标题|原標題|原名|直译|直譯|意译|意譯)(?=$|[\s:：,.;)\]）】])/iu;

/** What follows a title and starts an explanation: " - which means", ", meaning", ... */
const TRAILING_EXPLANATION =
  /\s*[-–—:,;]\s+(?:(?:which\s+(?:means|is|translates|refers|can)|meaning|means|literally|that\s+is|translated\s+as|translates\s+(?:to|as)|or\s+more\s+literally|in\s+english|roughly)\b|lit\.|i\.e\.).*$/su;

/**
 * Chinese and Japanese words that start an explanation after the title and its punctuation:
 * "夏日祭典——意为…", "夏日祭典，意思是…", "夏日祭典。这个标题…", "夏日祭典。このタイトルは…".
 */
const CJK_EXPLANATION_WORDS = [
  // Chinese, simplified and traditional.
  '意为',
  '意為',
  '意思是',
  '意即',
  '直译',
  '直譯',
  '意译',
  '意譯',
  '字面意思',
  '译为',
  '譯為',
  '指的是',
  '这个标题',
  '這個標題',
  '该标题',
  '該標題',
  '这个翻译',
  '這個翻譯',
  '这个译名',
  '這個譯名',
  // Japanese.
  'このタイトル',
  'この翻訳',
  'この訳',
  '直訳',
  '意訳',
  '意味は',
  'つまり',
];

/**
 * One of those words after a dash or any punctuation, and the rest; unlike English, no space
 * need follow the punctuation.
 */
const CJK_TRAILING_EXPLANATION = new RegExp(
  `\\s*(?:[-–—]+|[,;:.!，；：。！])\\s*(?:${alternation(CJK_EXPLANATION_WORDS)}).*$`,
  'su',
);

/** A sentence after the title that explains it: "Blue Lantern Night. This title refers to ...". */
const EXPLANATION_SENTENCE =
  /^(.+?[^\s.])[.!。]\s+(?:This|These|That|It|Its|Here|Note|Literally|In\s+English|The\s+(?:title|word|words|phrase|original|name|translation|term|kanji|Japanese))\b.*$/su;

/**
 * A quoted title followed by talk about it: '"Summer Festival" is the English translation',
 * "“夏日祭典”是这个日文标题的中文翻译。". A Chinese or Japanese copula also joins a quoted
 * word to the rest of a title ("“我”是谁"), so it counts only before a whole sentence.
 */
const AFTER_QUOTE =
  /^\s*(?:[-–—:,;(（，；：]|is\b|was\b|means\b|which\b|meaning\b|translates\b|would\b|could\b|can\b|as\s+a\b|[.。]\s*\S|(?:是|意为|意為|意思是|とは|という|は).*[.。!！]$)/iu;

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The words as one alternation, longest first; a space in a word matches any whitespace. */
function alternation(words) {
  return words
    .map((word) => word.trim())
    .filter(Boolean)
    .sort((a, b) => b.length - a.length)
    .map((word) => escapeRegExp(word).replace(/\s+/g, '\\s+'))
    .join('|');
}

/** Any courtesy words, each ended by punctuation, space or the end ("好的，", "Sure! "). */
const COURTESY_PREFIX = `(?:(?:${alternation(COURTESY)})(?:[\\s,，、.。!！]+|$))*`;

function labelPattern(labels) {
  // "**Title:**", "Title：", "__Translation__:", "好的，翻译如下：" ... then the rest.
  return new RegExp(
    `^${COURTESY_PREFIX}` +
      // The emphasis closing after the label is the one that opened before it (\\1 matches
      // nothing when none did), so "Translation: **Title**" keeps the title's own "**".
      `(\\*\\*|__|\\*|_)?\\s*(?:${alternation(labels)})\\s*(?:\\1)?\\s*[:：]\\s*(?:\\1)?\\s*`,
    'iu',
  );
}

/**
 * A line that only opens the answer: courtesy ("好的！", "Sure."), perhaps with a label
 * ended as a sentence ("好的，这是翻译后的标题。", "Here is the translation.").
 */
function announcementPattern(labels) {
  return new RegExp(`^${COURTESY_PREFIX}(?:(?:${alternation(labels)})\\s*[.。!！]+)?$`, 'iu');
}

/** Splits into lines, with \r\n and lone \r as line ends; drops blank lines. */
function nonBlankLines(text) {
  return text
    .split(/\r\n|\r|\n|\u2028|\u2029/u)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/**
 * A lead-in line: one such as "Here is the translation:" or "Explanation:" (ends with a
 * colon), or an announcement (see announcementPattern).
 */
function isLeadIn(line, announcement) {
  const bare = stripEmphasis(line).trim();
  return /[:：]$/u.test(bare) || announcement.test(bare);
}

/**
 * A list marker at the start of a line: "1. ", "2) ", "1、", "- ", "• ", "# ". No space need
 * follow "、", but a digit may not: "1、2、3木头人" is a title.
 */
function stripListMarker(line) {
  return line.replace(
    /^(?:\d{1,2}[.)]\s+|\d{1,2}、(?!\s*\d)\s*|[-•*·]\s+|#{1,6}\s+|>\s+)/u,
    '',
  );
}

function stripEmphasis(text) {
  let t = text;
  for (;;) {
    const m =
      /^\*\*(.+)\*\*$/su.exec(t) ||
      /^__(.+)__$/su.exec(t) ||
      /^\*([^*].*[^*]|[^*])\*$/su.exec(t) ||
      /^_([^_].*[^_]|[^_])_$/su.exec(t) ||
      /^`([^`]+)`$/su.exec(t);
    if (!m) return t;
    t = m[1].trim();
  }
}

function stripWrappingQuotes(text) {
  const close = QUOTES.get(text[0]);
  if (!close || text.length < 2 || text[text.length - 1] !== close) return text;
  const inner = text.slice(1, -1);
  // '"A" and "B"' is not wrapped: the inner part must not close the quote itself.
  if (inner.includes(close) && close !== "'") return text;
  if (close === "'" && /(^|\s)'|'(\s|$)/u.test(inner)) return text;
  return inner.trim();
}

/** A quoted title followed by an explanation keeps only the quoted part. */
function takeLeadingQuote(text) {
  const close = QUOTES.get(text[0]);
  if (!close) return text;
  const end = text.indexOf(close, 1);
  if (end <= 1 || end === text.length - 1) return text;
  const rest = text.slice(end + 1);
  if (!AFTER_QUOTE.test(rest)) return text;
  return text.slice(1, end).trim();
}

/** Removes one trailing bracketed part when it is a note, a gloss or the original text. */
function stripTrailingNote(text) {
  const last = text[text.length - 1];
  let open = null;
  for (const [o, c] of BRACKETS) if (c === last) open = o;
  if (!open) return text;
  // Find the matching opening bracket, allowing nesting of the same pair.
  let depth = 0;
  let start = -1;
  for (let i = text.length - 1; i >= 0; i--) {
    if (text[i] === last) depth++;
    else if (text[i] === open) {
      depth--;
      if (depth === 0) {
        start = i;
        break;
      }
    }
  }
  if (start <= 0) return text; // the whole text is bracketed, or unbalanced: leave it
  const inside = text.slice(start + 1, -1).trim();
  const before = text.slice(0, start).trim();
  if (!before) return text;
  const isNote =
    open === '【' ||
    NOTE_START.test(inside) ||
    ORIGINAL_SCRIPTS.some((script) => script.test(inside) && !script.test(before));
  return isNote ? before : text;
}

function stripTrailingExplanation(text) {
  let t = text.replace(TRAILING_EXPLANATION, '').trim();
  t = t.replace(CJK_TRAILING_EXPLANATION, '').trim();
  const sentence = EXPLANATION_SENTENCE.exec(t);
  if (sentence) t = sentence[1].trim();
  return t;
}

function collapseWhitespace(text) {
  return text.replace(/[\s\u3000]+/gu, ' ').trim();
}

/** One pass of the single-line rules; the caller repeats until nothing changes. */
function cleanLine(line, labels, steps) {
  const rules = [
    ['prefix', (t) => t.replace(labels, '').trim()],
    ['list-marker', stripListMarker],
    ['emphasis', stripEmphasis],
    ['quotes', stripWrappingQuotes],
    ['quoted-title', takeLeadingQuote],
    ['note', stripTrailingNote],
    ['explanation', stripTrailingExplanation],
    ['whitespace', collapseWhitespace],
  ];
  let t = line;
  for (const [name, rule] of rules) {
    const next = rule(t);
    if (next !== t && next.length > 0) {
      steps.push(name);
      t = next;
    }
  }
  return t;
}

/**
 * Cleans an LLM's answer into a bare title.
 * options.extraLabels: more label prefixes to strip (from the `extra_labels` setting).
 */
export function cleanTitle(raw, options = {}) {
  const steps = [];
  const allLabels = [...DEFAULT_LABELS, ...(options.extraLabels || [])];
  const labels = labelPattern(allLabels);
  const announcement = announcementPattern(allLabels);
  let text = String(raw ?? '');

  // A label alone on its line ("Here is the translation:\nRainy Station") or a label
  // before the title on the same line: strip it from the start of the whole answer first.
  const lines = nonBlankLines(text);
  if (lines.length === 0) return { title: '', steps };

  // The title is the first line that is not a lead-in ("Here is the translation:",
  // "The title translates to:"); everything after it is explanation, notes or a list.
  let title = lines.find((line) => {
    const stripped = line.replace(labels, '').trim();
    return stripped.length > 0 && !isLeadIn(stripped, announcement);
  });
  if (title === undefined) {
    // Only lead-ins: "Translation:" alone is nothing usable; "Re: Zero:" may be a title.
    title = lines[0].replace(labels, '').trim() ? lines[0] : '';
  }
  if (lines.length > 1) steps.push('first-line');

  for (let i = 0; i < 8; i++) {
    const next = cleanLine(title, labels, steps);
    if (next === title) break;
    title = next;
  }
  title = collapseWhitespace(title);
  // Quotes, asterisks or dots alone are not a title.
  if (!LETTER_OR_DIGIT.test(title)) title = '';
  return { title, steps };
}

/** Parses the `extra_labels` setting: labels separated by `|` or newlines. */
export function parseLabels(setting) {
  if (!setting) return [];
  return setting
    .split(/[|\n]/u)
    .map((label) => label.trim())
    .filter(Boolean);
}
