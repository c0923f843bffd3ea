// Settings: the interface (theme, language, default page size: kept in localStorage and
// in `/api/setting` under `ui.`), the session, and every user setting shown and edited
// as JSON (validated; removed keys are sent as null, since `PUT` merges).

import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useApi } from '../lib/hooks.js';
import { LANGUAGES, getLanguage, t } from '../lib/i18n.js';
import { chooseLanguage, prefsStore, setPageSize, setTheme, THEMES } from '../lib/prefs.js';
import { sessionStore } from '../lib/state.js';
import { useStore } from '../lib/store.js';
import { PAGE_SIZES } from '../lib/url.js';
import { JsonBlock } from '../components/json.js';
import { toast, toastError } from '../components/toast.js';
import { signOut } from './login.js';

/** The edited text as an object, or the reason it is not one. */
export function readSettings(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: t('settings.invalid_json', { reason: error.message }) };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: t('settings.not_object') };
  const long = Object.keys(value).find((key) => !key || new TextEncoder().encode(key).length > 128);
  if (long !== undefined) return { error: t('settings.bad_key', { key: long }) };
  return { value };
}

function Interface() {
  const prefs = useStore(prefsStore);
  const lang = getLanguage();
  return html`<section class="panel" aria-labelledby="ui-title">
    <h2 id="ui-title">${t('settings.interface')}</h2>
    <fieldset class="radio-row">
      <legend>${t('settings.theme')}</legend>
      ${THEMES.map((theme) => html`<label class="check" key=${theme}>
        <input type="radio" name="theme" value=${theme} checked=${prefs.theme === theme} onChange=${() => setTheme(theme)} /> ${t(`theme.${theme}`)}
      </label>`)}
    </fieldset>
    <div class="filters-row">
      <label class="field"><span class="field-label">${t('settings.language')}</span>
        <select value=${lang} onChange=${(e) => chooseLanguage(e.currentTarget.value)} data-testid="settings-language">
          ${LANGUAGES.map((l) => html`<option value=${l.id}>${l.label}</option>`)}
        </select></label>
      <label class="field"><span class="field-label">${t('settings.page_size')}</span>
        <select value=${String(prefs.pageSize)} onChange=${(e) => setPageSize(e.currentTarget.value)}>
          ${[...new Set([...PAGE_SIZES, prefs.pageSize])].sort((a, b) => a - b).map((n) => html`<option value=${String(n)}>${n}</option>`)}
        </select></label>
    </div>
    <p class="muted small">${t('settings.interface_hint')}</p>
  </section>`;
}

function UserSettings() {
  const { data, setData } = useApi('/api/setting');
  const [text, setText] = useState('');
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (data) setText(JSON.stringify(data, null, 2));
  }, [data]);
  const parsed = readSettings(text);
  const save = async (event) => {
    event.preventDefault();
    if (parsed.error) return;
    const body = { ...parsed.value };
    for (const key of Object.keys(data ?? {})) if (!(key in body)) body[key] = null;
    setSaving(true);
    try {
      const merged = await api('/api/setting', { method: 'PUT', body });
      setData(() => merged);
      toast(t('settings.saved'), 'success');
    } catch (error) {
      toastError(error);
    } finally {
      setSaving(false);
    }
  };
  const count = data ? Object.keys(data).length : 0;
  return html`<section class="panel" aria-labelledby="user-settings-title">
    <h2 id="user-settings-title">${t('settings.user')}</h2>
    <p class="muted small">${t('settings.user_hint', { count })}</p>
    ${data && html`<${JsonBlock} value=${data} summary=${t('settings.current')} />`}
    <form onSubmit=${save}>
      <label class="field">
        <span class="field-label">${t('settings.edit')}</span>
        <textarea class="mono" rows="12" value=${text} spellcheck="false" data-testid="settings-json"
          aria-invalid=${parsed.error ? 'true' : 'false'} aria-describedby="settings-error"
          onInput=${(e) => setText(e.currentTarget.value)}></textarea>
      </label>
      <p id="settings-error" class=${parsed.error ? 'error-text' : 'muted small'} role=${parsed.error ? 'alert' : undefined}>
        ${parsed.error || t('settings.valid')}</p>
      <div class="button-row">
        <button type="submit" class="button primary" disabled=${Boolean(parsed.error) || saving || !data}>${t('settings.save')}</button>
        <button type="button" class="button" disabled=${!data} onClick=${() => setText(JSON.stringify(data, null, 2))}>${t('settings.revert')}</button>
      </div>
    </form>
  </section>`;
}

function Session() {
  const session = useStore(sessionStore);
  if (!session.token_required) return null;
  return html`<section class="panel" aria-labelledby="session-title">
    <h2 id="session-title">${t('settings.session')}</h2>
    <p>${t(session.signed_in ? 'settings.signed_in' : 'settings.signed_out')}</p>
    ${session.signed_in && html`<button type="button" class="button" onClick=${signOut}>${t('nav.sign_out')}</button>`}
  </section>`;
}

// The configuration the server runs with (`GET /api/config`), secrets hidden there.
function ServerConfig() {
  const { data } = useApi('/api/config');
  return html`<section class="panel" aria-labelledby="server-config-title" data-testid="server-config">
    <h2 id="server-config-title">${t('settings.server_config')}</h2>
    <p class="muted small">${t('settings.server_config_hint')}</p>
    ${data && html`<${JsonBlock} value=${data} summary=${t('settings.server_config_show')} />`}
  </section>`;
}

export function SettingsPage() {
  return html`<section class="page settings">
    <h1>${t('settings.title')}</h1>
    <${Interface} />
    <${Session} />
    <${UserSettings} />
    <${ServerConfig} />
  </section>`;
}
