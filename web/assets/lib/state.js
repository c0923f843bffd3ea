// App-wide state: the task queue kept live from /ws/tasks, the connection's status,
// the sign-in state, and names of people and tags seen (for filter labels).

import { api } from './api.js';
import { createLive } from './live.js';
import { createStore } from './store.js';
import { applyEvent, emptyState, fromQueueStatus } from './tasks.js';

export const tasksStore = createStore(emptyState());
export const liveStatus = createStore('connecting');
export const sessionStore = createStore({ known: false, token_required: false, signed_in: true });
export const namesStore = createStore({ person: {}, tag: {} });

let live = null;
/** Page listeners, kept apart from the connection so pages shown before it starts hear events too. */
const listeners = new Set();

/** Remembers display names: `rememberNames("tag", [{id, name}])`. */
export function rememberNames(kind, items) {
  const known = namesStore.get()[kind];
  const fresh = items.filter((item) => item && known[item.id] !== item.name);
  if (!fresh.length) return;
  const next = { ...known };
  for (const item of fresh) next[item.id] = item.name;
  namesStore.set({ ...namesStore.get(), [kind]: next });
}

/** Loads the queue from REST (at start and whenever the live stream says resync). */
export async function reloadQueue() {
  const status = await api('/api/tasks/queue/status');
  tasksStore.set(fromQueueStatus(status, tasksStore.get()));
}

export async function loadSession() {
  try {
    const state = await api('/api/session', { quiet401: true });
    sessionStore.set({ known: true, ...state });
  } catch (error) {
    // A server without sessions asks for no token.
    if (error.status === 404) sessionStore.set({ known: true, token_required: false, signed_in: true });
    else throw error;
  }
}

/** Starts the live connection (once made, again after a stop); `onError` gets failures of the reloads it triggers. */
export function startLive(onError) {
  if (live) {
    live.start();
    return live;
  }
  // Retries after a loss stay "closed" until one succeeds, so the banner does not flicker.
  const onStatus = (status) => liveStatus.set(status === 'connecting' && liveStatus.get() === 'closed' ? 'closed' : status);
  live = createLive({ location, WebSocket, onStatus });
  live.subscribe((event) => {
    if (event.type === 'hello' || event.type === 'resync') {
      reloadQueue().catch(onError);
    } else {
      tasksStore.update((state) => applyEvent(state, event));
    }
    if (event.type === 'hello') return;
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('event listener failed', error);
      }
    }
  });
  addEventListener('online', () => live.nudge());
  live.start();
  return live;
}

/** Closes the live connection (signed out). */
export function stopLive() {
  live?.stop();
  liveStatus.set('off');
}

/** Every live event (and `resync`) to `listener`; returns the unsubscribe function. */
export function subscribeEvents(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
