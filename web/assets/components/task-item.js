// One task in a list: kind, code, status, priority, attempts, times, error, live
// progress when it runs (a full bar once it completed), its payload and result folded, and cancel / retry / remove.

import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useBusy } from '../lib/hooks.js';
import { formatDateTime, formatElapsed, formatRelative } from '../lib/format.js';
import { getLanguage, t } from '../lib/i18n.js';
import { buildHash } from '../lib/url.js';
import { kindLabel, StatusBadge } from './badges.js';
import { JsonBlock } from './json.js';
import { completedProgress } from '../lib/tasks.js';
import { TaskProgress } from './progress.js';
import { toast } from './toast.js';

export async function cancelTask(task) {
  const answer = await api(`/api/tasks/${task.id}`, { method: 'DELETE', full: true });
  toast(t(answer.status === 204 ? 'queue.removed' : 'queue.cancelled', { id: task.id }), 'success');
}

export async function retryTask(task) {
  const answer = await api('/api/tasks', { body: { type: task.kind, priority: task.priority, data: task.payload ?? {} } });
  toast(t(answer.deduplicated ? 'queue.retry_dedup' : 'queue.retried', { id: answer.task.id }), 'success');
}

export function TaskItem({ task, now, onChanged }) {
  const [busy, run] = useBusy();
  const lang = getLanguage();
  const active = task.status === 'running' || task.status === 'pending';
  const act = (work) => () =>
    run(async () => {
      await work(task);
      onChanged?.();
    });
  const retryAt = task.status === 'pending' && task.run_after > now ? task.run_after : task.retry_at;
  return html`<li class=${`task-item task-${task.status}`} data-testid="task" data-task-id=${task.id} data-status=${task.status}>
    <div class="task-head">
      <span class="task-kind">${kindLabel(task.kind)}</span>
      <span class="muted">#${task.id}</span>
      ${task.code && html`<a href=${buildHash(['resource', task.code])}>${task.code}</a>`}
      <${StatusBadge} status=${task.status} />
      <span class="muted small">${t(`priority.${['', 'low', 'normal', 'high', 'urgent'][task.priority] || 'normal'}`)}</span>
      ${task.max_attempts > 1 && task.attempts > 0 && html`<span class="muted small">${t('queue.attempts', { n: task.attempts, max: task.max_attempts })}</span>`}
      <span class="toolbar-spacer"></span>
      ${active && html`<button type="button" class="button small" disabled=${busy} onClick=${act(cancelTask)}
        aria-label=${t('queue.cancel_label', { id: task.id })}>${t('queue.cancel')}</button>`}
      ${(task.status === 'failed' || task.status === 'cancelled') && task.kind && html`<button type="button" class="button small"
        disabled=${busy} onClick=${act(retryTask)} aria-label=${t('queue.retry_label', { id: task.id })}>${t('queue.retry')}</button>`}
      ${!active && task.status && html`<button type="button" class="button small ghost" disabled=${busy} onClick=${act(cancelTask)}
        aria-label=${t('queue.remove_label', { id: task.id })}>${t('queue.remove')}</button>`}
    </div>
    ${task.status === 'running' && html`<${TaskProgress} task=${task} />`}
    ${task.status === 'completed' && task.progress && html`<${TaskProgress} task=${{ ...task, progress: completedProgress(task.progress) }} />`}
    <div class="task-times muted small">
      ${task.created_at && html`<span>${t('queue.created', { at: formatDateTime(task.created_at, lang) })}</span>`}
      ${task.started_at && task.finished_at && html`<span>${t('queue.took', { time: formatElapsed(task.started_at, task.finished_at) })}</span>`}
      ${retryAt && html`<span>${t('queue.retry_at', { when: formatRelative(retryAt, now, lang) })}</span>`}
    </div>
    ${task.error && html`<p class="error-text">${task.error}${task.error_code ? ` (${task.error_code})` : ''}</p>`}
    ${(task.payload || task.result) && html`<details class="task-details">
      <summary>${t('queue.details')}</summary>
      ${task.payload && html`<h4>${t('queue.payload')}</h4><${JsonBlock} value=${task.payload} />`}
      ${task.result && html`<h4>${t('queue.result')}</h4><${JsonBlock} value=${task.result} />`}
    </details>`}
  </li>`;
}
