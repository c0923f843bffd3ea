// Sources in the order they are asked (by weight) with their health, and a form that
// stores a cookie for one of them (`POST /api/source/cookie`).

import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { HealthBadge } from './badges.js';
import { toast, toastError } from './toast.js';

function CookieForm({ sources }) {
  const [form, setForm] = useState({ source: '', name: '', value: '', url: '' });
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const source = form.source || sources[0]?.name || '';
  const submit = async (event) => {
    event.preventDefault();
    try {
      const body = { source, name: form.name, value: form.value };
      if (form.url) body.url = form.url;
      const answer = await api('/api/source/cookie', { body });
      toast(t('sources.cookie_saved', { name: answer.name, source: answer.source, url: answer.url }), 'success');
      setForm({ ...form, name: '', value: '' });
    } catch (error) {
      toastError(error);
    }
  };
  return html`<details class="cookie-form">
    <summary>${t('sources.cookie')}</summary>
    <form onSubmit=${submit} class="filters-row">
      <label class="field"><span class="field-label">${t('sources.source')}</span>
        <select value=${source} onChange=${set('source')}>${sources.map((s) => html`<option value=${s.name}>${s.name}</option>`)}</select></label>
      <label class="field"><span class="field-label">${t('sources.cookie_name')}</span><input required value=${form.name} onInput=${set('name')} /></label>
      <label class="field"><span class="field-label">${t('sources.cookie_value')}</span><input required type="password" autocomplete="off" value=${form.value} onInput=${set('value')} /></label>
      <label class="field"><span class="field-label">${t('sources.cookie_url')}</span><input type="url" value=${form.url} onInput=${set('url')} placeholder=${t('sources.cookie_url_hint')} /></label>
      <button type="submit" class="button primary">${t('sources.cookie_save')}</button>
    </form>
  </details>`;
}

export function SourcesPanel({ sources }) {
  return html`<section class="panel" aria-labelledby="sources-title">
    <h2 id="sources-title">${t('sources.title')}</h2>
    <ol class="plain-list sources">
      ${sources.map((s) => html`<li key=${s.name} data-testid="source" data-name=${s.name}>
        <strong>${s.name}</strong> <span class="muted">${s.version}</span>
        <span class="chip small">${t('plugins.weight')} ${s.weight}</span>
        <${HealthBadge} health=${s.health} />
        ${!s.enabled && html`<span class="badge status-cancelled">${t('plugins.disabled')}</span>`}
        <span class="muted small">${t('sources.calls', { calls: s.calls, failures: s.failures })}</span>
        ${s.last_failure && html`<div class="muted small">${t('plugins.last_failure')}: ${s.last_failure}</div>`}
      </li>`)}
    </ol>
    ${sources.length > 0 && html`<${CookieForm} sources=${sources} />`}
  </section>`;
}
