// Page links: previous, a window of numbered pages, next. Each is a real link (`href(page)`),
// so pages open in new tabs and the back button works. An estimated total hides the last page.

import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';

function pageWindow(page, last) {
  const pages = new Set([1, page - 2, page - 1, page, page + 1, page + 2]);
  if (last) pages.add(last);
  return [...pages].filter((p) => p >= 1 && (!last || p <= last)).sort((a, b) => a - b);
}

export function Pager({ page, pageSize, total, exact = true, hasNext, href }) {
  const last = exact ? Math.max(1, Math.ceil(total / pageSize)) : null;
  const next = hasNext ?? (last ? page < last : true);
  if (page === 1 && !next) return null;
  const pages = pageWindow(page, last);
  const items = [];
  pages.forEach((p, i) => {
    if (i > 0 && p - pages[i - 1] > 1) items.push(html`<li class="pager-gap" aria-hidden="true">…</li>`);
    items.push(html`<li>
      <a class=${p === page ? 'pager-link current' : 'pager-link'} href=${href(p)}
        aria-current=${p === page ? 'page' : undefined} aria-label=${t('pager.page', { page: p })}>${p}</a>
    </li>`);
  });
  return html`<nav class="pager" aria-label=${t('pager.label')}>
    <ul>
      <li>${page > 1
        ? html`<a class="pager-link" href=${href(page - 1)} rel="prev">${t('pager.previous')}</a>`
        : html`<span class="pager-link disabled" aria-disabled="true">${t('pager.previous')}</span>`}</li>
      ${items}
      <li>${next
        ? html`<a class="pager-link" href=${href(page + 1)} rel="next">${t('pager.next')}</a>`
        : html`<span class="pager-link disabled" aria-disabled="true">${t('pager.next')}</span>`}</li>
    </ul>
  </nav>`;
}
