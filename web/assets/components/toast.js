// Toasts: short messages in a live region; API errors show their message and code and
// stay until closed or for 12 s, others for 5 s.

import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { createStore, useStore } from '../lib/store.js';

const toasts = createStore([]);
let nextId = 1;

export function dismiss(id) {
  toasts.update((list) => list.filter((item) => item.id !== id));
}

export function toast(message, kind = 'info') {
  const id = nextId++;
  toasts.update((list) => [...list.slice(-4), { id, message, kind }]);
  setTimeout(() => dismiss(id), kind === 'error' ? 12000 : 5000);
  return id;
}

/** An error as a toast; an aborted request is not an error, and a 401 shows the login page. */
export function toastError(error) {
  if (!error || error.name === 'AbortError' || error.status === 401) return;
  console.warn(error);
  if (error.code === 'network_error') return toast(t('error.network'), 'error');
  const code = error.code && error.code !== 'unknown' ? ` (${error.code})` : '';
  return toast(`${error.message || t('error.unknown')}${code}`, 'error');
}

export function Toasts() {
  const list = useStore(toasts);
  return html`<div class="toasts" role="status" aria-live="polite">
    ${list.map(
      (item) => html`<div class=${`toast toast-${item.kind}`} data-testid="toast" data-kind=${item.kind} key=${item.id}>
        <span class="toast-text">${item.message}</span>
        <button type="button" class="icon-button" aria-label=${t('common.close')} onClick=${() => dismiss(item.id)}>×</button>
      </div>`,
    )}
  </div>`;
}
