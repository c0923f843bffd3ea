// What can be done to one resource: refresh (with its three switches), download, delete
// the video, delete the resource, copy the video's path; and the tasks running for it.

import { useState } from 'preact/hooks';
import { api, seg } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useBusy } from '../lib/hooks.js';
import { t } from '../lib/i18n.js';
import { navigate } from '../lib/router.js';
import { tasksStore } from '../lib/state.js';
import { useStore } from '../lib/store.js';
import { activeTasksFor } from '../lib/tasks.js';
import { confirmDialog } from './confirm.js';
import { kindLabel, StatusBadge } from './badges.js';
import { TaskProgress } from './progress.js';
import { toast } from './toast.js';

function queued(answer, key) {
  const id = answer?.task?.id;
  toast(t(answer?.deduplicated ? 'resource.already_queued' : key, { id }), 'success');
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function ResourceActions({ resource, onChanged }) {
  const code = resource.code;
  const [busy, run] = useBusy();
  const [refreshOpen, setRefreshOpen] = useState(false);
  const [switches, setSwitches] = useState({ refresh_m3u8: true, refresh_metadata: true, retranslate: false, reclean: false });
  const [path, setPath] = useState(null);
  const queue = useStore(tasksStore);
  const active = activeTasksFor(queue, code);

  const refresh = (event) => {
    event.preventDefault();
    run(async () => {
      queued(await api(`/api/resource/refresh/${seg(code)}`, { body: switches }), 'resource.refresh_queued');
      setRefreshOpen(false);
    });
  };
  const download = () => run(async () => queued(await api(`/api/downloads/${seg(code)}`, { method: 'POST' }), 'resource.download_queued'));
  const deleteVideo = () =>
    run(async () => {
      const ok = await confirmDialog({ title: t('resource.delete_video_title', { code }), message: t('resource.delete_video_message'), confirmLabel: t('resource.delete_video'), danger: true });
      if (!ok) return;
      await api(`/api/downloads/${seg(code)}`, { method: 'DELETE' });
      toast(t('resource.video_deleted', { code }), 'success');
      onChanged();
    });
  const deleteResource = () =>
    run(async () => {
      const ok = await confirmDialog({ title: t('resource.delete_title', { code }), message: t('resource.delete_message'), confirmLabel: t('resource.delete'), danger: true });
      if (!ok) return;
      await api(`/api/resource/${seg(code)}`, { method: 'DELETE' });
      toast(t('resource.deleted', { code }), 'success');
      navigate('#/library');
    });
  const copyPath = () =>
    run(async () => {
      const answer = await api(`/api/downloads/abspath?code=${encodeURIComponent(code)}`);
      setPath(answer);
      const copied = await copyText(answer.path);
      toast(t(copied ? 'resource.path_copied' : 'resource.path_shown'), copied ? 'success' : 'info');
    });
  const toggle = (key) => (e) => setSwitches({ ...switches, [key]: e.currentTarget.checked });

  return html`<div class="resource-actions">
    <div class="button-row">
      <button type="button" class="button" aria-expanded=${refreshOpen ? 'true' : 'false'} aria-controls="refresh-form"
        disabled=${busy} onClick=${() => setRefreshOpen(!refreshOpen)}>${t('resource.refresh')}</button>
      <button type="button" class="button primary" disabled=${busy} onClick=${download}>${t('resource.download')}</button>
      ${resource.video_file && html`<button type="button" class="button" disabled=${busy} onClick=${deleteVideo}>${t('resource.delete_video')}</button>`}
      <button type="button" class="button" disabled=${busy} onClick=${copyPath}>${t('resource.copy_path')}</button>
      <button type="button" class="button danger" disabled=${busy} onClick=${deleteResource}>${t('resource.delete')}</button>
    </div>
    ${refreshOpen && html`<form id="refresh-form" class="refresh-form" onSubmit=${refresh}>
      <fieldset>
        <legend>${t('resource.refresh_what')}</legend>
        <label class="check"><input type="checkbox" name="refresh_m3u8" checked=${switches.refresh_m3u8} onChange=${toggle('refresh_m3u8')} /> ${t('resource.refresh_m3u8')}</label>
        <label class="check"><input type="checkbox" name="refresh_metadata" checked=${switches.refresh_metadata} onChange=${toggle('refresh_metadata')} /> ${t('resource.refresh_metadata')}</label>
        <label class="check"><input type="checkbox" name="retranslate" checked=${switches.retranslate} onChange=${toggle('retranslate')} /> ${t('resource.retranslate')}</label>
        <label class="check"><input type="checkbox" name="reclean" checked=${switches.reclean} onChange=${toggle('reclean')} /> ${t('resource.reclean')}</label>
      </fieldset>
      <button type="submit" class="button primary" disabled=${busy}>${t('resource.refresh_submit')}</button>
    </form>`}
    ${path && html`<label class="field path-field">
      <span class="field-label">${path.exists ? t('resource.path') : t('resource.path_missing')}</span>
      <input type="text" readonly value=${path.path} data-testid="video-path" onFocus=${(e) => e.currentTarget.select()} />
    </label>`}
    ${active.length > 0 && html`<ul class="task-list compact" aria-label=${t('resource.active_tasks')}>
      ${active.map((task) => html`<li key=${task.id}>
        <span>${kindLabel(task.kind)} #${task.id}</span>
        <${StatusBadge} status=${task.status} />
        ${task.status === 'running' && html`<${TaskProgress} task=${task} />`}
      </li>`)}
    </ul>`}
  </div>`;
}
