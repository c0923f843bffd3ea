-- Library search by substring from an index. Keep in step with
-- ../postgres/0007_library_search.sql.
--
-- resource_search indexes every three-character run of the code and the titles (FTS5's
-- trigram tokenizer, case-folded), so a search finds its candidates without reading
-- every row. It keeps no text and names no other table (contentless, with deletes by
-- rowid): its rowid is the resource's id, and the triggers below keep it in step.

CREATE VIRTUAL TABLE resource_search USING fts5(
    code, title_source, title_original, title_translated,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO resource_search (rowid, code, title_source, title_original, title_translated)
    SELECT id, code, title_source, title_original, title_translated FROM resources;

CREATE TRIGGER resources_search_inserted AFTER INSERT ON resources
BEGIN
    INSERT INTO resource_search (rowid, code, title_source, title_original, title_translated)
        VALUES (NEW.id, NEW.code, NEW.title_source, NEW.title_original, NEW.title_translated);
END;
CREATE TRIGGER resources_search_deleted AFTER DELETE ON resources
BEGIN
    DELETE FROM resource_search WHERE rowid = OLD.id;
END;
CREATE TRIGGER resources_search_updated AFTER UPDATE OF code, title_source, title_original, title_translated ON resources
WHEN NEW.code IS NOT OLD.code OR NEW.title_source IS NOT OLD.title_source
    OR NEW.title_original IS NOT OLD.title_original OR NEW.title_translated IS NOT OLD.title_translated
BEGIN
    DELETE FROM resource_search WHERE rowid = OLD.id;
    INSERT INTO resource_search (rowid, code, title_source, title_original, title_translated)
        VALUES (NEW.id, NEW.code, NEW.title_source, NEW.title_original, NEW.title_translated);
END;

-- Statistics the earlier migrations gathered on empty tables say "no rows", and the
-- planner keeps believing it as the library grows; without them it assumes large tables.
-- The server gathers statistics again as tables grow.
DELETE FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) = 0;
