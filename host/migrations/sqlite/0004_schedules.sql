-- Schedule state on SQLite. Keep in step with ../postgres/0004_schedules.sql.
-- One row per configured schedule: the last tick that fired (unix ms), so a tick fires
-- once across restarts and across hosts sharing the database.

CREATE TABLE schedules (
    name         TEXT    NOT NULL PRIMARY KEY,
    last_fire_at INTEGER,
    last_task_id INTEGER,
    last_error   TEXT,
    updated_at   INTEGER NOT NULL
);
