// The library's filter bar: search, downloaded, translation status, person, tag, source,
// sort, order and page size. Every change goes through `onChange(changes)` into the URL.

import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { PAGE_SIZES, SORTS, TRANSLATION_STATUSES } from '../lib/url.js';
import { PersonPicker } from './person-picker.js';
import { SearchBox } from './search-box.js';

function Select({ label, value, options, onChange, testid }) {
  return html`<label class="field">
    <span class="field-label">${label}</span>
    <select value=${value} data-testid=${testid} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, text]) => html`<option value=${v} key=${v}>${text}</option>`)}
    </select>
  </label>`;
}

export function LibraryFilters({ view, onChange, sources, tags }) {
  const any = ['', t('common.any')];
  const sizes = PAGE_SIZES.includes(view.page_size) ? PAGE_SIZES : [...PAGE_SIZES, view.page_size].sort((a, b) => a - b);
  const tagOptions = tags.map((tag) => [String(tag.id), `${tag.name} (${tag.work_count})`]);
  if (view.tag && !tags.some((tag) => String(tag.id) === view.tag)) tagOptions.push([view.tag, `#${view.tag}`]);
  const sourceOptions = sources.map((s) => [s.name, s.name]);
  if (view.source && !sources.some((s) => s.name === view.source)) sourceOptions.push([view.source, view.source]);
  return html`<section class="filters" aria-label=${t('library.filters')}>
    <div class="filters-search">
      <${SearchBox} value=${view.search} label=${t('library.search')} placeholder=${t('library.search_placeholder')}
        onSearch=${(search) => onChange({ search }, { replace: true })} />
    </div>
    <div class="filters-row">
      <${Select} label=${t('library.downloaded')} value=${view.downloaded} testid="filter-downloaded"
        options=${[any, ['true', t('library.downloaded_yes')], ['false', t('library.downloaded_no')]]}
        onChange=${(downloaded) => onChange({ downloaded })} />
      <${Select} label=${t('library.translation')} value=${view.translation_status} testid="filter-translation"
        options=${[any, ...TRANSLATION_STATUSES.map((s) => [s, t(`translation.${s}`)])]}
        onChange=${(translation_status) => onChange({ translation_status })} />
      <${Select} label=${t('library.tag')} value=${view.tag} testid="filter-tag"
        options=${[any, ...tagOptions]} onChange=${(tag) => onChange({ tag })} />
      <${Select} label=${t('library.source')} value=${view.source} testid="filter-source"
        options=${[any, ...sourceOptions]} onChange=${(source) => onChange({ source })} />
      <div class="field">
        <span class="field-label">${t('library.person')}</span>
        <${PersonPicker} value=${view.person} onChange=${(person) => onChange({ person })} />
      </div>
      <${Select} label=${t('library.sort')} value=${view.sort} testid="sort"
        options=${SORTS.map((s) => [s, t(`sort.${s}`)])} onChange=${(sort) => onChange({ sort, order: '' })} />
      <${Select} label=${t('library.order')} value=${view.order} testid="order"
        options=${[['asc', t('order.asc')], ['desc', t('order.desc')]]} onChange=${(order) => onChange({ order })} />
      <${Select} label=${t('library.page_size')} value=${String(view.page_size)} testid="page-size"
        options=${sizes.map((n) => [String(n), String(n)])} onChange=${(page_size) => onChange({ page_size: Number(page_size) })} />
    </div>
  </section>`;
}
