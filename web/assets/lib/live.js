// The /ws/tasks client: one WebSocket that reconnects with backoff after a blip or a
// server restart, resumes with `?since=<last id>&boot=<boot>` from the `hello`, and asks
// its listeners to reload from REST when the server says `resync`. Never reloads the page.
// The socket, timers and randomness are injected so the logic runs under node too.

/** The wait before reconnect attempt `n` (0-based): 0.5 s doubling to 15 s, with jitter. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(15000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.75 + random() * 0.5));
}

/** The socket URL for a page location, resuming after `lastId` of run `boot` when known. */
export function socketUrl(location, lastId, boot) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = lastId != null && boot ? `?since=${encodeURIComponent(lastId)}&boot=${encodeURIComponent(boot)}` : '';
  return `${scheme}//${location.host}/ws/tasks${query}`;
}

/**
 * A live connection. Listeners get each event `{id, type, at_ms, data}`, and
 * `{type: "resync"}` when state must be reloaded from REST (missed events, a restart).
 * `onStatus` gets "connecting", "open" or "closed".
 */
export function createLive({
  location,
  WebSocket: Socket,
  setTimeout: later = globalThis.setTimeout,
  clearTimeout: cancel = globalThis.clearTimeout,
  random = Math.random,
  onStatus = () => {},
}) {
  const listeners = new Set();
  let socket = null;
  let timer = null;
  let attempt = 0;
  let lastId = null;
  let boot = null;
  let stopped = true;

  const emit = (event) => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('live listener failed', error);
      }
    }
  };

  const onHello = (data) => {
    const restarted = boot != null && data.boot !== boot;
    const first = lastId == null;
    boot = data.boot;
    if (first || restarted || data.resync) lastId = data.last_id ?? 0;
    attempt = 0;
    // A first connection loads from REST anyway; a reconnect that lost events reloads.
    if (!first && (restarted || data.resync)) emit({ type: 'resync', data });
    else if (first) emit({ type: 'hello', data });
  };

  const onMessage = (text) => {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === 'hello') return onHello(message.data ?? {});
    if (message.type === 'resync') return emit({ type: 'resync', data: message.data ?? {} });
    if (typeof message.id === 'number') {
      if (lastId != null && message.id <= lastId) return; // already seen (replay overlap)
      lastId = message.id;
    }
    emit(message);
  };

  const schedule = () => {
    if (stopped || timer != null) return;
    const delay = backoffDelay(attempt, random);
    attempt += 1;
    timer = later(() => {
      timer = null;
      connect();
    }, delay);
  };

  const connect = () => {
    if (stopped) return;
    onStatus('connecting');
    let opened;
    try {
      opened = new Socket(socketUrl(location, lastId, boot));
    } catch {
      onStatus('closed');
      schedule();
      return;
    }
    socket = opened;
    opened.onopen = () => {
      if (socket === opened) onStatus('open');
    };
    opened.onmessage = (message) => {
      if (socket === opened) onMessage(message.data);
    };
    opened.onclose = () => {
      if (socket !== opened) return;
      socket = null;
      onStatus('closed');
      schedule();
    };
    opened.onerror = () => {};
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      connect();
    },
    stop() {
      stopped = true;
      if (timer != null) cancel(timer);
      timer = null;
      const closing = socket;
      socket = null;
      if (closing) closing.close();
    },
    /** Reconnects now (the browser came back online); a connected socket stays. */
    nudge() {
      if (stopped || socket) return;
      if (timer != null) cancel(timer);
      timer = null;
      attempt = 0;
      connect();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get lastId() {
      return lastId;
    },
    get boot() {
      return boot;
    },
  };
}
