// Kura's web UI: the shell (navigation, activity indicator, theme and language
// switches, sign-out), the hash router, keyboard shortcuts, and start-up.

import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { onUnauthorized, api } from './lib/api.js';
import { html } from './lib/html.js';
import { getLanguage, initLanguage, LANGUAGES, onLanguageChange, t } from './lib/i18n.js';
import { adoptServerPrefs, chooseLanguage, effectiveTheme, initPrefs, prefsStore, setTheme } from './lib/prefs.js';
import { navigate, useRoute } from './lib/router.js';
import { liveStatus, loadSession, sessionStore, startLive, stopLive, tasksStore } from './lib/state.js';
import { useStore } from './lib/store.js';
import { activeCount } from './lib/tasks.js';
import { buildHash } from './lib/url.js';
import { ConfirmHost } from './components/confirm.js';
import { Toasts, toastError } from './components/toast.js';
import { AddPage } from './pages/add.js';
import { LibraryPage } from './pages/library.js';
import { LoginPage, signOut } from './pages/login.js';
import { PeoplePage } from './pages/people.js';
import { PluginsPage } from './pages/plugins.js';
import { QueuePage } from './pages/queue.js';
import { ReportsPage } from './pages/reports.js';
import { ResourcePage } from './pages/resource.js';
import { SchedulesPage } from './pages/schedules.js';
import { SettingsPage } from './pages/settings.js';
import { TagsPage } from './pages/tags.js';

const NAV = ['library', 'add', 'people', 'tags', 'queue', 'plugins', 'schedules', 'reports', 'settings'];

function Page({ route }) {
  const [name = 'library', arg] = route.path;
  const params = route.params;
  switch (name) {
    case 'library': return html`<${LibraryPage} params=${params} />`;
    case 'resource': return arg ? html`<${ResourcePage} key=${arg} code=${arg} />` : html`<${NotFound} />`;
    case 'add': return html`<${AddPage} params=${params} />`;
    case 'people': return html`<${PeoplePage} params=${params} />`;
    case 'tags': return html`<${TagsPage} params=${params} />`;
    case 'queue': return html`<${QueuePage} params=${params} />`;
    case 'plugins': return html`<${PluginsPage} />`;
    case 'schedules': return html`<${SchedulesPage} />`;
    case 'reports': return html`<${ReportsPage} key=${arg ?? ''} name=${arg} params=${params} />`;
    case 'settings': return html`<${SettingsPage} />`;
    case 'login': return html`<${LoginPage} params=${params} />`;
    default: return html`<${NotFound} />`;
  }
}

function NotFound() {
  return html`<section class="page"><h1>${t('notfound.title')}</h1><p><a href="#/library">${t('nav.library')}</a></p></section>`;
}

function Activity() {
  const tasks = useStore(tasksStore);
  const live = useStore(liveStatus);
  const count = activeCount(tasks);
  return html`<a class=${count ? 'activity busy' : 'activity'} href="#/queue" data-testid="activity" data-count=${count}
      aria-label=${t('activity.label', { count })} title=${t(`live.${live}`)}>
    <span class=${`live-dot live-${live}`} aria-hidden="true"></span>
    <span class="activity-icon" aria-hidden="true">⟳</span>
    <span class="activity-count">${count}</span>
  </a>`;
}

function Tools() {
  const prefs = useStore(prefsStore);
  const session = useStore(sessionStore);
  const shown = effectiveTheme(prefs.theme);
  const next = shown === 'dark' ? 'light' : 'dark';
  return html`<div class="topbar-tools">
    <${Activity} />
    <button type="button" class="icon-button" data-testid="theme-toggle" aria-label=${t('theme.switch_to', { theme: t(`theme.${next}`) })}
      title=${t('theme.switch_to', { theme: t(`theme.${next}`) })} onClick=${() => setTheme(next)}>${shown === 'dark' ? '☀' : '☾'}</button>
    <select class="language" aria-label=${t('settings.language')} value=${getLanguage()} data-testid="language"
      onChange=${(e) => chooseLanguage(e.currentTarget.value)}>
      ${LANGUAGES.map((l) => html`<option value=${l.id}>${l.label}</option>`)}
    </select>
    ${session.token_required && session.signed_in && html`<button type="button" class="button small" onClick=${signOut}>${t('nav.sign_out')}</button>`}
  </div>`;
}

