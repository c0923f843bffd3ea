// The followed plugin indexes (`GET /api/index`): their state, updates available,
// releases waiting for approval (new hosts or author keys) with an approve button,
// install/update, pin, and each plugin's update history.

import { useState } from 'preact/hooks';
import { api, seg } from '../lib/api.js';
import { html } from '../lib/html.js';
import { formatDateTime } from '../lib/format.js';
import { getLanguage, t, tOr } from '../lib/i18n.js';
import { confirmDialog } from './confirm.js';
import { toast, toastError } from './toast.js';

async function perform(work, onChanged) {
  try {
    await work();
    onChanged();
  } catch (error) {
    toastError(error);
  }
}

function installed(result, name) {
  if (result.outcome === 'approval_required') toast(t('index.needs_approval', { name, version: result.pending.version }), 'info');
  else if (result.outcome === 'installing') toast(t('index.installing', { name }), 'info');
  else toast(t('index.installed', { name, version: result.version }), 'success');
}

function Pending({ index, plugin, onChanged }) {
  const p = plugin.pending;
  const approve = () =>
    perform(async () => {
      const ok = await confirmDialog({
        title: t('index.approve_title', { name: plugin.name, version: p.version }),
        message: [
          p.hosts_added.length ? t('index.hosts_added', { hosts: p.hosts_added.join(', ') }) : '',
          p.author_keys_new.join(',') !== p.author_keys_old.join(',') ? t('index.keys_changed', { keys: p.author_keys_new.join(', ') }) : '',
        ].filter(Boolean).join(' '),
        confirmLabel: t('index.approve'),
      });
      if (!ok) return;
      const body = { index, version: p.version, hosts_added: p.hosts_added, author_keys: p.author_keys_new };
      installed(await api(`/api/plugins/${seg(plugin.name)}/approve`, { body }), plugin.name);
    }, onChanged);
  return html`<div class="notice approval" data-testid="approval" data-name=${plugin.name}>
    <strong>${t('index.pending', { name: plugin.name, version: p.version })}</strong>
    <ul class="plain-list small">
      ${p.hosts_added.length > 0 && html`<li>${t('index.hosts_added', { hosts: p.hosts_added.join(', ') })}</li>`}
      ${p.hosts_removed.length > 0 && html`<li>${t('index.hosts_removed', { hosts: p.hosts_removed.join(', ') })}</li>`}
      <li>${t('index.keys', { old: p.author_keys_old.join(', ') || '—', new: p.author_keys_new.join(', ') || '—' })}</li>
      ${p.notes && html`<li>${t('index.notes')}: ${p.notes}</li>`}
    </ul>
    <button type="button" class="button primary small" onClick=${approve}>${t('index.approve')}</button>
  </div>`;
}

function History({ name }) {
  const [lines, setLines] = useState(null);
  const lang = getLanguage();
  const load = async (event) => {
    if (!event.currentTarget.open || lines) return;
    try {
      setLines((await api(`/api/plugins/${seg(name)}/history`)).lines);
    } catch (error) {
      toastError(error);
    }
  };
  return html`<details class="history" onToggle=${load}>
    <summary>${t('index.history')}</summary>
    ${lines && (lines.length
      ? html`<ol class="plain-list small">${lines.map((l, i) => html`<li key=${i}>
          <span class="muted">${formatDateTime(l.at_ms, lang)}</span> ${tOr(`index.event.${l.event}`, l.event)} ${l.version ?? ''} ${l.detail && html`<span class="muted">— ${l.detail}</span>`}
        </li>`)}</ol>`
      : html`<p class="muted small">${t('index.no_history')}</p>`)}
  </details>`;
}

