// Every visible string goes through `t(key, vars)`: English and Simplified Chinese,
// chosen from `navigator.languages`, switchable, kept in localStorage. Plurals use
// `key.one` / `key.other` picked by Intl.PluralRules with `vars.count`.

import en from '../i18n/en.js';
import zhCN from '../i18n/zh-CN.js';

export const LANGUAGES = [
  { id: 'en', label: 'English', strings: en },
  { id: 'zh-CN', label: '简体中文', strings: zhCN },
];
const STORAGE_KEY = 'kura.language';

/** The language to use: a stored choice, else the first browser language we have. */
export function pickLanguage(preferred = [], stored = null) {
  if (stored && LANGUAGES.some((l) => l.id === stored)) return stored;
  for (const tag of preferred) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

/** Looks `key` up in `strings` (then `fallback`), with plural forms and `{name}` holes filled. */
export function translate(strings, fallback, lang, key, vars = {}) {
  let text;
  if (vars.count != null) {
    const form = new Intl.PluralRules(lang).select(vars.count);
    text = strings[`${key}.${form}`] ?? strings[`${key}.other`] ?? fallback[`${key}.${form}`] ?? fallback[`${key}.other`];
  }
  text ??= strings[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (hole, name) => (vars[name] == null ? hole : String(vars[name])));
}

let current = 'en';
const listeners = new Set();

function stringsOf(lang) {
  return LANGUAGES.find((l) => l.id === lang)?.strings ?? en;
}

export function t(key, vars) {
  return translate(stringsOf(current), en, current, key, vars);
}

export function getLanguage() {
  return current;
}

/** Whether this browser chose a language itself (else the server's `ui.language` may). */
export function hasStoredLanguage() {
  return Boolean(storage()?.getItem(STORAGE_KEY));
}

function storage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** Chooses the language at start-up and marks the document with it. */
export function initLanguage() {
  const languages = globalThis.navigator?.languages ?? [globalThis.navigator?.language].filter(Boolean);
  current = pickLanguage(languages, storage()?.getItem(STORAGE_KEY));
  if (globalThis.document) document.documentElement.lang = current;
  return current;
}

/** Switches language (kept in localStorage) and tells listeners. */
export function setLanguage(lang) {
  if (!LANGUAGES.some((l) => l.id === lang) || lang === current) return;
  current = lang;
  storage()?.setItem(STORAGE_KEY, lang);
  if (globalThis.document) document.documentElement.lang = lang;
  for (const listener of [...listeners]) listener(lang);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** `t(key)` when the key exists, else `fallback` (for names the server may add to). */
export function tOr(key, fallback, vars) {
  return key in stringsOf(current) || key in en ? t(key, vars) : fallback;
}
