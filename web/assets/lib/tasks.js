// The task queue as the UI knows it, kept current by /ws/tasks events: a pure reducer
// `applyEvent(state, event)`, the state built from `GET /api/tasks/queue/status`, and
// the reading of a task's progress report. Never mutates its input.

/** How many finished tasks are remembered (for pages that follow a task they started). */
export const FINISHED_KEPT = 200;

export function emptyState() {
  return { tasks: {}, running: [], pending: [], finished: [], counts: {}, pendingCount: 0 };
}

/** A task from an event (`task_id`) or a stored row (`id`, code in `payload`) in one shape. */
export function normalizeTask(source, previous = {}) {
  const id = source.task_id ?? source.id ?? previous.id;
  const code = source.code ?? source.payload?.code ?? previous.code ?? null;
  const task = { ...previous, id, code };
  for (const key of [
    'kind',
    'lane',
    'status',
    'priority',
    'attempts',
    'max_attempts',
    'error',
    'error_code',
    'progress',
    'result',
    'payload',
    'created_at',
    'started_at',
    'finished_at',
    'run_after',
  ]) {
    if (source[key] !== undefined) task[key] = source[key];
  }
  return task;
}

/** Pending tasks run by priority (high first), then age. */
function byRunOrder(tasks) {
  return (a, b) => {
    const pa = tasks[a]?.priority ?? 2;
    const pb = tasks[b]?.priority ?? 2;
    return pb - pa || a - b;
  };
}

function without(list, id) {
  return list.includes(id) ? list.filter((x) => x !== id) : list;
}

function withTask(state, task) {
  return { ...state, tasks: { ...state.tasks, [task.id]: task } };
}

function toRunning(state, task) {
  const next = withTask(state, task);
  next.pending = without(state.pending, task.id);
  next.finished = without(state.finished, task.id);
  next.running = state.running.includes(task.id) ? state.running : [...state.running, task.id];
  return next;
}

function toPending(state, task) {
  const next = withTask(state, task);
  next.running = without(state.running, task.id);
  next.finished = without(state.finished, task.id);
  const pending = state.pending.includes(task.id) ? state.pending : [...state.pending, task.id];
  next.pending = [...pending].sort(byRunOrder(next.tasks));
  return next;
}

function toFinished(state, task) {
  const next = withTask(state, task);
  next.running = without(state.running, task.id);
  next.pending = without(state.pending, task.id);
  const finished = [task.id, ...without(state.finished, task.id)];
  const dropped = finished.slice(FINISHED_KEPT);
  next.finished = finished.slice(0, FINISHED_KEPT);
  if (dropped.length) {
    const tasks = { ...next.tasks };
    for (const id of dropped) delete tasks[id];
    next.tasks = tasks;
  }
  return next;
}

/** The state after one event `{id?, type, at_ms?, data}`; unknown types leave it as it was. */
export function applyEvent(state, event) {
  const data = event?.data ?? {};
  const previous = state.tasks[data.task_id] ?? {};
  switch (event?.type) {
    case 'task_queued':
      return toPending(state, normalizeTask({ ...data, status: 'pending' }, previous));
    case 'task_started':
      return toRunning(state, normalizeTask({ ...data, status: 'running' }, previous));
    case 'progress_update': {
      const task = normalizeTask(
        { task_id: data.task_id, kind: data.kind, code: data.code, progress: data.progress },
        previous,
      );
      if (!task.status || task.status === 'pending') task.status = 'running';
      if (task.status !== 'running') return withTask(state, task);
      return toRunning(state, task);
    }
    case 'task_completed':
      return toFinished(state, normalizeTask({ ...data, status: 'completed' }, previous));
    case 'task_cancelled':
      return toFinished(state, normalizeTask({ ...data, status: 'cancelled' }, previous));
    case 'task_retrying':
    case 'task_failed': {
      const task = normalizeTask(data, previous);
      task.will_retry = event.type === 'task_retrying' || Boolean(data.will_retry);
      task.retry_at = data.retry_at ?? null;
      if (task.will_retry) return toPending(state, { ...task, status: 'pending' });
      return toFinished(state, { ...task, status: 'failed' });
    }
    case 'queue_status':
      return applyQueueStatus(state, data);
    default:
      return state;
  }
}

/** A `queue_status` event: the running tasks as they are, the pending count, counts. */
function applyQueueStatus(state, data) {
  const tasks = { ...state.tasks };
  const running = [];
  for (const row of data.running ?? []) {
    const task = normalizeTask(row, tasks[row.task_id]);
    task.status = 'running';
    tasks[task.id] = task;
    running.push(task.id);
  }
  // A task missing from `running` finished or went back to the queue: its own event says which.
  return {
    ...state,
    tasks,
    running,
    pending: state.pending.filter((id) => !running.includes(id)),
    counts: { ...(data.counts ?? {}) },
    pendingCount: data.pending ?? state.pendingCount,
  };
}

/** The state from `GET /api/tasks/queue/status` (after a load or a resync). */
export function fromQueueStatus(status, previous = emptyState()) {
  let state = { ...emptyState(), finished: previous.finished, tasks: {} };
  for (const id of previous.finished) state.tasks[id] = previous.tasks[id];
  for (const row of status.running ?? []) {
    state = toRunning(state, normalizeTask({ ...row, status: 'running' }));
  }
  for (const row of status.pending ?? []) {
    const task = normalizeTask({ ...row, status: 'pending' });
    state = withTask(state, task);
    state.pending = [...state.pending, task.id];
  }
  state.counts = { ...(status.counts ?? {}) };
  state.pendingCount = status.counts?.pending ?? state.pending.length;
  return state;
}

/** Tasks running or waiting, for the activity indicator. */
export function activeCount(state) {
  const running = state.counts.running ?? state.running.length;
  const pending = state.counts.pending ?? state.pendingCount ?? state.pending.length;
  return Math.max(running, state.running.length) + Math.max(pending, state.pending.length);
}

/** The tasks of a code that are running or pending, running first. */
export function activeTasksFor(state, code, kinds) {
  const ids = [...state.running, ...state.pending];
  return ids
    .map((id) => state.tasks[id])
    .filter((task) => task && task.code === code && (!kinds || kinds.includes(task.kind)));
}

function number(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * The progress of a task that completed: its last report made whole (100%, every
 * segment), since the final report may have gone out a moment before the end.
 */
export function completedProgress(progress) {
  if (!progress || typeof progress !== 'object') return progress;
  const whole = { ...progress, percent: 100, eta_seconds: 0 };
  if (progress.segments_total != null) whole.segments_done = progress.segments_total;
  if (progress.total != null) whole.done = progress.total;
  return whole;
}

/**
 * What a progress report says, whatever the kind: a download's
 * `{segments_done, segments_total, bytes, bytes_per_second, eta_seconds}`, a counted
 * job's `{done, total}`, or a `percent`.
 */
export function progressInfo(progress) {
  if (!progress || typeof progress !== 'object') return null;
  const done = number(progress.segments_done) ?? number(progress.done);
  const total = number(progress.segments_total) ?? number(progress.total);
  let percent = number(progress.percent);
  if (percent == null && done != null && total) percent = (done / total) * 100;
  if (percent != null) percent = Math.min(100, Math.max(0, percent));
  return {
    percent,
    done,
    total,
    segments: progress.segments_total != null,
    bytes: number(progress.bytes),
    speed: number(progress.bytes_per_second),
    eta: number(progress.eta_seconds),
  };
}
