// The queue reducer: each event type, the REST snapshot, and progress reading.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activeCount, activeTasksFor, applyEvent, completedProgress, emptyState, fromQueueStatus, progressInfo } from '../assets/lib/tasks.js';

const task = (id, extra = {}) => ({ task_id: id, kind: 'download', lane: 'download', status: 'pending', priority: 2, code: `DEMO-00${id}`, attempts: 0, max_attempts: 3, ...extra });
const run = (events, state = emptyState()) => events.reduce(applyEvent, state);

test('a task goes from queued to running to completed', () => {
  let state = run([{ id: 1, type: 'task_queued', data: task(1) }]);
  assert.deepEqual(state.pending, [1]);
  assert.equal(state.tasks[1].status, 'pending');
  state = applyEvent(state, { id: 2, type: 'task_started', data: task(1, { status: 'running', attempts: 1 }) });
  assert.deepEqual(state.pending, []);
  assert.deepEqual(state.running, [1]);
  assert.equal(state.tasks[1].attempts, 1);
  state = applyEvent(state, { id: 3, type: 'task_completed', data: task(1, { status: 'completed', result: { ok: true } }) });
  assert.deepEqual(state.running, []);
  assert.deepEqual(state.finished, [1]);
  assert.deepEqual(state.tasks[1].result, { ok: true });
  assert.equal(state.tasks[1].status, 'completed');
});

test('the input state is never changed', () => {
  const before = run([{ type: 'task_queued', data: task(1) }]);
  const frozen = JSON.stringify(before);
  applyEvent(before, { type: 'task_started', data: task(1) });
  applyEvent(before, { type: 'queue_status', data: { running: [], pending: 0, counts: {} } });
  assert.equal(JSON.stringify(before), frozen);
});

test('pending tasks are in run order: priority first, then age', () => {
  const state = run([
    { type: 'task_queued', data: task(5, { priority: 2 }) },
    { type: 'task_queued', data: task(3, { priority: 2 }) },
    { type: 'task_queued', data: task(9, { priority: 4 }) },
    { type: 'task_queued', data: task(7, { priority: 1 }) },
  ]);
  assert.deepEqual(state.pending, [9, 3, 5, 7]);
});

test('progress updates keep the last report and mark the task running', () => {
  let state = run([{ type: 'task_queued', data: task(1) }]);
  const progress = { segments_done: 3, segments_total: 10, bytes: 3000, bytes_per_second: 1500, eta_seconds: 4.6 };
  state = applyEvent(state, { type: 'progress_update', data: { task_id: 1, kind: 'download', code: 'DEMO-001', progress } });
  assert.deepEqual(state.running, [1]);
  assert.deepEqual(state.tasks[1].progress, progress);
  const later = { ...progress, segments_done: 4 };
  state = applyEvent(state, { type: 'progress_update', data: { task_id: 1, kind: 'download', code: 'DEMO-001', progress: later } });
  assert.equal(state.tasks[1].progress.segments_done, 4);
  assert.deepEqual(state.running, [1]);
});

test('a progress report after the task finished does not bring it back', () => {
  let state = run([
    { type: 'task_started', data: task(1, { status: 'running' }) },
    { type: 'task_cancelled', data: task(1, { status: 'cancelled' }) },
  ]);
  state = applyEvent(state, { type: 'progress_update', data: { task_id: 1, kind: 'download', progress: { done: 1, total: 2 } } });
  assert.deepEqual(state.running, []);
  assert.equal(state.tasks[1].status, 'cancelled');
});

test('a failure that will be retried goes back to pending; a final one is failed', () => {
  let state = run([{ type: 'task_started', data: task(1, { status: 'running' }) }]);
  state = applyEvent(state, { type: 'task_retrying', data: { ...task(1, { status: 'pending', error: 'timeout' }), will_retry: true, retry_at: 123 } });
  assert.deepEqual(state.pending, [1]);
  assert.deepEqual(state.running, []);
  assert.equal(state.tasks[1].retry_at, 123);
  assert.equal(state.tasks[1].error, 'timeout');
  state = applyEvent(state, { type: 'task_started', data: task(1, { status: 'running' }) });
  state = applyEvent(state, { type: 'task_failed', data: { ...task(1, { status: 'failed', error_code: 'code_not_found' }), will_retry: false, retry_at: null } });
  assert.deepEqual(state.pending, []);
  assert.deepEqual(state.finished, [1]);
  assert.equal(state.tasks[1].status, 'failed');
  assert.equal(state.tasks[1].error_code, 'code_not_found');
});

