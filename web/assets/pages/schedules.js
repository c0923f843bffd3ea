// Cron schedules: when each runs next, when it ran last and how that ended, and
// "run now" (its task submitted with `POST /api/tasks`).

import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useApi, useDebounced, useEvents, useNow } from '../lib/hooks.js';
import { formatDateTime, formatRelative } from '../lib/format.js';
import { getLanguage, t, tOr } from '../lib/i18n.js';
import { buildHash } from '../lib/url.js';
import { kindLabel } from '../components/badges.js';
import { toast, toastError } from '../components/toast.js';

function When({ value, now }) {
  const lang = getLanguage();
  if (!value) return html`<span class="muted">—</span>`;
  return html`<time datetime=${value} title=${value}>${formatDateTime(value, lang)}<br /><span class="muted small">${formatRelative(value, now, lang)}</span></time>`;
}

export function SchedulesPage() {
  const { data, reload } = useApi('/api/schedules');
  const now = useNow(30000);
  const [busy, setBusy] = useState(null);
  const reloadSoon = useDebounced(reload, 500);
  useEvents(['schedule_fired', 'task_completed', 'task_failed', 'task_cancelled'], reloadSoon);
  const runNow = async (schedule) => {
    setBusy(schedule.name);
    try {
      const answer = await api('/api/tasks', { body: { type: schedule.task, data: schedule.data ?? {} } });
      toast(t(answer.deduplicated ? 'schedules.already' : 'schedules.queued', { name: schedule.name, id: answer.task.id }), 'success');
    } catch (error) {
      toastError(error);
    } finally {
      setBusy(null);
    }
  };
  const list = data?.schedules ?? [];
  return html`<section class="page schedules">
    <h1>${t('schedules.title')}</h1>
    ${data && !list.length && html`<p class="empty">${t('schedules.empty')}</p>`}
    <div class="table-wrap">
      <table class="table stack" data-testid="schedules">
        <thead><tr>
          <th scope="col">${t('schedules.name')}</th><th scope="col">${t('schedules.cron')}</th>
          <th scope="col">${t('schedules.next')}</th><th scope="col">${t('schedules.last')}</th>
          <th scope="col">${t('schedules.outcome')}</th><th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
        </tr></thead>
        <tbody>
          ${list.map((s) => html`<tr key=${s.name} data-testid="schedule" data-name=${s.name} class=${s.enabled ? '' : 'disabled'}>
            <th scope="row">${s.name}<div class="muted small">${kindLabel(s.task)} <code>${JSON.stringify(s.data ?? {})}</code></div>
              ${!s.enabled && html`<span class="badge status-cancelled">${t('schedules.disabled')}</span>`}</th>
            <td data-label=${t('schedules.cron')}><code>${s.cron}</code></td>
            <td data-label=${t('schedules.next')}><${When} value=${s.enabled ? s.next_run : null} now=${now} /></td>
            <td data-label=${t('schedules.last')}><${When} value=${s.last_run} now=${now} /></td>
            <td data-label=${t('schedules.outcome')}>${s.last_outcome ? html`<span class=${`badge status-${s.last_outcome}`}>${tOr(`status.${s.last_outcome}`, s.last_outcome)}</span>` : '—'}
              ${s.last_task_id && html` <a class="small" href=${buildHash(['queue'], { kind: s.task })}>#${s.last_task_id}</a>`}</td>
            <td><button type="button" class="button small" disabled=${busy === s.name} onClick=${() => runNow(s)}
              aria-label=${t('schedules.run_label', { name: s.name })}>${t('schedules.run')}</button></td>
          </tr>`)}
        </tbody>
      </table>
    </div>
  </section>`;
}
