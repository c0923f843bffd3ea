// One resource: cover, titles with their translation, every metadata field with the
// plugin@version that wrote it, people and tags (linking to the filtered library), the
// video, and the actions. Reloads when an event about this code arrives.

import { useEffect } from 'preact/hooks';
import { seg } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useApi, useEvents } from '../lib/hooks.js';
import { formatBytes, formatClock, formatDate, formatDateTime } from '../lib/format.js';
import { getLanguage, t } from '../lib/i18n.js';
import { rememberNames } from '../lib/state.js';
import { buildHash, libraryHash, LIBRARY_DEFAULTS } from '../lib/url.js';
import { Avatar } from '../components/avatar.js';
import { Provenance, TranslationBadge } from '../components/badges.js';
import { ResourceActions } from '../components/resource-actions.js';
import { VideoPlayer } from '../components/video-player.js';

/** `field_sources` keys shown beside a row of their own. */
const SHOWN = new Set(['title', 'original_title', 'release_date', 'duration_seconds', 'studio', 'label', 'series', 'description', 'people', 'tags']);

function Row({ label, value, source, testid }) {
  if (value == null || value === '') return null;
  return html`<tr data-testid=${testid}>
    <th scope="row">${label}</th>
    <td>${value} <${Provenance} value=${source} /></td>
  </tr>`;
}

// A URL a plugin reported: a link only when it is http(s); anything else (a
// `javascript:` URL from a hostile site) is shown as text.
function link(url) {
  if (!url) return null;
  let web = false;
  try {
    web = ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    web = false;
  }
  return web
    ? html`<a href=${url} target="_blank" rel="noreferrer noopener" class="break">${url}</a>`
    : html`<span class="break">${url}</span>`;
}

function Titles({ r }) {
  const tr = r.translation || {};
  const cleaner = tr.cleaner ? `${tr.cleaner}@${tr.cleaner_version ?? '?'}` : null;
  const how = [tr.profile, tr.model, cleaner].filter(Boolean).join(' / ');
  const lang = getLanguage();
  return html`<table class="facts" data-testid="titles">
    <tbody>
      <${Row} label=${t('resource.title_display')} value=${r.display_title} />
      <${Row} label=${t('resource.title_source')} value=${r.title_source} source=${r.field_sources?.title} />
      <tr data-testid="title-translated">
        <th scope="row">${t('resource.title_translated')}</th>
        <td>${r.title_translated || html`<span class="muted">—</span>`} <${TranslationBadge} status=${r.translation_status} />
          ${how && html`<span class="provenance" title=${t('resource.translated_by')}>${how}</span>`}
          ${tr.translated_at && html`<span class="muted small"> ${formatDateTime(tr.translated_at, lang)}</span>`}
          ${tr.error && html`<div class="error-text">${tr.error}</div>`}
        </td>
      </tr>
      <${Row} label=${t('resource.title_original')} value=${r.title_original || '—'} source=${r.field_sources?.original_title} />
    </tbody>
  </table>`;
}

function Fields({ r }) {
  const lang = getLanguage();
  const fs = r.field_sources || {};
  const extra = Object.entries(fs).filter(([key]) => !SHOWN.has(key));
  const source = r.source_plugin ? `${r.source_plugin}@${r.source_version ?? '?'}` : null;
  return html`<table class="facts" data-testid="fields">
    <tbody>
      <${Row} label=${t('resource.code')} value=${r.code} />
      <${Row} label=${t('resource.release_date')} value=${r.release_date && formatDate(r.release_date, lang)} source=${fs.release_date} />
      <${Row} label=${t('resource.duration')} value=${r.duration_seconds && formatClock(r.duration_seconds)} source=${fs.duration_seconds} />
      <${Row} label=${t('resource.studio')} value=${r.studio} source=${fs.studio} />
      <${Row} label=${t('resource.label')} value=${r.label} source=${fs.label} />
      <${Row} label=${t('resource.series')} value=${r.series} source=${fs.series} />
      <${Row} label=${t('resource.description')} value=${r.description} source=${fs.description} />
      <${Row} label=${t('resource.source')} value=${source} />
      <${Row} label=${t('resource.page_url')} value=${link(r.page_url)} source=${r.source_plugin && source} />
      <${Row} label=${t('resource.stream_url')} value=${r.stream_url && html`<span class="break">${r.stream_url}</span>`} source=${r.source_plugin && source} />
      <${Row} label=${t('resource.cover_source')} value=${link(r.cover_source)} />
      <${Row} label=${t('resource.video_file')} value=${r.video_file && `${r.video_file} (${formatBytes(r.video_size, lang)})`} />
      <${Row} label=${t('resource.video_saved')} value=${r.video_saved_at && formatDateTime(r.video_saved_at, lang)} />
      <${Row} label=${t('resource.added')} value=${formatDateTime(r.created_at, lang)} />
      <${Row} label=${t('resource.updated')} value=${formatDateTime(r.updated_at, lang)} />
      ${extra.map(([key, value]) => html`<${Row} key=${key} label=${key} value=${t('resource.provenance_only')} source=${value} />`)}
    </tbody>
  </table>`;
}

