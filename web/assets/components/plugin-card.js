// One plugin: version, kind, origin, weight, switch, health and call statistics,
// outcomes, hosts, previous versions with rollback, and the last failed load.

import { api, seg } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useBusy } from '../lib/hooks.js';
import { formatDateTime, formatNumber } from '../lib/format.js';
import { getLanguage, t } from '../lib/i18n.js';
import { HealthBadge } from './badges.js';
import { confirmDialog } from './confirm.js';
import { toast } from './toast.js';

/** The sources' rule: unused without calls, failing when most calls crashed or timed out. */
export function pluginHealth(stats) {
  const failures = (stats?.timeouts ?? 0) + (stats?.crashes ?? 0) + (stats?.memory_limits ?? 0);
  if (!stats?.calls) return 'unused';
  return failures * 2 > stats.calls ? 'failing' : 'ok';
}

function Outcomes({ outcomes }) {
  const entries = Object.entries(outcomes || {});
  if (!entries.length) return null;
  return html`<span class="outcomes">${entries.map(([k, v]) => html`<span class="chip small" key=${k}>${k}: ${v}</span>`)}</span>`;
}

export function PluginCard({ plugin: p, onChanged }) {
  const [busy, run] = useBusy();
  const lang = getLanguage();
  const s = p.stats || {};
  const act = async (path, message, confirmFirst) => {
    if (confirmFirst && !(await confirmDialog(confirmFirst))) return;
    await run(async () => {
      await api(`/api/plugins/${seg(p.name)}/${path}`, { method: 'POST' });
      toast(message, 'success');
      onChanged();
    });
  };
  const previous = p.previous_versions?.[0];
  const origin = p.origin?.type === 'index' ? `${t('origin.index')}: ${p.origin.index}` : t(`origin.${p.origin?.type ?? 'local'}`);
  return html`<article class=${p.enabled ? 'plugin-card' : 'plugin-card disabled'} data-testid="plugin" data-name=${p.name}>
    <header class="plugin-head">
      <h3>${p.name} <span class="muted">${p.version}</span></h3>
      <span class="chip small">${t(`plugin_kind.${p.kind}`)}</span>
      <${HealthBadge} health=${pluginHealth(s)} />
      ${!p.enabled && html`<span class="badge status-cancelled">${t('plugins.disabled')}</span>`}
      <span class="toolbar-spacer"></span>
      <button type="button" class="button small" disabled=${busy} aria-pressed=${p.enabled ? 'true' : 'false'}
        aria-label=${t(p.enabled ? 'plugins.disable_label' : 'plugins.enable_label', { name: p.name })}
        onClick=${() => act(p.enabled ? 'disable' : 'enable', t(p.enabled ? 'plugins.disabled_toast' : 'plugins.enabled_toast', { name: p.name }))}>
        ${t(p.enabled ? 'plugins.disable' : 'plugins.enable')}
      </button>
      ${previous && html`<button type="button" class="button small" disabled=${busy}
        onClick=${() => act('rollback', t('plugins.rolled_back', { name: p.name, version: previous.version }), {
          title: t('plugins.rollback_title', { name: p.name, version: previous.version }),
          message: t('plugins.rollback_message', { from: p.version, to: previous.version }),
          confirmLabel: t('plugins.rollback'),
        })}>${t('plugins.rollback_to', { version: previous.version })}</button>`}
    </header>
    ${p.description && html`<p class="plugin-description">${p.description}</p>`}
    <dl class="plugin-facts">
      <div><dt>${t('plugins.weight')}</dt><dd>${p.weight}</dd></div>
      <div><dt>${t('plugins.origin')}</dt><dd>${origin}</dd></div>
      <div><dt>${t('plugins.wit')}</dt><dd>${p.wit}</dd></div>
      <div><dt>${t('plugins.calls')}</dt><dd>${formatNumber(s.calls ?? 0, lang)}</dd></div>
      <div><dt>${t('plugins.succeeded')}</dt><dd>${formatNumber(s.succeeded ?? 0, lang)}</dd></div>
      <div><dt>${t('plugins.plugin_errors')}</dt><dd>${formatNumber(s.plugin_errors ?? 0, lang)}</dd></div>
      <div><dt>${t('plugins.timeouts')}</dt><dd>${formatNumber(s.timeouts ?? 0, lang)}</dd></div>
      <div><dt>${t('plugins.crashes')}</dt><dd>${formatNumber((s.crashes ?? 0) + (s.memory_limits ?? 0), lang)}</dd></div>
      <div><dt>${t('plugins.mean')}</dt><dd>${s.mean_ms != null ? `${s.mean_ms.toFixed(1)} ms` : '—'}</dd></div>
      <div class="wide"><dt>${t('plugins.loaded')}</dt><dd>${formatDateTime(p.loaded_at_ms, lang)} (${Math.round(p.load_ms)} ms${p.from_cache ? `, ${t('plugins.cached')}` : ''})</dd></div>
    </dl>
    <${Outcomes} outcomes=${p.outcomes} />
    ${s.last_failure && html`<p class="error-text small">${t('plugins.last_failure')}: ${s.last_failure}
      ${s.last_failure_at && html` <span class="muted">(${formatDateTime(s.last_failure_at, lang)})</span>`}</p>`}
    ${p.last_error && html`<div class="notice error" data-testid="plugin-last-error">
      <strong>${t('plugins.last_error')}</strong> ${p.last_error.version && html`<span class="muted">${p.last_error.version}</span>`}
      <span class="muted"> ${formatDateTime(p.last_error.at_ms, lang)}</span>
      <pre class="error-pre">${p.last_error.error}</pre>
    </div>`}
    <details class="plugin-more">
      <summary>${t('plugins.more')}</summary>
      <dl class="plugin-facts">
        <div><dt>sha256</dt><dd class="mono break">${p.sha256}</dd></div>
        <div><dt>${t('plugins.size')}</dt><dd>${formatNumber(p.size_bytes, lang)} B</dd></div>
        ${p.file && html`<div><dt>${t('plugins.file')}</dt><dd class="mono break">${p.file}</dd></div>`}
        <div><dt>${t('plugins.hosts')}</dt><dd>${p.allowed_hosts?.length ? p.allowed_hosts.join(', ') : '—'}</dd></div>
        ${p.sources?.length > 0 && html`<div><dt>${t('plugins.for_sources')}</dt><dd>${p.sources.join(', ')}</dd></div>`}
        <div><dt>${t('plugins.settings')}</dt><dd>${p.settings?.length ? p.settings.join(', ') : '—'}</dd></div>
      </dl>
      ${p.previous_versions?.length > 0 && html`<p class="subhead">${t('plugins.previous')}</p>
        <ul class="plain-list">${p.previous_versions.map((v) => html`<li key=${v.sha256}>
          ${v.version} <span class="mono muted">${v.sha256.slice(0, 12)}</span> <${Outcomes} outcomes=${v.outcomes} />
        </li>`)}</ul>`}
    </details>
  </article>`;
}
