// Sign in with the API token: `POST /api/session` sets an HttpOnly cookie; the token
// is never put in a URL or in storage. Also the sign-out the shell and settings use.

import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { navigate } from '../lib/router.js';
import { loadSession, reloadQueue, sessionStore } from '../lib/state.js';
import { useStore } from '../lib/store.js';
import { toast, toastError } from '../components/toast.js';

export async function signOut() {
  try {
    await api('/api/session', { method: 'DELETE', quiet401: true });
    await loadSession();
    toast(t('login.signed_out'), 'success');
    navigate('#/login');
  } catch (error) {
    toastError(error);
  }
}

/** Where to go after signing in: a page of this app, never another site. */
function target(next) {
  return typeof next === 'string' && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/library';
}

export function LoginPage({ params }) {
  const session = useStore(sessionStore);
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/api/session', { body: { token: token.trim() }, quiet401: true });
      setToken('');
      await loadSession();
      reloadQueue().catch(toastError);
      navigate(target(params.next), { replace: true });
    } catch (failure) {
      if (failure.status === 401 || failure.status === 400) setError(failure.message);
      else toastError(failure);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="page login">
    <form class="login-form panel" onSubmit=${submit} data-testid="login">
      <h1>${t('login.title')}</h1>
      ${session.known && !session.token_required && html`<p class="notice">${t('login.not_required')} <a href="#/library">${t('nav.library')}</a></p>`}
      ${session.signed_in && session.token_required && html`<p class="notice">${t('login.already')}</p>`}
      <label class="field">
        <span class="field-label">${t('login.token')}</span>
        <input type="password" name="token" autocomplete="current-password" required value=${token}
          aria-invalid=${error ? 'true' : 'false'} aria-describedby="login-help"
          onInput=${(e) => setToken(e.currentTarget.value)} />
      </label>
      <p id="login-help" class="muted small">${t('login.help')}</p>
      ${error && html`<p class="error-text" role="alert" data-testid="login-error">${error}</p>`}
      <button type="submit" class="button primary" disabled=${busy || !token.trim()}>${t('login.submit')}</button>
    </form>
  </section>`;
}