function People({ people, source }) {
  if (!people?.length) return null;
  return html`<section class="resource-section" aria-labelledby="people-title">
    <h2 id="people-title">${t('resource.people')} <${Provenance} value=${source} /></h2>
    <ul class="people-row">
      ${people.map((p) => html`<li key=${p.id}>
        <a class="person-chip" href=${libraryHash({ ...LIBRARY_DEFAULTS, person: String(p.id) })} data-testid="person-link">
          <${Avatar} src=${p.avatar_file ? `/api/actors/${p.id}/avatar` : null} name=${p.name} size="small" />
          <span>${p.name}${p.alias ? html` <span class="muted">(${p.alias})</span>` : ''}</span>
        </a>
      </li>`)}
    </ul>
  </section>`;
}

function Tags({ tags, source }) {
  if (!tags?.length) return null;
  return html`<section class="resource-section" aria-labelledby="tags-title">
    <h2 id="tags-title">${t('resource.tags')} <${Provenance} value=${source} /></h2>
    <ul class="tag-row">
      ${tags.map((tag) => html`<li key=${tag.id}>
        <a class="tag-chip" data-testid="tag-link" href=${libraryHash({ ...LIBRARY_DEFAULTS, tag: String(tag.id) })}>${tag.name}</a>
      </li>`)}
    </ul>
  </section>`;
}

export function ResourcePage({ code }) {
  const { data: r, error, reload } = useApi(`/api/resource/${seg(code)}/metadata`);
  useEffect(() => {
    if (!r) return;
    rememberNames('person', r.people);
    rememberNames('tag', r.tags);
    document.title = `${r.code} · Kura`;
  }, [r]);
  useEvents(['resource_*', 'video_deleted', 'task_completed'], (event) => {
    const about = event.data?.code;
    if (event.type === 'resync' || (about && about.toUpperCase() === code.toUpperCase())) reload();
  });
  if (error && (!r || error.status === 404)) {
    return html`<section class="page">
      <h1>${code}</h1>
      <p class="notice" data-testid="not-in-library">${error.status === 404 ? t('resource.not_found') : error.message}</p>
      ${error.status === 404 && html`<a class="button" href=${buildHash(['add'], { codes: code })}>${t('resource.add_it')}</a>`}
    </section>`;
  }
  if (!r) return html`<section class="page"><span class="spinner" role="status" aria-label=${t('common.loading')}></span></section>`;
  return html`<article class="page resource" data-testid="resource" data-code=${r.code}>
    <div class="resource-head">
      <div class="resource-cover">
        ${r.cover_file
          ? html`<img src=${`/api/resource/${seg(r.code)}/cover?size=large`} alt=${t('resource.cover_of', { code: r.code })} width="400" height="270" />`
          : html`<div class="cover-placeholder large" aria-hidden="true"><span>${r.code}</span></div>`}
      </div>
      <div class="resource-main">
        <p class="resource-code">${r.code}</p>
        <h1 class="resource-title">${r.display_title || r.title_source || r.code}</h1>
        <${ResourceActions} resource=${r} onChanged=${reload} />
        <${VideoPlayer} video=${r.video} resource=${r} />
        <${People} people=${r.people} source=${r.field_sources?.people} />
        <${Tags} tags=${r.tags} source=${r.field_sources?.tags} />
      </div>
    </div>
    <section class="resource-section" aria-labelledby="titles-title">
      <h2 id="titles-title">${t('resource.titles')}</h2>
      <${Titles} r=${r} />
    </section>
    <section class="resource-section" aria-labelledby="fields-title">
      <h2 id="fields-title">${t('resource.details')}</h2>
      <${Fields} r=${r} />
    </section>
  </article>`;
}
