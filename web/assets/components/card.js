// A library cover card: selection checkbox, lazy thumbnail (or a placeholder), code,
// title, release date and length, and badges for a saved video and the translation.

import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { formatClock, formatDate } from '../lib/format.js';
import { getLanguage, t } from '../lib/i18n.js';
import { buildHash } from '../lib/url.js';
import { TranslationBadge } from './badges.js';

function Cover({ src, code }) {
  const [failed, setFailed] = useState(false);
  if (src && !failed) {
    return html`<img class="cover-image" src=${src} alt="" loading="lazy" decoding="async"
      width="160" height="108" onError=${() => setFailed(true)} />`;
  }
  return html`<div class="cover-placeholder" data-testid="cover-placeholder" aria-hidden="true">
    <span>${code}</span>
  </div>`;
}

export function ResourceCard({ item, selected, onToggle }) {
  const title = item.display_title || item.title_source || '';
  const meta = [
    item.release_date ? formatDate(item.release_date, getLanguage()) : null,
    item.duration_seconds ? formatClock(item.duration_seconds) : null,
  ].filter(Boolean);
  const showTranslation = item.translation_status && item.translation_status !== 'completed';
  return html`<article class=${selected ? 'card selected' : 'card'} data-testid="card" data-code=${item.code}
    data-video=${item.has_video ? 'true' : 'false'} data-translation=${item.translation_status}>
    <label class="card-select">
      <input type="checkbox" checked=${selected} onChange=${(e) => onToggle(item.code, e.currentTarget.checked)}
        aria-label=${t('library.select_one', { code: item.code })} />
    </label>
    <a class="card-link" href=${buildHash(['resource', item.code])}>
      <div class="cover">
        <${Cover} src=${item.thumbnail_url} code=${item.code} />
        <div class="card-badges">
          ${item.has_video && html`<span class="badge video" data-testid="video-badge" title=${t('library.has_video')}>▶ ${t('library.video')}</span>`}
          ${showTranslation && html`<${TranslationBadge} status=${item.translation_status} />`}
        </div>
      </div>
      <div class="card-body">
        <div class="card-code">${item.code}</div>
        <div class="card-title" title=${title}>${title || t('library.untitled')}</div>
        ${meta.length > 0 && html`<div class="card-meta">${meta.join(' · ')}</div>`}
      </div>
    </a>
  </article>`;
}
