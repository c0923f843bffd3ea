-- One trigram index over the code and the three titles together, in place of one index
-- per column (0007). Keep in step with ../sqlite/0009_search_text.sql, and with
-- `searched_text` (host/src/store/search_trigrams.rs): a search's condition is on this
-- very expression, or no index serves it.
--
-- With four indexes each trigram of a term was read four times and the four bitmaps
-- joined, and the planner estimated a dozen LIKEs: for a code fragment at a million
-- resources, 3 ms of planning and 4 ms of execution. The columns are joined by a line
-- feed, which no search term holds, so a term never matches across two of them.

DO $$
DECLARE
    ops TEXT;
BEGIN
    SELECT quote_ident(n.nspname) || '.gin_trgm_ops' INTO ops
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF ops IS NOT NULL THEN
        EXECUTE format('CREATE INDEX resources_search_text ON resources USING gin ('
            || 'lower(code || E''\n'' || COALESCE(title_source, '''') '
            || '|| E''\n'' || COALESCE(title_original, '''') '
            || '|| E''\n'' || COALESCE(title_translated, '''')) %s)', ops);
    END IF;
END
$$;

DROP INDEX IF EXISTS resources_search_code;
DROP INDEX IF EXISTS resources_search_title_source;
DROP INDEX IF EXISTS resources_search_title_original;
DROP INDEX IF EXISTS resources_search_title_translated;

ANALYZE resources;