/** True once `value` has stayed true for `ms` (a blip shows no banner). */
function useLasting(value, ms) {
  const [lasting, setLasting] = useState(false);
  useEffect(() => {
    if (!value) return setLasting(false);
    const id = setTimeout(() => setLasting(true), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return lasting;
}

function Shell() {
  const route = useRoute();
  const [, setLang] = useState(getLanguage());
  const [menu, setMenu] = useState(false);
  const offline = useLasting(useStore(liveStatus) === 'closed', 1500);
  const main = useRef(null);
  const page = route.path[0] ?? 'library';
  // Pages wait for the sign-in state, so a server that asks for a token sees no request before it.
  const session = useStore(sessionStore);
  const needsLogin = session.known && session.token_required && !session.signed_in && page !== 'login';
  useEffect(() => {
    if (needsLogin) navigate(buildHash(['login'], { next: location.hash || '#/library' }), { replace: true });
  }, [needsLogin]);
  useEffect(() => onLanguageChange(setLang), []);
  // A new page starts at the top (before the library's own effect puts a kept view back).
  useLayoutEffect(() => window.scrollTo(0, 0), [page, route.path[1]]);
  useEffect(() => {
    setMenu(false);
    if (page !== 'resource') document.title = `${t(`nav.${NAV.includes(page) || page === 'login' ? page : 'library'}`)} · Kura`;
    main.current?.focus({ preventScroll: true });
  }, [page, route.path[1]]);
  useEffect(() => {
    const onKey = (event) => {
      const target = event.target;
      const typing = target.closest?.('input, textarea, select, [contenteditable="true"]');
      if (event.key !== '/' || typing || event.ctrlKey || event.metaKey || event.altKey) return;
      const search = document.querySelector('main [data-search]');
      if (search) {
        event.preventDefault();
        search.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  return html`
    <button type="button" class="skip-link" onClick=${() => main.current?.focus()}>${t('nav.skip')}</button>
    <header class="topbar">
      <a class="brand" href="#/library"><img src="/ui/icon.svg" alt="" width="28" height="28" /><span>Kura</span></a>
      <button type="button" class="icon-button menu-toggle" aria-expanded=${menu ? 'true' : 'false'} aria-controls="nav"
        aria-label=${t('nav.menu')} onClick=${() => setMenu(!menu)}>☰</button>
      <nav id="nav" class=${menu ? 'nav open' : 'nav'} aria-label=${t('nav.label')}>
        <ul>${NAV.map((id) => html`<li key=${id}>
          <a href=${`#/${id}`} aria-current=${page === id || (id === 'library' && page === 'resource') ? 'page' : undefined}>${t(`nav.${id}`)}</a>
        </li>`)}</ul>
      </nav>
      <${Tools} />
    </header>
    ${offline && html`<div class="offline" role="status" data-testid="offline">${t('live.closed_banner')}</div>`}
    <main id="main" ref=${main} tabindex="-1">
      ${session.known && !needsLogin ? html`<${Page} route=${route} />` : html`<span class="spinner" role="status" aria-label=${t('common.loading')}></span>`}
    </main>
    <${Toasts} />
    <${ConfirmHost} />`;
}

async function start() {
  // Pages put their own scroll back (the library) or start at the top.
  history.scrollRestoration = 'manual';
  initLanguage();
  initPrefs();
  onUnauthorized(() => sessionStore.update((s) => ({ ...s, known: true, token_required: true, signed_in: false })));
  render(html`<${Shell} />`, document.getElementById('app'));
  try {
    await loadSession();
  } catch (error) {
    toastError(error);
    sessionStore.set({ ...sessionStore.get(), known: true });
  }
  let adopted = false;
  const follow = (session) => {
    if (!session.signed_in) return stopLive();
    startLive(toastError);
    if (adopted) return;
    adopted = true;
    api('/api/setting').then(adoptServerPrefs).catch(toastError);
  };
  follow(sessionStore.get());
  sessionStore.subscribe(follow);
}

start();
