// Sort and order for the people and tag lists, and reading their URL parameters.

import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';

/** `{search, sort, order, page}` (and `extra` choices) from the hash's parameters. */
export function readListParams(params, extra = {}) {
  const sort = ['name', 'work_count'].includes(params.sort) ? params.sort : 'work_count';
  const order = ['asc', 'desc'].includes(params.order) ? params.order : sort === 'name' ? 'asc' : 'desc';
  const page = /^\d+$/.test(params.page || '') && Number(params.page) > 0 ? Number(params.page) : 1;
  const view = { search: params.search || '', sort, order, page };
  for (const [key, allowed] of Object.entries(extra)) view[key] = allowed.includes(params[key]) ? params[key] : '';
  return view;
}

export function ListControls({ view, onChange }) {
  return html`
    <label class="field">
      <span class="field-label">${t('library.sort')}</span>
      <select value=${view.sort} onChange=${(e) => {
        const sort = e.currentTarget.value;
        onChange({ sort, order: sort === 'name' ? 'asc' : 'desc' });
      }}>
        <option value="work_count">${t('sort.work_count')}</option>
        <option value="name">${t('sort.name')}</option>
      </select>
    </label>
    <label class="field">
      <span class="field-label">${t('library.order')}</span>
      <select value=${view.order} onChange=${(e) => onChange({ order: e.currentTarget.value })}>
        <option value="asc">${t('order.asc')}</option>
        <option value="desc">${t('order.desc')}</option>
      </select>
    </label>`;
}

/** The view without its defaults, for short URLs. */
export function compactList(view) {
  const out = { ...view };
  if (out.sort === 'work_count') delete out.sort;
  if (out.order === ((view.sort === 'name') ? 'asc' : 'desc')) delete out.order;
  if (out.page === 1) delete out.page;
  return out;
}