test('queue_status replaces the running set and the counts', () => {
  let state = run([
    { type: 'task_started', data: task(1, { status: 'running' }) },
    { type: 'task_queued', data: task(2) },
  ]);
  state = applyEvent(state, {
    type: 'queue_status',
    data: { running: [task(2, { status: 'running' })], pending: 4, counts: { pending: 4, running: 1, completed: 7 } },
  });
  assert.deepEqual(state.running, [2]);
  assert.deepEqual(state.pending, []);
  assert.equal(state.tasks[2].status, 'running');
  assert.equal(state.pendingCount, 4);
  assert.deepEqual(state.counts, { pending: 4, running: 1, completed: 7 });
  assert.equal(activeCount(state), 5);
});

test('unknown events leave the state as it was', () => {
  const state = run([{ type: 'task_queued', data: task(1) }]);
  assert.equal(applyEvent(state, { type: 'resource_added', data: { code: 'X-1' } }), state);
  assert.equal(applyEvent(state, { type: 'plugin_loaded', data: {} }), state);
});

test('the REST snapshot builds the same shape and keeps finished tasks', () => {
  const before = run([{ type: 'task_completed', data: task(9, { status: 'completed' }) }]);
  const state = fromQueueStatus({
    running: [{ id: 1, kind: 'download', lane: 'download', status: 'running', priority: 2, payload: { code: 'DEMO-001' }, progress: { done: 1, total: 4 } }],
    pending: [
      { id: 3, kind: 'add_resource', status: 'pending', priority: 3, payload: { code: 'DEMO-003' } },
      { id: 2, kind: 'add_resource', status: 'pending', priority: 2, payload: { code: 'DEMO-002' } },
    ],
    counts: { running: 1, pending: 2, completed: 10 },
  }, before);
  assert.deepEqual(state.running, [1]);
  assert.deepEqual(state.pending, [3, 2], 'the server order is kept');
  assert.equal(state.tasks[1].code, 'DEMO-001');
  assert.deepEqual(state.finished, [9]);
  assert.equal(state.tasks[9].status, 'completed');
  assert.equal(activeCount(state), 3);
  assert.deepEqual(activeTasksFor(state, 'DEMO-003').map((t) => t.id), [3]);
  assert.deepEqual(activeTasksFor(state, 'DEMO-001', ['add_resource']), []);
});

test('finished tasks are remembered up to a bound', () => {
  let state = emptyState();
  for (let id = 1; id <= 250; id += 1) state = applyEvent(state, { type: 'task_completed', data: task(id, { status: 'completed' }) });
  assert.equal(state.finished.length, 200);
  assert.equal(state.finished[0], 250);
  assert.equal(state.tasks[1], undefined);
  assert.equal(Object.keys(state.tasks).length, 200);
});

test('progress reports of every shape are read', () => {
  const check = (progress, expected) => assert.deepEqual(progressInfo(progress), expected, JSON.stringify(progress));
  check({ segments_done: 5, segments_total: 20, bytes: 1000, bytes_per_second: 250.5, eta_seconds: 12 },
    { percent: 25, done: 5, total: 20, segments: true, bytes: 1000, speed: 250.5, eta: 12 });
  check({ segments_done: 0, segments_total: 8, bytes: 0, bytes_per_second: 0, eta_seconds: null },
    { percent: 0, done: 0, total: 8, segments: true, bytes: 0, speed: 0, eta: null });
  check({ done: 3, total: 4 }, { percent: 75, done: 3, total: 4, segments: false, bytes: null, speed: null, eta: null });
  check({ percent: 140 }, { percent: 100, done: null, total: null, segments: false, bytes: null, speed: null, eta: null });
  check({ done: 1, total: 0 }, { percent: null, done: 1, total: 0, segments: false, bytes: null, speed: null, eta: null });
  assert.equal(progressInfo(null), null);
  assert.equal(progressInfo('text'), null);
});

test('a completed task shows its last progress made whole', () => {
  const last = { segments_done: 38, segments_total: 40, percent: 95, bytes: 1000, eta_seconds: 1 };
  const whole = completedProgress(last);
  assert.equal(progressInfo(whole).percent, 100);
  assert.equal(whole.segments_done, 40);
  assert.equal(whole.eta_seconds, 0);
  assert.equal(whole.bytes, 1000, 'the bytes it reported are kept');
  assert.equal(completedProgress({ done: 2, total: 5 }).done, 5);
  assert.equal(completedProgress(null), null);
  assert.equal(last.percent, 95, 'the task itself is left as it was');
});
