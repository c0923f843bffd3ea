// The hash router: the current route as a hook, and navigation that pushes or replaces
// a history entry (search typing replaces, so the back button skips keystrokes).

import { useEffect, useState } from 'preact/hooks';
import { parseHash } from './url.js';

const EVENT = 'kura:route';

export function currentRoute() {
  return parseHash(location.hash);
}

export function useRoute() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    addEventListener('hashchange', update);
    addEventListener(EVENT, update);
    return () => {
      removeEventListener('hashchange', update);
      removeEventListener(EVENT, update);
    };
  }, []);
  return route;
}

/** Goes to `hash` (`#/...`); `replace` keeps the history entry. */
export function navigate(hash, { replace = false } = {}) {
  if (hash === location.hash) return;
  if (replace) {
    history.replaceState(history.state, '', hash);
  } else {
    history.pushState(history.state, '', hash);
  }
  dispatchEvent(new Event(EVENT));
}
