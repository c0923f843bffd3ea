// The /ws/tasks client with a fake socket and fake timers: resume after a blip,
// resync after a restart or lost events, backoff, no duplicates.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, createLive, socketUrl } from '../assets/lib/live.js';

function harness() {
  const sockets = [];
  const timers = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.closed = false;
      sockets.push(this);
    }
    close() {
      this.closed = true;
    }
    open() {
      this.onopen?.();
    }
    send(message) {
      this.onmessage?.({ data: JSON.stringify(message) });
    }
    drop() {
      this.onclose?.();
    }
  }
  const events = [];
  const statuses = [];
  const live = createLive({
    location: { protocol: 'http:', host: '127.0.0.1:8380' },
    WebSocket: FakeSocket,
    setTimeout: (fn, ms) => timers.push({ fn, ms }) - 1,
    clearTimeout: (id) => { timers[id] = null; },
    random: () => 0.5,
    onStatus: (s) => statuses.push(s),
  });
  live.subscribe((e) => events.push(e));
  const fire = () => {
    const index = timers.findLastIndex(Boolean);
    const timer = timers[index];
    timers[index] = null;
    timer.fn();
    return timer.ms;
  };
  return { live, sockets, timers, events, statuses, fire };
}

const hello = (boot, last_id, resync = false) => ({ type: 'hello', data: { boot, last_id, resync, missed: 0 } });
const event = (id, type = 'task_queued') => ({ id, type, at_ms: 1, data: { task_id: id } });

test('the socket URL resumes only when the run is known', () => {
  assert.equal(socketUrl({ protocol: 'http:', host: 'h:1' }, null, null), 'ws://h:1/ws/tasks');
  assert.equal(socketUrl({ protocol: 'https:', host: 'h' }, 7, 'ab'), 'wss://h/ws/tasks?since=7&boot=ab');
  assert.equal(socketUrl({ protocol: 'http:', host: 'h' }, 0, 'ab'), 'ws://h/ws/tasks?since=0&boot=ab');
  assert.equal(socketUrl({ protocol: 'http:', host: 'h' }, 5, null), 'ws://h/ws/tasks');
});

test('backoff doubles from half a second up to 15 s, with jitter', () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 20].map((n) => backoffDelay(n, mid)), [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  assert.equal(backoffDelay(0, () => 0), 375);
  assert.equal(backoffDelay(0, () => 1), 625);
});

test('a blip resumes after the last event seen, with nothing lost or repeated', () => {
  const h = harness();
  h.live.start();
  assert.equal(h.sockets[0].url, 'ws://127.0.0.1:8380/ws/tasks');
  h.sockets[0].open();
  h.sockets[0].send(hello('b1', 10));
  assert.deepEqual(h.events.map((e) => e.type), ['hello']);
  h.sockets[0].send(event(11));
  h.sockets[0].send(event(12));
  h.sockets[0].drop();
  assert.equal(h.statuses.at(-1), 'closed');
  assert.equal(h.fire(), 500);
  assert.equal(h.sockets[1].url, 'ws://127.0.0.1:8380/ws/tasks?since=12&boot=b1');
  h.sockets[1].open();
  h.sockets[1].send(hello('b1', 14));
  h.sockets[1].send(event(12));
  h.sockets[1].send(event(13));
  h.sockets[1].send(event(14));
  assert.deepEqual(h.events.map((e) => e.id ?? e.type), ['hello', 11, 12, 13, 14]);
  assert.equal(h.live.lastId, 14);
  assert.deepEqual(h.statuses, ['connecting', 'open', 'closed', 'connecting', 'open']);
});

test('a server restart asks for a reload and starts from the new run', () => {
  const h = harness();
  h.live.start();
  h.sockets[0].send(hello('b1', 3));
  h.sockets[0].send(event(4));
  h.sockets[0].drop();
  h.fire();
  h.sockets[1].send(hello('b2', 1, true));
  assert.deepEqual(h.events.map((e) => e.type), ['hello', 'task_queued', 'resync']);
  h.sockets[1].send(event(2));
  assert.equal(h.events.at(-1).id, 2, 'ids of the new run are not taken for duplicates');
  h.sockets[1].drop();
  h.fire();
  assert.equal(h.sockets[2].url, 'ws://127.0.0.1:8380/ws/tasks?since=2&boot=b2');
});

test('lost events on the same run and a resync message both ask for a reload', () => {
  const h = harness();
  h.live.start();
  h.sockets[0].send(hello('b1', 0));
  h.sockets[0].drop();
  h.fire();
  h.sockets[1].send(hello('b1', 5000, true));
  assert.equal(h.events.at(-1).type, 'resync');
  assert.equal(h.live.lastId, 5000);
  h.sockets[1].send({ type: 'resync', data: { missed: 12 } });
  assert.deepEqual(h.events.at(-1), { type: 'resync', data: { missed: 12 } });
});

test('failures back off further until a connection says hello', () => {
  const h = harness();
  h.live.start();
  h.sockets[0].drop();
  assert.equal(h.fire(), 500);
  h.sockets[1].drop();
  assert.equal(h.fire(), 1000);
  h.sockets[2].drop();
  assert.equal(h.fire(), 2000);
  h.sockets[3].send(hello('b1', 0));
  h.sockets[3].drop();
  assert.equal(h.fire(), 500);
});

test('stop closes the socket and cancels the retry; nudge reconnects at once', () => {
  const h = harness();
  h.live.start();
  h.sockets[0].drop();
  h.live.nudge();
  assert.equal(h.sockets.length, 2, 'nudged while waiting');
  assert.ok(h.timers.every((t) => t === null), 'the pending retry is cancelled');
  h.live.nudge();
  assert.equal(h.sockets.length, 2, 'a live socket is kept');
  h.live.stop();
  assert.ok(h.sockets[1].closed);
  h.sockets[1].drop();
  assert.ok(h.timers.every((t) => t === null), 'no retry after stop');
});

test('malformed messages are ignored and a failing listener does not stop the others', () => {
  const h = harness();
  const seen = [];
  h.live.subscribe(() => { throw new Error('boom'); });
  h.live.subscribe((e) => seen.push(e.type));
  const error = console.error;
  console.error = () => {};
  try {
    h.live.start();
    h.sockets[0].onmessage({ data: 'not json' });
    h.sockets[0].send(hello('b1', 0));
    h.sockets[0].send(event(1));
  } finally {
    console.error = error;
  }
  assert.deepEqual(seen, ['hello', 'task_queued']);
});
