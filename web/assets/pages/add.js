// Add by code: one or many codes, each queued with `POST /api/resource` and followed
// through live events (and `GET /api/tasks/{id}`) to its outcome: added, with a link and
// the lookups; or not found, with what each source said. The list survives navigation.

import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { splitCodes } from '../lib/codes.js';
import { html } from '../lib/html.js';
import { useEvents } from '../lib/hooks.js';
import { t } from '../lib/i18n.js';
import { liveStatus, tasksStore } from '../lib/state.js';
import { createStore, useStore } from '../lib/store.js';
import { buildHash } from '../lib/url.js';
import { Lookups } from '../components/lookups.js';
import { TaskProgress } from '../components/progress.js';
import { toastError } from '../components/toast.js';

const entries = createStore([]);
let nextKey = 1;
const FINAL = ['added', 'not_found', 'failed', 'cancelled', 'invalid'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

function patch(key, change) {
  entries.update((list) => list.map((e) => (e.key === key ? { ...e, ...change } : e)));
}

/** An entry's state from its stored task row. */
function fromTask(task) {
  const base = { task, code: task.payload?.code };
  switch (task.status) {
    case 'completed':
      return { ...base, state: 'added', lookups: task.result?.lookups, resource: task.result?.resource };
    case 'failed':
      return { ...base, state: task.error_code === 'code_not_found' ? 'not_found' : 'failed', message: task.error, lookups: task.result?.lookups };
    case 'cancelled':
      return { ...base, state: 'cancelled', message: task.error };
    case 'running':
      return { ...base, state: 'running' };
    default:
      return { ...base, state: task.attempts > 0 ? 'retrying' : 'queued', message: task.error };
  }
}

async function follow(entry) {
  try {
    patch(entry.key, fromTask(await api(`/api/tasks/${entry.taskId}`)));
  } catch (error) {
    toastError(error);
  }
}

async function submit(codes, priority) {
  const fresh = codes.map((input) => ({ key: nextKey++, input, state: 'submitting' }));
  entries.update((list) => [...fresh, ...list]);
  for (const entry of fresh) {
    try {
      const answer = await api('/api/resource', { body: { code: entry.input, priority } });
      const followed = { key: entry.key, taskId: answer.task.id };
      patch(entry.key, { ...followed, deduplicated: answer.deduplicated, ...fromTask(answer.task) });
      // The task may have ended before this answer arrived, its events passed over while
      // the entry had no task id yet: ask for its state once now that it has one.
      if (!FINAL.includes(fromTask(answer.task).state)) await follow(followed);
    } catch (error) {
      const invalid = error.status === 400;
      patch(entry.key, { state: invalid ? 'invalid' : 'failed', message: error.message, lookups: error.body?.lookups });
      if (!invalid) toastError(error);
    }
  }
}

function Entry({ entry, live }) {
  const running = live && entry.state === 'running' ? live : null;
  const code = entry.resource?.code || entry.code || entry.input;
  const title = entry.resource?.title_translated || entry.resource?.title_source;
  return html`<li class=${`add-entry state-${entry.state}`} data-testid="add-result" data-code=${code} data-state=${entry.state}>
    <div class="add-entry-head">
      <strong>${entry.input}</strong>
      <span class=${`badge add-${entry.state}`}>${t(`add.state.${entry.state}`)}</span>
      ${entry.taskId && html`<span class="muted">${t('add.task', { id: entry.taskId })}</span>`}
      ${entry.deduplicated && html`<span class="muted">${t('add.deduplicated')}</span>`}
    </div>
    ${entry.state === 'added' && html`<p><a href=${buildHash(['resource', code])} data-testid="added-link">${code}${title ? ` — ${title}` : ''}</a></p>`}
    ${running && running.progress && html`<${TaskProgress} task=${running} />`}
    ${entry.message && html`<p class=${entry.state === 'retrying' ? 'muted' : 'error-text'} data-testid="add-message">${entry.message}</p>`}
    <${Lookups} lookups=${entry.lookups} />
  </li>`;
}

export function AddPage({ params }) {
  const list = useStore(entries);
  const queue = useStore(tasksStore);
  const status = useStore(liveStatus);
  const [text, setText] = useState(params.codes || '');
  const [priority, setPriority] = useState('normal');
  const codes = splitCodes(text);

  useEvents(['task_*'], (event) => {
    const open = entries.get().filter((e) => e.taskId && !FINAL.includes(e.state));
    if (event.type === 'resync') return open.forEach(follow);
    const entry = open.find((e) => e.taskId === event.data?.task_id);
    if (!entry) return;
    if (event.type === 'task_started') patch(entry.key, { state: 'running' });
    else if (event.type !== 'progress_update' && event.type !== 'task_queued') follow(entry);
  });

  // Without the live stream, ask the server now and then.
  useEffect(() => {
    if (status === 'open') return undefined;
    const id = setInterval(() => {
      entries.get().filter((e) => e.taskId && !FINAL.includes(e.state)).forEach(follow);
    }, 4000);
    return () => clearInterval(id);
  }, [status]);

  const onSubmit = (event) => {
    event.preventDefault();
    if (!codes.length) return;
    setText('');
    submit(codes, priority);
  };
  const finished = list.filter((e) => FINAL.includes(e.state)).length;

  return html`<section class="page add">
    <h1>${t('add.title')}</h1>
    <form class="add-form" onSubmit=${onSubmit}>
      <label class="field">
        <span class="field-label">${t('add.codes')}</span>
        <textarea rows="5" value=${text} onInput=${(e) => setText(e.currentTarget.value)} data-testid="add-codes"
          placeholder=${t('add.placeholder')} spellcheck="false"></textarea>
      </label>
      <div class="form-row">
        <label class="field inline">
          <span class="field-label">${t('add.priority')}</span>
          <select value=${priority} onChange=${(e) => setPriority(e.currentTarget.value)}>
            ${PRIORITIES.map((p) => html`<option value=${p}>${t(`priority.${p}`)}</option>`)}
          </select>
        </label>
        <button type="submit" class="button primary" disabled=${!codes.length}>
          ${t('add.submit', { count: codes.length })}
        </button>
      </div>
    </form>
    ${list.length > 0 && html`<div class="toolbar">
      <h2>${t('add.results')}</h2>
      <span class="toolbar-spacer"></span>
      <button type="button" class="button small" disabled=${!finished}
        onClick=${() => entries.update((all) => all.filter((e) => !FINAL.includes(e.state)))}>${t('add.clear_finished')}</button>
    </div>
    <ul class="add-results">
      ${list.map((entry) => html`<${Entry} key=${entry.key} entry=${entry} live=${entry.taskId ? queue.tasks[entry.taskId] : null} />`)}
    </ul>`}
  </section>`;
}
