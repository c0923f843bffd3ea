// The library: a grid of covers with search, filters, sort and paging, all kept in the
// URL hash; "load more" by cursor; selection for batch actions; reloads itself when
// resources change. The last view is kept so the back button returns to it as it was.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useApi, useDebounced, useEvents } from '../lib/hooks.js';
import { getLanguage, t } from '../lib/i18n.js';
import { formatNumber } from '../lib/format.js';
import { prefsStore } from '../lib/prefs.js';
import { navigate } from '../lib/router.js';
import { rememberNames } from '../lib/state.js';
import { useStore } from '../lib/store.js';
import { decodeLibrary, LIBRARY_DEFAULTS, libraryApiQuery, libraryHash } from '../lib/url.js';
import { BatchBar } from '../components/batch-bar.js';
import { ResourceCard } from '../components/card.js';
import { LibraryFilters } from '../components/library-filters.js';
import { Pager } from '../components/pager.js';
import { toastError } from '../components/toast.js';

/** The view last shown: its query, what was loaded (pages from "load more" too) and scroll. */
let kept = null;

function Total({ list }) {
  if (!list) return null;
  const count = formatNumber(list.total, getLanguage());
  const [text, hint] = list.total_exact
    ? [t('library.total', { count: list.total, n: count }), '']
    : list.total_at_least
      ? [t('library.total_at_least', { n: count }), t('library.total_at_least_hint')]
      : [t('library.total_estimated', { n: count }), t('library.total_estimated_hint')];
  return html`<span class="total" data-testid="total" data-exact=${String(list.total_exact)}
    title=${hint}>${text}</span>`;
}

export function LibraryPage({ params }) {
  const prefs = useStore(prefsStore);
  const defaults = { ...LIBRARY_DEFAULTS, page_size: prefs.pageSize };
  const view = decodeLibrary(params, defaults);
  const query = libraryApiQuery(view);
  const restored = kept?.query === query && kept.list ? kept : null;
  const [list, setList] = useState(restored?.list ?? null);
  const [loading, setLoading] = useState(!restored);
  const [more, setMore] = useState(false);
  const [stale, setStale] = useState(false);
  const [selected, setSelected] = useState(() => new Set());
  const [round, setRound] = useState(0);
  const scrollBack = useRef(restored?.scrollY ?? null);
  const sources = useApi('/api/source/list');
  const tags = useApi('/api/genres?sort=name&page_size=1000');

  useEffect(() => {
    if (tags.data) rememberNames('tag', tags.data.items);
  }, [tags.data]);

  useEffect(() => {
    // A kept view with pages from "load more" shows as it was; a plain one is refreshed.
    if (restored && round === 0 && restored.list.items.length > view.page_size) return undefined;
    const controller = new AbortController();
    setLoading(true);
    api(`/api/resources?${query}`, { signal: controller.signal })
      .then((page) => {
        setList(page);
        setStale(false);
        setLoading(false);
      })
      .catch((error) => {
        if (error.name === 'AbortError') return;
        setLoading(false);
        toastError(error);
      });
    return () => controller.abort();
  }, [query, round]);

  useEffect(() => {
    kept = { query, list, scrollY: kept?.query === query ? kept.scrollY : 0 };
  }, [query, list]);

  useEffect(() => {
    if (scrollBack.current != null && list) {
      if (scrollBack.current) window.scrollTo(0, scrollBack.current);
      scrollBack.current = null;
    }
  }, [query, list != null]);
  // Where the view is scrolled to, while the URL is still this view's (the next page scrolls
  // to its top once the URL has changed, and that must not count).
  useEffect(() => {
    const hash = location.hash;
    const save = () => {
      if (location.hash === hash && kept?.query === query) kept.scrollY = window.scrollY;
    };
    addEventListener('scroll', save, { passive: true });
    return () => removeEventListener('scroll', save);
  }, [query]);

  const reloadSoon = useDebounced(() => {
    if (list && list.items.length > view.page_size) setStale(true);
    else setRound((n) => n + 1);
  }, 800);
  useEvents(['resource_*', 'video_deleted'], reloadSoon);

  const go = (changes, options) => navigate(libraryHash({ ...view, page: 1, ...changes }, defaults), options);

  const loadMore = async () => {
    if (!list?.next_cursor) return;
    setMore(true);
    try {
      const page = await api(`/api/resources?${libraryApiQuery(view, list.next_cursor)}`);
      setList({ ...list, items: [...list.items, ...page.items], next_cursor: page.next_cursor, total: page.total, total_exact: page.total_exact, total_at_least: page.total_at_least });
    } catch (error) {
      toastError(error);
    } finally {
      setMore(false);
    }
  };

  const items = list?.items ?? [];
  const codes = useMemo(() => [...selected], [selected]);
  const toggle = (code, on) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(code);
      else next.delete(code);
      return next;
    });
  const allOnPage = items.length > 0 && items.every((item) => selected.has(item.code));

  return html`<section class="page library" aria-busy=${loading ? 'true' : 'false'}>
    <h1 class="visually-hidden">${t('nav.library')}</h1>
    <${LibraryFilters} view=${view} onChange=${go} sources=${sources.data ?? []} tags=${tags.data?.items ?? []} />
    <div class="toolbar">
      <${Total} list=${list} />
      ${loading && html`<span class="spinner" role="status" aria-label=${t('common.loading')}></span>`}
      <span class="toolbar-spacer"></span>
      <button type="button" class="button small" disabled=${!items.length || allOnPage}
        onClick=${() => setSelected(new Set([...selected, ...items.map((i) => i.code)]))}>${t('library.select_all')}</button>
      <button type="button" class="button small" disabled=${!selected.size}
        onClick=${() => setSelected(new Set())}>${t('library.select_none')}</button>
    </div>
    ${stale && html`<div class="notice">${t('library.changed')}
      <button type="button" class="button small" onClick=${() => setRound((n) => n + 1)}>${t('common.reload')}</button></div>`}
    <${BatchBar} codes=${codes} onClear=${() => setSelected(new Set())} />
    ${list && !items.length && !loading && html`<p class="empty" data-testid="empty">${t('library.empty')}</p>`}
    <div class="grid" data-testid="grid">
      ${items.map((item) => html`<${ResourceCard} key=${item.code} item=${item} selected=${selected.has(item.code)} onToggle=${toggle} />`)}
    </div>
    <div class="list-footer">
      ${list?.next_cursor && html`<button type="button" class="button" data-testid="load-more" disabled=${more}
        onClick=${loadMore}>${more ? t('common.loading') : t('library.load_more')}</button>`}
      ${list && items.length <= view.page_size && html`<${Pager} page=${view.page} pageSize=${view.page_size}
        total=${list.total} exact=${list.total_exact} hasNext=${Boolean(list.next_cursor)}
        href=${(page) => libraryHash({ ...view, page }, defaults)} />`}
    </div>
  </section>`;
}
