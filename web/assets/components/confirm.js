// A modal confirm dialog on the native <dialog>: `await confirmDialog({...})` is true
// when the user confirms; Escape or Cancel answer false. A dangerous one focuses Cancel.

import { useEffect, useRef } from 'preact/hooks';
import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { createStore, useStore } from '../lib/store.js';

const request = createStore(null);

export function confirmDialog({ title, message, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    request.get()?.resolve(false);
    request.set({ title, message, confirmLabel, danger, resolve });
  });
}

export function ConfirmHost() {
  const current = useStore(request);
  const dialog = useRef(null);
  useEffect(() => {
    const element = dialog.current;
    if (current && element && !element.open) element.showModal();
  }, [current]);
  if (!current) return null;
  const answer = (value) => {
    dialog.current?.close();
    request.set(null);
    current.resolve(value);
  };
  return html`<dialog ref=${dialog} class="dialog" data-testid="confirm" aria-labelledby="confirm-title"
      onCancel=${(event) => { event.preventDefault(); answer(false); }}>
    <h2 id="confirm-title">${current.title}</h2>
    ${current.message && html`<p class="dialog-message">${current.message}</p>`}
    <div class="dialog-actions">
      <button type="button" class="button" autofocus=${current.danger} onClick=${() => answer(false)}>${t('common.cancel')}</button>
      <button type="button" class=${current.danger ? 'button danger' : 'button primary'} autofocus=${!current.danger}
        onClick=${() => answer(true)}>${current.confirmLabel || t('common.confirm')}</button>
    </div>
  </dialog>`;
}
