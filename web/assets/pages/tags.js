// Tags with their work counts: search, sort, paging in the URL; each opens the library
// filtered by that tag.

import { useEffect } from 'preact/hooks';
import { html } from '../lib/html.js';
import { useApi } from '../lib/hooks.js';
import { formatNumber } from '../lib/format.js';
import { getLanguage, t } from '../lib/i18n.js';
import { navigate } from '../lib/router.js';
import { rememberNames } from '../lib/state.js';
import { buildHash, encodeQuery, libraryHash, LIBRARY_DEFAULTS } from '../lib/url.js';
import { Pager } from '../components/pager.js';
import { SearchBox } from '../components/search-box.js';
import { compactList, ListControls, readListParams } from '../components/list-controls.js';

const PAGE_SIZE = 100;

export function TagsPage({ params }) {
  const view = readListParams(params);
  const { data, loading } = useApi(`/api/genres?${encodeQuery({ ...view, page_size: PAGE_SIZE })}`);
  useEffect(() => {
    if (data) rememberNames('tag', data.items);
  }, [data]);
  const go = (changes, options) => navigate(buildHash(['tags'], compactList({ ...view, page: 1, ...changes })), options);
  const lang = getLanguage();
  return html`<section class="page tags" aria-busy=${loading ? 'true' : 'false'}>
    <h1>${t('tags.title')}</h1>
    <div class="filters">
      <div class="filters-search">
        <${SearchBox} value=${view.search} label=${t('tags.search')} onSearch=${(search) => go({ search }, { replace: true })} />
      </div>
      <div class="filters-row"><${ListControls} view=${view} onChange=${go} /></div>
    </div>
    ${data && html`<p class="total">${t('tags.total', { count: data.total, n: formatNumber(data.total, lang) })}</p>`}
    ${data && !data.items.length && html`<p class="empty">${t('tags.empty')}</p>`}
    <ul class="tag-cloud">
      ${data?.items.map((tag) => html`<li key=${tag.id}>
        <a class="tag-chip large" href=${libraryHash({ ...LIBRARY_DEFAULTS, tag: String(tag.id) })} data-testid="tag" data-id=${tag.id}>
          <span>${tag.name}</span> <span class="count">${formatNumber(tag.work_count, lang)}</span>
        </a>
      </li>`)}
    </ul>
    ${data && html`<${Pager} page=${view.page} pageSize=${PAGE_SIZE} total=${data.total} href=${(page) => buildHash(['tags'], compactList({ ...view, page }))} />`}
  </section>`;
}
