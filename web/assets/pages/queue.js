// The queue: running tasks with live progress, pending tasks in the order they will
// run, counts by status, and the history filtered by status and kind with paging
// (filters in the URL). Cancel, retry and remove per task; everything updates live.

import { html } from '../lib/html.js';
import { useApi, useDebounced, useEvents, useNow } from '../lib/hooks.js';
import { formatNumber } from '../lib/format.js';
import { getLanguage, t } from '../lib/i18n.js';
import { navigate } from '../lib/router.js';
import { tasksStore } from '../lib/state.js';
import { useStore } from '../lib/store.js';
import { buildHash, encodeQuery } from '../lib/url.js';
import { kindLabel, StatusBadge } from '../components/badges.js';
import { Pager } from '../components/pager.js';
import { TaskItem } from '../components/task-item.js';

const STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'];
const KINDS = ['add_resource', 'refresh_resource', 'batch', 'download', 'mock_download', 'translate', 'person_avatars',
  'backup_db', 'backup_codes', 'sync_backups', 'check_resources', 'check_videos', 'check_avatars', 'db_upgrade'];
const PAGE_SIZE = 25;

function readView(params) {
  return {
    status: STATUSES.includes(params.status) ? params.status : '',
    kind: params.kind || '',
    page: /^\d+$/.test(params.page || '') && Number(params.page) > 0 ? Number(params.page) : 1,
  };
}

function hrefOf(view) {
  return buildHash(['queue'], { status: view.status, kind: view.kind, page: view.page > 1 ? view.page : '' });
}

function Counts({ counts }) {
  const lang = getLanguage();
  return html`<dl class="counts" data-testid="counts">
    ${STATUSES.map((status) => html`<div key=${status}>
      <dt><${StatusBadge} status=${status} /></dt>
      <dd>${formatNumber(counts[status] ?? 0, lang)}</dd>
    </div>`)}
  </dl>`;
}

export function QueuePage({ params }) {
  const view = readView(params);
  const queue = useStore(tasksStore);
  const now = useNow(5000);
  const status = useApi('/api/tasks/queue/status');
  const history = useApi(`/api/tasks?${encodeQuery({ status: view.status, kind: view.kind, page: view.page, page_size: PAGE_SIZE })}`);
  const reloadPending = useDebounced(status.reload, 400);
  const reloadHistory = useDebounced(history.reload, 1000);
  useEvents(['task_queued', 'task_started', 'task_completed', 'task_failed', 'task_retrying', 'task_cancelled'], () => {
    reloadPending();
    reloadHistory();
  });
  const refresh = () => {
    status.reload();
    history.reload();
  };
  const go = (changes) => navigate(hrefOf({ ...view, page: 1, ...changes }));
  const running = queue.running.map((id) => queue.tasks[id]).filter(Boolean);
  const pending = status.data?.pending ?? [];
  const kinds = [...new Set([...KINDS, ...(view.kind ? [view.kind] : [])])];

  return html`<section class="page queue">
    <h1>${t('queue.title')}</h1>
    <${Counts} counts=${queue.counts} />

    <section class="panel" aria-labelledby="running-title">
      <h2 id="running-title">${t('queue.running')} <span class="muted">(${running.length})</span></h2>
      ${running.length
        ? html`<ul class="task-list" data-testid="running">${running.map((task) => html`<${TaskItem} key=${task.id} task=${task} now=${now} onChanged=${refresh} />`)}</ul>`
        : html`<p class="empty">${t('queue.none_running')}</p>`}
    </section>

    <section class="panel" aria-labelledby="pending-title">
      <h2 id="pending-title">${t('queue.pending')} <span class="muted">(${pending.length})</span></h2>
      ${pending.length
        ? html`<ol class="task-list" data-testid="pending">${pending.map((task) => html`<${TaskItem} key=${task.id}
            task=${{ ...task, code: task.payload?.code }} now=${now} onChanged=${refresh} />`)}</ol>`
        : html`<p class="empty">${t('queue.none_pending')}</p>`}
    </section>

    <section class="panel" aria-labelledby="history-title">
      <h2 id="history-title">${t('queue.history')}</h2>
      <div class="filters-row">
        <label class="field">
          <span class="field-label">${t('queue.status')}</span>
          <select value=${view.status} data-testid="history-status" onChange=${(e) => go({ status: e.currentTarget.value })}>
            <option value="">${t('common.any')}</option>
            ${STATUSES.map((s) => html`<option value=${s}>${t(`status.${s}`)}</option>`)}
          </select>
        </label>
        <label class="field">
          <span class="field-label">${t('queue.kind')}</span>
          <select value=${view.kind} data-testid="history-kind" onChange=${(e) => go({ kind: e.currentTarget.value })}>
            <option value="">${t('common.any')}</option>
            ${kinds.map((k) => html`<option value=${k}>${kindLabel(k)}</option>`)}
          </select>
        </label>
      </div>
      ${history.data && !history.data.items.length && html`<p class="empty">${t('queue.no_history')}</p>`}
      <ul class="task-list" data-testid="history">
        ${history.data?.items.map((task) => html`<${TaskItem} key=${task.id} task=${{ ...task, code: task.payload?.code }} now=${now} onChanged=${refresh} />`)}
      </ul>
      ${history.data && html`<${Pager} page=${view.page} pageSize=${PAGE_SIZE} total=${history.data.total}
        href=${(page) => hrefOf({ ...view, page })} />`}
    </section>
  </section>`;
}
