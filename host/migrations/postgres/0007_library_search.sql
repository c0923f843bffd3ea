-- Library search by substring from an index. Keep in step with
-- ../sqlite/0007_library_search.sql.
--
-- Trigram indexes (pg_trgm) on the lower-cased code and titles serve the search's
-- `lower(column) LIKE '%term%'` without reading every row. pg_trgm ships with
-- PostgreSQL and is a trusted extension (a database owner may create it); where it
-- cannot be created, the migration still applies and search reads every row, as
-- before, with a warning.

DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'pg_trgm is not available (%): library search reads every row', SQLERRM;
END
$$;

DO $$
DECLARE
    ops TEXT;
BEGIN
    SELECT quote_ident(n.nspname) || '.gin_trgm_ops' INTO ops
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF ops IS NOT NULL THEN
        EXECUTE format('CREATE INDEX resources_search_code ON resources USING gin (lower(code) %s)', ops);
        EXECUTE format('CREATE INDEX resources_search_title_source ON resources USING gin (lower(title_source) %s)', ops);
        EXECUTE format('CREATE INDEX resources_search_title_original ON resources USING gin (lower(title_original) %s)', ops);
        EXECUTE format('CREATE INDEX resources_search_title_translated ON resources USING gin (lower(title_translated) %s)', ops);
    END IF;
END
$$;

ANALYZE resources;
