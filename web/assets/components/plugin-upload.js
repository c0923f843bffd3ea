// Upload a plugin: pick a .wasm or drop it on the zone; `POST /api/plugins` with the
// bytes. A refusal (422 `plugin_rejected`) is shown verbatim until the next try.

import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { toast, toastError } from './toast.js';

export function PluginUpload({ onUploaded }) {
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState(null);
  const upload = async (file) => {
    if (!file) return;
    setBusy(true);
    setRefusal(null);
    try {
      const answer = await api('/api/plugins', { body: file, contentType: 'application/wasm' });
      const name = answer.plugin?.name ?? file.name;
      toast(t(`plugins.upload_${answer.outcome}`, { name, version: answer.plugin?.version ?? '', previous: answer.previous_version ?? '' }), 'success');
      onUploaded();
    } catch (error) {
      if (error.status === 422 || error.code === 'plugin_rejected') setRefusal(error.message);
      else toastError(error);
    } finally {
      setBusy(false);
    }
  };
  const onDrop = (event) => {
    event.preventDefault();
    setOver(false);
    upload(event.dataTransfer?.files?.[0]);
  };
  return html`<div class=${over ? 'dropzone over' : 'dropzone'} data-testid="dropzone"
      onDragOver=${(e) => { e.preventDefault(); setOver(true); }} onDragLeave=${() => setOver(false)} onDrop=${onDrop}>
    <p>${t('plugins.drop')}</p>
    <label class="button">
      ${busy ? t('plugins.uploading') : t('plugins.choose')}
      <input type="file" accept=".wasm,application/wasm" class="visually-hidden" disabled=${busy} data-testid="plugin-file"
        onChange=${(e) => { upload(e.currentTarget.files?.[0]); e.currentTarget.value = ''; }} />
    </label>
    ${refusal && html`<div class="notice error" role="alert" data-testid="plugin-rejected">
      <strong>${t('plugins.rejected')}</strong><pre class="error-pre">${refusal}</pre>
    </div>`}
  </div>`;
}
