// Plugins: each with its version, health and statistics (enable, disable, rollback),
// files that failed to load, an upload zone, a test call, the sources by weight, and
// the followed plugin indexes. Reloads on every plugin event.

import { html } from '../lib/html.js';
import { useApi, useDebounced, useEvents } from '../lib/hooks.js';
import { formatDateTime } from '../lib/format.js';
import { getLanguage, t } from '../lib/i18n.js';
import { PluginCall } from '../components/plugin-call.js';
import { PluginCard } from '../components/plugin-card.js';
import { PluginIndexes } from '../components/plugin-index.js';
import { PluginUpload } from '../components/plugin-upload.js';
import { SourcesPanel } from '../components/sources-panel.js';

function LoadErrors({ errors }) {
  const lang = getLanguage();
  if (!errors?.length) return null;
  return html`<section class="panel error" aria-labelledby="load-errors-title" data-testid="load-errors">
    <h2 id="load-errors-title">${t('plugins.load_errors')}</h2>
    <ul class="plain-list">
      ${errors.map((e, i) => html`<li key=${i}>
        <strong class="mono break">${e.file ?? t('plugins.upload')}</strong>
        ${e.version && html` <span class="muted">${e.version}</span>`}
        <span class="muted small"> ${formatDateTime(e.at_ms, lang)} · ${e.sha256.slice(0, 12)}</span>
        <pre class="error-pre">${e.error}</pre>
      </li>`)}
    </ul>
  </section>`;
}

export function PluginsPage() {
  const plugins = useApi('/api/plugins');
  const sources = useApi('/api/source/list');
  const indexes = useApi('/api/index');
  const reload = () => {
    plugins.reload();
    sources.reload();
    indexes.reload();
  };
  const reloadSoon = useDebounced(reload, 300);
  useEvents(['plugin_*'], reloadSoon);
  const list = plugins.data?.plugins ?? [];
  return html`<section class="page plugins">
    <h1>${t('plugins.title')}</h1>
    <${LoadErrors} errors=${plugins.data?.load_errors} />
    ${plugins.data?.compiling?.length > 0 && html`<p class="notice">${t('plugins.compiling', { files: plugins.data.compiling.join(', ') })}</p>`}
    <section class="panel" aria-labelledby="upload-title">
      <h2 id="upload-title">${t('plugins.upload_title')}</h2>
      <${PluginUpload} onUploaded=${reload} />
    </section>
    <section aria-labelledby="installed-title">
      <h2 id="installed-title">${t('plugins.installed', { count: list.length })}</h2>
      <div class="plugin-grid">${list.map((p) => html`<${PluginCard} key=${p.name} plugin=${p} onChanged=${reload} />`)}</div>
    </section>
    <section class="panel" aria-labelledby="call-title">
      <h2 id="call-title">${t('plugins.call_title')}</h2>
      <${PluginCall} plugins=${list} />
    </section>
    <${SourcesPanel} sources=${sources.data ?? []} />
    ${indexes.data?.indexes?.length > 0 && html`<${PluginIndexes} indexes=${indexes.data.indexes} onChanged=${reload} />`}
  </section>`;
}
