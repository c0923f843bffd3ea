// Progress bars: a plain bar (role=progressbar with aria-valuenow; indeterminate when
// the value is unknown) and a task's progress with percent, speed, ETA and segments.

import { html } from '../lib/html.js';
import { getLanguage, t } from '../lib/i18n.js';
import { formatBytes, formatEta, formatPercent, formatSpeed } from '../lib/format.js';
import { progressInfo } from '../lib/tasks.js';

export function ProgressBar({ value, label }) {
  const known = typeof value === 'number' && Number.isFinite(value);
  const width = known ? Math.min(100, Math.max(0, value)) : 0;
  return html`<div class=${known ? 'progress' : 'progress indeterminate'} role="progressbar"
      aria-label=${label} aria-valuemin="0" aria-valuemax="100"
      aria-valuenow=${known ? Math.round(width) : undefined}>
    <div class="progress-fill" style=${{ width: known ? `${width}%` : '' }}></div>
  </div>`;
}

/** A running task's bar and figures; nothing for a task without progress. */
export function TaskProgress({ task, label }) {
  const info = progressInfo(task.progress);
  const lang = getLanguage();
  const parts = [];
  if (info?.percent != null) parts.push(formatPercent(info.percent, lang));
  if (info?.done != null && info?.total != null) {
    parts.push(t(info.segments ? 'progress.segments' : 'progress.items', { done: info.done, total: info.total }));
  }
  if (info?.bytes != null) parts.push(formatBytes(info.bytes, lang));
  if (info?.speed != null) parts.push(formatSpeed(info.speed, lang));
  if (info?.eta != null) parts.push(t('progress.eta', { eta: formatEta(info.eta) }));
  return html`<div class="task-progress" data-testid="task-progress" data-progress-of=${task.id}>
    <${ProgressBar} value=${info?.percent} label=${label || t('progress.label', { kind: task.kind, id: task.id })} />
    ${parts.length > 0 && html`<div class="progress-figures">${parts.join(' · ')}</div>`}
  </div>`;
}
