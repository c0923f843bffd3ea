// The URL hash as state: routes (`#/resource/CODE`), query strings, and the library
// view (filters, sort, paging) to and from its query with defaults left out. Pure.

export const SORTS = ['code', 'release_date', 'added_at', 'video_time'];
export const TRANSLATION_STATUSES = ['pending', 'translating', 'completed', 'failed', 'skipped'];
export const PAGE_SIZES = [24, 48, 96, 200];
export const MAX_PAGE_SIZE = 1000;

/** The library view when the URL says nothing. */
export const LIBRARY_DEFAULTS = Object.freeze({
  search: '',
  downloaded: '',
  translation_status: '',
  person: '',
  tag: '',
  source: '',
  sort: 'added_at',
  order: '',
  page: 1,
  page_size: 48,
});

/** Keys in the order they are written to the URL. */
const LIBRARY_KEYS = [
  'search',
  'downloaded',
  'translation_status',
  'person',
  'tag',
  'source',
  'sort',
  'order',
  'page',
  'page_size',
];

/** The server's order for a sort when none is given. */
export function defaultOrder(sort) {
  return sort === 'code' ? 'asc' : 'desc';
}

function positiveInt(text, fallback, max = Number.MAX_SAFE_INTEGER) {
  if (!/^\d+$/.test(String(text ?? ''))) return fallback;
  const n = Number(text);
  return n >= 1 && n <= max ? n : fallback;
}

/** Reads a library view from query parameters (an object of strings); invalid values fall back. */
export function decodeLibrary(params, defaults = LIBRARY_DEFAULTS) {
  const get = (key) => (params[key] == null ? '' : String(params[key]));
  const sort = SORTS.includes(get('sort')) ? get('sort') : defaults.sort;
  const order = ['asc', 'desc'].includes(get('order')) ? get('order') : defaultOrder(sort);
  const ids = (key) => (/^\d+$/.test(get(key)) ? get(key) : '');
  return {
    search: get('search'),
    downloaded: ['true', 'false'].includes(get('downloaded')) ? get('downloaded') : '',
    translation_status: TRANSLATION_STATUSES.includes(get('translation_status'))
      ? get('translation_status')
      : '',
    person: ids('person'),
    tag: ids('tag'),
    source: get('source'),
    sort,
    order,
    page: positiveInt(get('page'), 1),
    page_size: positiveInt(get('page_size'), defaults.page_size, MAX_PAGE_SIZE),
  };
}

/** Writes a library view as a query string (no `?`), leaving out every default. */
export function encodeLibrary(view, defaults = LIBRARY_DEFAULTS) {
  const sort = view.sort || defaults.sort;
  const out = {};
  for (const key of LIBRARY_KEYS) {
    const value = view[key];
    if (value == null || value === '') continue;
    if (key === 'order' && value === defaultOrder(sort)) continue;
    if (key !== 'order' && String(value) === String(defaults[key])) continue;
    out[key] = String(value);
  }
  return encodeQuery(out);
}

/** The `/api/resources` query for a view: by page, or by the cursor of "load more". */
export function libraryApiQuery(view, cursor) {
  const out = {};
  for (const key of ['search', 'downloaded', 'translation_status', 'person', 'tag', 'source']) {
    const value = key === 'search' ? view.search.trim() : view[key];
    if (value) out[key] = value;
  }
  out.sort = view.sort;
  out.order = view.order || defaultOrder(view.sort);
  if (cursor) out.cursor = cursor;
  else out.page = String(view.page);
  out.page_size = String(view.page_size);
  return encodeQuery(out);
}

/** `{a: "1", b: "x y"}` -> `a=1&b=x%20y`; empty values are left out. */
export function encodeQuery(params) {
  return Object.entries(params)
    .filter(([, value]) => value != null && value !== '')
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&');
}

/** `a=1&b=x+y` -> `{a: "1", b: "x y"}`; the first of repeated keys wins. */
export function decodeQuery(text) {
  const out = {};
  for (const part of String(text || '').replace(/^\?/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    if (!(key in out)) out[key] = value;
  }
  return out;
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** `#/resource/DEMO-001?x=1` -> `{path: ["resource", "DEMO-001"], params: {x: "1"}}`. */
export function parseHash(hash) {
  const text = String(hash || '').replace(/^#/, '');
  const q = text.indexOf('?');
  const pathText = q < 0 ? text : text.slice(0, q);
  const path = pathText
    .split('/')
    .filter(Boolean)
    .map((segment) => safeDecode(segment));
  return { path, params: decodeQuery(q < 0 ? '' : text.slice(q + 1)) };
}

/** The inverse of parseHash: `buildHash(["resource", "A B"], {x: 1})` -> `#/resource/A%20B?x=1`. */
export function buildHash(path, params = {}) {
  const segments = (Array.isArray(path) ? path : [path]).filter(Boolean).map(encodeURIComponent);
  const query = typeof params === 'string' ? params : encodeQuery(params);
  return `#/${segments.join('/')}${query ? `?${query}` : ''}`;
}

/** The hash of the library with a view (defaults left out). */
export function libraryHash(view, defaults = LIBRARY_DEFAULTS) {
  return buildHash(['library'], encodeLibrary(view, defaults));
}
