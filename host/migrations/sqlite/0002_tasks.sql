-- The durable task queue on SQLite. Keep in step with ../postgres/0002_tasks.sql.
-- Times are unix milliseconds; payload, progress and result are JSON text.

CREATE TABLE tasks (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    lane             TEXT    NOT NULL,
    priority         INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),
    -- At most one pending-or-running task per (kind, dedup_key); NULL: no dedup.
    dedup_key        TEXT,
    payload          TEXT    NOT NULL DEFAULT '{}',
    status           TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_after        INTEGER NOT NULL,
    progress         TEXT,
    result           TEXT,
    error            TEXT,
    lease_holder     TEXT,
    lease_expires_at INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    updated_at       INTEGER NOT NULL
);

CREATE UNIQUE INDEX tasks_dedup ON tasks (kind, dedup_key)
    WHERE status IN ('pending', 'running') AND dedup_key IS NOT NULL;
-- The claim: the next pending task of a lane by priority, then age.
CREATE INDEX tasks_pending ON tasks (lane, priority DESC, id) WHERE status = 'pending';
CREATE INDEX tasks_running ON tasks (lane, lease_expires_at) WHERE status = 'running';
CREATE INDEX tasks_status_kind ON tasks (status, kind, id);
