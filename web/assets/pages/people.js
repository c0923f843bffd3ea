// People with their avatars and work counts: search, sort, "with avatar only", paging,
// all in the URL; each opens the library filtered by that person.

import { useEffect } from 'preact/hooks';
import { html } from '../lib/html.js';
import { useApi } from '../lib/hooks.js';
import { formatNumber } from '../lib/format.js';
import { getLanguage, t } from '../lib/i18n.js';
import { navigate } from '../lib/router.js';
import { rememberNames } from '../lib/state.js';
import { buildHash, encodeQuery, libraryHash, LIBRARY_DEFAULTS } from '../lib/url.js';
import { Avatar } from '../components/avatar.js';
import { Pager } from '../components/pager.js';
import { SearchBox } from '../components/search-box.js';
import { compactList, ListControls, readListParams } from '../components/list-controls.js';

const PAGE_SIZE = 60;

export function PeoplePage({ params }) {
  const view = readListParams(params, { has_avatar: ['', 'true', 'false'] });
  const query = encodeQuery({ ...view, page_size: PAGE_SIZE });
  const { data, loading } = useApi(`/api/actors?${query}`);
  useEffect(() => {
    if (data) rememberNames('person', data.items);
  }, [data]);
  const go = (changes, options) => navigate(buildHash(['people'], compactList({ ...view, page: 1, ...changes })), options);
  const lang = getLanguage();
  return html`<section class="page people" aria-busy=${loading ? 'true' : 'false'}>
    <h1>${t('people.title')}</h1>
    <div class="filters">
      <div class="filters-search">
        <${SearchBox} value=${view.search} label=${t('people.search')} onSearch=${(search) => go({ search }, { replace: true })} />
      </div>
      <div class="filters-row">
        <${ListControls} view=${view} onChange=${go} />
        <label class="field">
          <span class="field-label">${t('people.avatar')}</span>
          <select value=${view.has_avatar} onChange=${(e) => go({ has_avatar: e.currentTarget.value })}>
            <option value="">${t('common.any')}</option>
            <option value="true">${t('people.with_avatar')}</option>
            <option value="false">${t('people.without_avatar')}</option>
          </select>
        </label>
      </div>
    </div>
    ${data && html`<p class="total">${t('people.total', { count: data.total, n: formatNumber(data.total, lang) })}</p>`}
    ${data && !data.items.length && html`<p class="empty">${t('people.empty')}</p>`}
    <ul class="person-grid">
      ${data?.items.map((p) => html`<li key=${p.id}>
        <a class="person-card" href=${libraryHash({ ...LIBRARY_DEFAULTS, person: String(p.id) })} data-testid="person" data-id=${p.id}>
          <${Avatar} src=${p.avatar_path} name=${p.name} size="large" />
          <span class="person-name">${p.name}</span>
          ${p.alias && html`<span class="muted small">${p.alias}</span>`}
          <span class="muted small">${t('people.works', { count: p.work_count, n: formatNumber(p.work_count, lang) })}</span>
        </a>
      </li>`)}
    </ul>
    ${data && html`<${Pager} page=${view.page} pageSize=${PAGE_SIZE} total=${data.total} href=${(page) => buildHash(['people'], compactList({ ...view, page }))} />`}
  </section>`;
}
