// Maintenance reports: the list (kind, time, summary counts), one report with every
// finding, and buttons that run a check now (optionally applying its repairs).

import { useState } from 'preact/hooks';
import { api, seg } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useApi, useDebounced, useEvents } from '../lib/hooks.js';
import { formatBytes, formatDateTime } from '../lib/format.js';
import { getLanguage, t } from '../lib/i18n.js';
import { navigate } from '../lib/router.js';
import { buildHash } from '../lib/url.js';
import { kindLabel } from '../components/badges.js';
import { toast, toastError } from '../components/toast.js';

const CHECKS = ['check_resources', 'check_videos', 'check_avatars'];

function Summary({ summary }) {
  if (!summary) return null;
  const byKind = Object.entries(summary.by_kind ?? {});
  return html`<span class="summary small">
    <span class="chip small">${t('reports.issues', { n: summary.issues ?? 0 })}</span>
    <span class="chip small">${t('reports.repaired', { n: summary.repaired ?? 0 })}</span>
    ${summary.failed > 0 && html`<span class="chip small error">${t('reports.failed', { n: summary.failed })}</span>`}
    <span class="chip small">${t('reports.remaining', { n: summary.remaining ?? 0 })}</span>
    ${byKind.map(([k, v]) => html`<span class="chip small muted" key=${k}>${k}: ${v}</span>`)}
  </span>`;
}

function RunChecks() {
  const [apply, setApply] = useState(false);
  const run = async (type) => {
    try {
      const answer = await api('/api/tasks', { body: { type, data: { apply } } });
      toast(t('reports.check_queued', { kind: kindLabel(type), id: answer.task.id }), 'success');
    } catch (error) {
      toastError(error);
    }
  };
  return html`<div class="button-row">
    ${CHECKS.map((type) => html`<button type="button" class="button small" onClick=${() => run(type)}>${t('reports.run', { kind: kindLabel(type) })}</button>`)}
    <label class="check"><input type="checkbox" checked=${apply} onChange=${(e) => setApply(e.currentTarget.checked)} /> ${t('reports.apply')}</label>
  </div>`;
}

function ReportList({ kind }) {
  const { data, reload } = useApi(`/api/reports?limit=200${kind ? `&kind=${encodeURIComponent(kind)}` : ''}`);
  const reloadSoon = useDebounced(reload, 800);
  useEvents(['task_completed'], (event) => {
    if (event.type === 'resync' || CHECKS.includes(event.data?.kind) || event.data?.kind === 'db_upgrade') reloadSoon();
  });
  const lang = getLanguage();
  return html`<section class="page reports">
    <h1>${t('reports.title')}</h1>
    <${RunChecks} />
    <div class="filters-row">
      <label class="field"><span class="field-label">${t('reports.kind')}</span>
        <select value=${kind} onChange=${(e) => navigate(buildHash(['reports'], { kind: e.currentTarget.value }))}>
          <option value="">${t('common.any')}</option>
          ${[...CHECKS, 'db_upgrade'].map((k) => html`<option value=${k}>${kindLabel(k)}</option>`)}
        </select></label>
    </div>
    ${data && !data.items.length && html`<p class="empty">${t('reports.empty')}</p>`}
    <ul class="task-list" data-testid="reports">
      ${data?.items.map((r) => html`<li key=${r.name} class="task-item" data-testid="report" data-name=${r.name}>
        <div class="task-head">
          <a href=${buildHash(['reports', r.name])}><strong>${kindLabel(r.kind)}</strong></a>
          <span class="muted small">${formatDateTime(r.started_at_ms ?? r.time, lang)}</span>
          ${r.applied && html`<span class="badge status-completed">${t('reports.applied')}</span>`}
          <span class="muted small">${formatBytes(r.size, lang)}</span>
        </div>
        <${Summary} summary=${r.summary} />
      </li>`)}
    </ul>
  </section>`;
}

function ReportDetail({ name }) {
  const { data: r } = useApi(`/api/reports/${seg(name)}`);
  const [kind, setKind] = useState('');
  const lang = getLanguage();
  if (!r) return html`<section class="page"><a href="#/reports">← ${t('reports.title')}</a></section>`;
  const issues = (r.issues ?? []).filter((i) => !kind || i.kind === kind);
  const columns = [...new Set((r.issues ?? []).flatMap((i) => Object.keys(i)))];
  const kinds = Object.keys(r.summary?.by_kind ?? {});
  return html`<section class="page report" data-testid="report-detail">
    <p><a href="#/reports">← ${t('reports.title')}</a></p>
    <h1>${kindLabel(r.kind)} <span class="muted small">${r.name}</span></h1>
    <p class="small">${formatDateTime(r.started_at_ms ?? r.started_at, lang)}${r.duration_ms != null ? ` · ${r.duration_ms} ms` : ''}
      ${r.applied ? ` · ${t('reports.applied')}` : ` · ${t('reports.not_applied')}`}</p>
    <${Summary} summary=${r.summary} />
    ${r.summary?.checked && html`<dl class="plugin-facts">${Object.entries(r.summary.checked).map(([k, v]) => html`<div key=${k}><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`}
    ${kinds.length > 1 && html`<label class="field inline"><span class="field-label">${t('reports.kind')}</span>
      <select value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
        <option value="">${t('common.any')}</option>${kinds.map((k) => html`<option value=${k}>${k}</option>`)}
      </select></label>`}
    ${issues.length === 0 ? html`<p class="empty">${t('reports.no_issues')}</p>` : html`<div class="table-wrap">
      <table class="table" data-testid="issues">
        <thead><tr>${columns.map((c) => html`<th scope="col" key=${c}>${c}</th>`)}</tr></thead>
        <tbody>${issues.map((issue, i) => html`<tr key=${i}>${columns.map((c) => html`<td key=${c}>${
          c === 'code' && issue.code ? html`<a href=${buildHash(['resource', issue.code])}>${issue.code}</a>`
            : typeof issue[c] === 'object' && issue[c] !== null ? JSON.stringify(issue[c]) : String(issue[c] ?? '')
        }</td>`)}</tr>`)}</tbody>
      </table>
    </div>`}
  </section>`;
}

export function ReportsPage({ name, params }) {
  return name ? html`<${ReportDetail} name=${name} />` : html`<${ReportList} kind=${params.kind || ''} />`;
}
