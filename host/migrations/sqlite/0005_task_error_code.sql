-- The stable error code of a failed or cancelled task, beside its message. Keep in step
-- with ../postgres/0005_task_error_code.sql.
ALTER TABLE tasks ADD COLUMN error_code TEXT;
