// Hooks the pages share: live events by type, API loads with errors toasted, debouncing
// and a ticking clock for relative times.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { subscribeEvents } from './state.js';
import { toastError } from '../components/toast.js';

/** True when an event type matches a pattern list (`plugin_*` is a prefix). */
export function eventMatches(patterns, type) {
  return patterns.some((p) => (p.endsWith('*') ? type.startsWith(p.slice(0, -1)) : p === type));
}

/** Calls `handler(event)` for live events of `patterns`, and for `resync` always. */
export function useEvents(patterns, handler) {
  const latest = useRef(handler);
  latest.current = handler;
  const key = patterns.join(',');
  useEffect(
    () =>
      subscribeEvents((event) => {
        if (event.type === 'resync' || eventMatches(key.split(','), event.type)) latest.current(event);
      }),
    [key],
  );
}

/** A function that runs `fn` once calls stop for `ms`. */
export function useDebounced(fn, ms) {
  const latest = useRef(fn);
  latest.current = fn;
  const timer = useRef(null);
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(
    (...args) => {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => latest.current(...args), ms);
    },
    [ms],
  );
}

/**
 * Loads `path` (null: nothing) and again when it changes or on `reload()`; the last data
 * stays while a reload runs. Errors are toasted and returned.
 */
export function useApi(path) {
  const [state, setState] = useState({ data: null, error: null, loading: Boolean(path) });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (!path) return undefined;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    api(path, { signal: controller.signal })
      .then((data) => setState({ data, error: null, loading: false }))
      .catch((error) => {
        if (error.name === 'AbortError') return;
        toastError(error);
        setState((s) => ({ ...s, error, loading: false }));
      });
    return () => controller.abort();
  }, [path, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const setData = useCallback((change) => setState((s) => ({ ...s, data: change(s.data) })), []);
  return { ...state, reload, setData };
}

/** The time now, refreshed every `ms`. */
export function useNow(ms = 30000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/**
 * A busy flag and `run(work)`: busy while `work` (async) runs, its error toasted. For
 * buttons that start one action at a time.
 */
export function useBusy() {
  const [busy, setBusy] = useState(false);
  const run = async (work) => {
    setBusy(true);
    try {
      await work();
    } catch (error) {
      toastError(error);
    } finally {
      setBusy(false);
    }
  };
  return [busy, run];
}