function PluginRow({ index, plugin, onChanged }) {
  const install = () => perform(async () => installed(await api('/api/plugins/install', { body: { index, name: plugin.name, version: plugin.available } }), plugin.name), onChanged);
  const pin = (on) => perform(async () => {
    await api(`/api/plugins/${seg(plugin.name)}/pin`, { method: on ? 'POST' : 'DELETE' });
    toast(t(on ? 'index.pinned_toast' : 'index.unpinned_toast', { name: plugin.name }), 'success');
  }, onChanged);
  const canInstall = plugin.available && ['update_available', 'not_installed'].includes(plugin.status);
  return html`<li class="index-plugin" data-testid="index-plugin" data-name=${plugin.name} data-status=${plugin.status}>
    <div class="task-head">
      <strong>${plugin.name}</strong>
      <span class="chip small">${tOr(`plugin_kind.${plugin.kind}`, plugin.kind)}</span>
      <span class=${`badge index-${plugin.status}`}>${tOr(`index.status.${plugin.status}`, plugin.status)}</span>
      <span class="muted small">${t('index.versions', { installed: plugin.installed ?? '—', available: plugin.available ?? '—', newest: plugin.newest ?? '—' })}</span>
      <span class="toolbar-spacer"></span>
      ${canInstall && html`<button type="button" class="button small primary" onClick=${install}>
        ${t(plugin.installed ? 'index.update_to' : 'index.install', { version: plugin.available })}</button>`}
      ${plugin.installed && html`<button type="button" class="button small" aria-pressed=${plugin.pinned ? 'true' : 'false'}
        onClick=${() => pin(!plugin.pinned)}>${t(plugin.pinned ? 'index.unpin' : 'index.pin')}</button>`}
    </div>
    ${plugin.pending && html`<${Pending} index=${index} plugin=${plugin} onChanged=${onChanged} />`}
    ${plugin.last_failure && html`<p class="error-text small">${t('index.last_failure', { version: plugin.last_failure.version })}: ${plugin.last_failure.message} (${plugin.last_failure.code})</p>`}
    ${plugin.bad_versions.length > 0 && html`<p class="muted small">${t('index.bad_versions')}: ${plugin.bad_versions.map((b) => `${b.version} (${b.reason})`).join('; ')}</p>`}
    ${plugin.yanked.length > 0 && html`<p class="muted small">${t('index.yanked')}: ${plugin.yanked.map((y) => `${y.version} ${y.severity}${y.reason ? ` (${y.reason})` : ''}`).join('; ')}</p>`}
    <${History} name=${plugin.name} />
  </li>`;
}

export function PluginIndexes({ indexes, onChanged }) {
  const lang = getLanguage();
  const [busy, setBusy] = useState(false);
  const pollNow = async () => {
    setBusy(true);
    await perform(async () => {
      await api('/api/index/refresh', { method: 'POST' });
      toast(t('index.polled'), 'success');
    }, onChanged);
    setBusy(false);
  };
  return html`<section class="panel" aria-labelledby="index-title" data-testid="plugin-indexes">
    <div class="toolbar">
      <h2 id="index-title">${t('index.title')}</h2>
      <span class="toolbar-spacer"></span>
      <button type="button" class="button small" disabled=${busy} onClick=${pollNow}>${t('index.poll')}</button>
    </div>
    ${indexes.map((ix) => {
      const updates = ix.plugins.filter((p) => p.status === 'update_available');
      const waiting = ix.plugins.filter((p) => p.pending);
      return html`<article class="index" key=${ix.name}>
        <h3>${ix.name} <span class="muted small break">${ix.url}</span></h3>
        <p class="small">
          ${ix.updates_paused && html`<span class="badge status-failed">${t('index.paused')}</span> `}
          ${[
            t('index.state', { root: ix.root_version ?? '—', version: ix.index_version ?? '—', expires: ix.expires ? formatDateTime(ix.expires, lang) : '—' }),
            t(ix.auto_update ? 'index.auto_on' : 'index.auto_off'),
            t('index.last_ok', { at: ix.poll.last_ok_at_ms ? formatDateTime(ix.poll.last_ok_at_ms, lang) : '—' }),
          ].join(' · ')}
        </p>
        ${ix.poll.last_error && html`<p class="error-text small">${ix.poll.last_error.message} (${ix.poll.last_error.code}, ${formatDateTime(ix.poll.last_error.at_ms, lang)})</p>`}
        <p class="small"><strong>${t('index.updates', { count: updates.length })}</strong>${updates.length ? `: ${updates.map((p) => `${p.name} ${p.installed} → ${p.available}`).join(', ')}` : ''}</p>
        <p class="small"><strong>${t('index.waiting', { count: waiting.length })}</strong></p>
        <ul class="task-list">${ix.plugins.map((p) => html`<${PluginRow} key=${p.name} index=${ix.name} plugin=${p} onChanged=${onChanged} />`)}</ul>
      </article>`;
    })}
  </section>`;
}
