// Actions on the selected resources: refresh and delete as one `batch` task each
// (`POST /api/resources/batch`, at most 500 items a task), download through
// `POST /api/downloads/batch_submit`. Deleting asks first.

import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useBusy } from '../lib/hooks.js';
import { t } from '../lib/i18n.js';
import { confirmDialog } from './confirm.js';
import { toast } from './toast.js';

const CHUNK = 500;

function chunks(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

async function batch(codes, action) {
  const ids = [];
  for (const part of chunks(codes, CHUNK)) {
    const answer = await api('/api/resources/batch', { body: { items: part.map((code) => ({ action, code })) } });
    ids.push(answer.task.id);
  }
  return ids;
}

async function downloads(codes) {
  let failed = [];
  for (const part of chunks(codes, 1000)) {
    const answer = await api('/api/downloads/batch_submit', { body: { codes: part } });
    failed = failed.concat(answer.results.filter((r) => !r.ok));
  }
  return failed;
}

export function BatchBar({ codes, onClear, onDeleted }) {
  const [busy, run] = useBusy();
  const count = codes.length;
  const refresh = () =>
    run(async () => {
      const ids = await batch(codes, 'refresh');
      toast(t('batch.refresh_queued', { count, tasks: ids.map((id) => `#${id}`).join(', ') }), 'success');
      onClear();
    });
  const download = () =>
    run(async () => {
      const failed = await downloads(codes);
      if (failed.length) {
        const detail = failed.map((r) => `${r.input}: ${r.error?.message ?? r.error?.code}`).join('; ');
        toast(t('batch.download_failed', { count: failed.length, detail }), 'error');
      }
      const queued = count - failed.length;
      if (queued > 0) toast(t('batch.download_queued', { count: queued }), 'success');
      onClear();
    });
  const remove = () =>
    run(async () => {
      const ok = await confirmDialog({
        title: t('batch.delete_title', { count }),
        message: t('batch.delete_message', { codes: codes.slice(0, 12).join(', ') + (count > 12 ? ' …' : '') }),
        confirmLabel: t('batch.delete_confirm', { count }),
        danger: true,
      });
      if (!ok) return;
      const ids = await batch(codes, 'delete');
      toast(t('batch.delete_queued', { count, tasks: ids.map((id) => `#${id}`).join(', ') }), 'success');
      onClear();
      onDeleted?.(ids);
    });
  if (!count) return null;
  return html`<div class="batch-bar" role="region" aria-label=${t('batch.label')} data-testid="batch-bar">
    <span class="batch-count">${t('batch.selected', { count })}</span>
    <button type="button" class="button" disabled=${busy} onClick=${refresh}>${t('batch.refresh')}</button>
    <button type="button" class="button" disabled=${busy} onClick=${download}>${t('batch.download')}</button>
    <button type="button" class="button danger" disabled=${busy} onClick=${remove}>${t('batch.delete')}</button>
    <button type="button" class="button ghost" disabled=${busy} onClick=${onClear}>${t('batch.clear')}</button>
  </div>`;
}
