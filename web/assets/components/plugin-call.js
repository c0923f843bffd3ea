// A test call to a plugin (`POST /api/plugins/{name}/call`): its input, the switches
// its kind takes, and the answer (or the error) as it came back.

import { useState } from 'preact/hooks';
import { api, seg } from '../lib/api.js';
import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { JsonBlock } from './json.js';

export function PluginCall({ plugins }) {
  const [name, setName] = useState('');
  const [input, setInput] = useState('');
  const [mode, setMode] = useState('');
  const [pageUrl, setPageUrl] = useState('');
  const [answer, setAnswer] = useState(null);
  const [busy, setBusy] = useState(false);
  const chosen = plugins.find((p) => p.name === name) ?? plugins[0];
  const kind = chosen?.kind;
  const submit = async (event) => {
    event.preventDefault();
    if (!chosen) return;
    setBusy(true);
    const body = { input };
    if (mode === 'search' && kind === 'source') body.search = true;
    if (mode === 'avatar' && kind === 'scraper') body.avatar = true;
    if (pageUrl && (kind === 'scraper' || kind === 'playlist-filter')) body.page_url = pageUrl;
    try {
      setAnswer({ ok: true, value: await api(`/api/plugins/${seg(chosen.name)}/call`, { body }) });
    } catch (error) {
      setAnswer({ ok: false, value: { status: error.status, code: error.code, message: error.message } });
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="call-form" onSubmit=${submit} data-testid="plugin-call">
    <div class="filters-row">
      <label class="field">
        <span class="field-label">${t('plugins.call_plugin')}</span>
        <select value=${chosen?.name ?? ''} onChange=${(e) => { setName(e.currentTarget.value); setMode(''); }}>
          ${plugins.map((p) => html`<option value=${p.name}>${p.name} (${t(`plugin_kind.${p.kind}`)})</option>`)}
        </select>
      </label>
      ${kind === 'source' && html`<label class="check"><input type="checkbox" checked=${mode === 'search'}
        onChange=${(e) => setMode(e.currentTarget.checked ? 'search' : '')} /> ${t('plugins.call_search')}</label>`}
      ${kind === 'scraper' && html`<label class="check"><input type="checkbox" checked=${mode === 'avatar'}
        onChange=${(e) => setMode(e.currentTarget.checked ? 'avatar' : '')} /> ${t('plugins.call_avatar')}</label>`}
    </div>
    <label class="field">
      <span class="field-label">${t('plugins.call_input')}</span>
      <textarea rows="2" value=${input} onInput=${(e) => setInput(e.currentTarget.value)} placeholder=${t('plugins.call_input_hint')}></textarea>
    </label>
    ${(kind === 'scraper' || kind === 'playlist-filter') && html`<label class="field">
      <span class="field-label">${t('plugins.call_page_url')}</span>
      <input type="url" value=${pageUrl} onInput=${(e) => setPageUrl(e.currentTarget.value)} />
    </label>`}
    <button type="submit" class="button primary" disabled=${busy || !chosen}>${busy ? t('common.working') : t('plugins.call_submit')}</button>
    ${answer && html`<div class=${answer.ok ? 'call-answer' : 'call-answer error'} data-testid="call-answer">
      <h4>${answer.ok ? t('plugins.call_answer') : t('plugins.call_error')}</h4>
      <${JsonBlock} value=${answer.value} />
    </div>`}
  </form>`;
}
