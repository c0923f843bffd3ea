-- Title translation on PostgreSQL. Keep in step with ../sqlite/0003_translation.sql.
-- With the translated title, a resource records what made it: the translator profile and
-- model, and the cleaner plugin's name and version; or why the last attempt failed.

ALTER TABLE resources ADD COLUMN translation_error TEXT;
ALTER TABLE resources ADD COLUMN translation_profile TEXT;
ALTER TABLE resources ADD COLUMN translation_model TEXT;
ALTER TABLE resources ADD COLUMN translation_cleaner TEXT;
ALTER TABLE resources ADD COLUMN translation_cleaner_version TEXT;
ALTER TABLE resources ADD COLUMN translated_at BIGINT;

-- The LLM's raw answers, so asking again for the same thing costs no LLM call.
-- prompt_hash: sha256 (hex) of the API, the model and the rendered prompt; the raw answer
-- is kept (not the cleaned title), so a new cleaner applies to cached answers too.
CREATE TABLE translation_cache (
    prompt_hash TEXT   NOT NULL,
    source_text TEXT   NOT NULL,
    model       TEXT   NOT NULL,
    answer_raw  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (prompt_hash, source_text)
);
