// UI preferences (theme, language, default page size): applied at once, kept in
// localStorage for the next load and in `/api/setting` under `ui.`, from where a browser
// that has no choice of its own yet takes them.

import { api } from './api.js';
import { getLanguage, hasStoredLanguage, LANGUAGES, setLanguage } from './i18n.js';
import { createStore } from './store.js';
import { LIBRARY_DEFAULTS, MAX_PAGE_SIZE } from './url.js';
import { toastError } from '../components/toast.js';

export const THEMES = ['system', 'light', 'dark'];
const KEYS = { theme: 'kura.theme', pageSize: 'kura.page_size' };
export const REMOTE_KEYS = { theme: 'ui.theme', language: 'ui.language', pageSize: 'ui.page_size' };

export const prefsStore = createStore({ theme: 'system', pageSize: LIBRARY_DEFAULTS.page_size });

function local() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

function validPageSize(value) {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= MAX_PAGE_SIZE ? n : null;
}

const darkQuery = () => globalThis.matchMedia?.('(prefers-color-scheme: dark)');

/** The theme shown: the choice, or the system's when the choice is "system". */
export function effectiveTheme(theme) {
  if (theme === 'light' || theme === 'dark') return theme;
  return darkQuery()?.matches ? 'dark' : 'light';
}

function applyTheme() {
  document.documentElement.dataset.theme = effectiveTheme(prefsStore.get().theme);
}

export function initPrefs() {
  const store = local();
  const theme = store?.getItem(KEYS.theme);
  const pageSize = validPageSize(store?.getItem(KEYS.pageSize));
  prefsStore.set({
    theme: THEMES.includes(theme) ? theme : 'system',
    pageSize: pageSize ?? LIBRARY_DEFAULTS.page_size,
  });
  applyTheme();
  darkQuery()?.addEventListener?.('change', applyTheme);
}

function saveRemote(values) {
  api('/api/setting', { method: 'PUT', body: values }).catch(toastError);
}

function setLocal(theme, pageSize) {
  prefsStore.set({ theme, pageSize });
  local()?.setItem(KEYS.theme, theme);
  local()?.setItem(KEYS.pageSize, String(pageSize));
  applyTheme();
}

export function setTheme(theme) {
  if (!THEMES.includes(theme)) return;
  setLocal(theme, prefsStore.get().pageSize);
  saveRemote({ [REMOTE_KEYS.theme]: theme });
}

export function setPageSize(value) {
  const pageSize = validPageSize(value);
  if (!pageSize) return;
  setLocal(prefsStore.get().theme, pageSize);
  saveRemote({ [REMOTE_KEYS.pageSize]: pageSize });
}

export function chooseLanguage(lang) {
  setLanguage(lang);
  saveRemote({ [REMOTE_KEYS.language]: lang });
}

/** Takes the `ui.` values stored on the server for what this browser has not chosen itself. */
export function adoptServerPrefs(settings) {
  if (!settings || typeof settings !== 'object') return;
  const store = local();
  const { theme, pageSize } = prefsStore.get();
  const serverTheme = THEMES.includes(settings[REMOTE_KEYS.theme]) ? settings[REMOTE_KEYS.theme] : null;
  const serverSize = validPageSize(settings[REMOTE_KEYS.pageSize]);
  if ((serverTheme && !store?.getItem(KEYS.theme)) || (serverSize && !store?.getItem(KEYS.pageSize))) {
    setLocal(store?.getItem(KEYS.theme) ? theme : serverTheme ?? theme, store?.getItem(KEYS.pageSize) ? pageSize : serverSize ?? pageSize);
  }
  const lang = settings[REMOTE_KEYS.language];
  if (LANGUAGES.some((l) => l.id === lang) && lang !== getLanguage() && !hasStoredLanguage()) setLanguage(lang);
}
