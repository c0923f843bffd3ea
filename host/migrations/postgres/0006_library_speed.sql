-- Library speed. Keep in step with ../sqlite/0006_library_speed.sql.
--
-- 1. Keyset paging needs sort keys without NULLs: the release-date sort orders by
--    COALESCE(release_date, ''), which is the order it had (missing dates first
--    ascending, last descending) and can be compared as a row value.
-- 2. A person or tag filter reads one page from one index range: the sort keys are
--    copied onto the links (kept in step by the trigger below and by the store, which
--    writes them with each link).
-- 3. Committed library writes are announced on the channel `kura_library` (NOTIFY is
--    delivered at commit and takes no row lock); the server listens to drop cached list
--    pages and to answer conditional requests without a query. library_generation is
--    the SQLite counterpart and is not used here.

DROP INDEX resources_status_release;
DROP INDEX resources_release_date;
DROP INDEX resources_source_release;
CREATE INDEX resources_status_release ON resources (translation_status, COALESCE(release_date, ''), id);
CREATE INDEX resources_release_key ON resources (COALESCE(release_date, ''), id);
CREATE INDEX resources_source_release ON resources (source_plugin, COALESCE(release_date, ''), id);
-- Downloaded resources in each sort (the video-time sort has resources_with_video). The
-- undownloaded ones are found along the plain sort indexes: the planner would otherwise
-- take an index of them by id and sort every match.
DROP INDEX resources_without_video;
CREATE INDEX resources_with_video_code ON resources (code) WHERE video_file IS NOT NULL;
CREATE INDEX resources_with_video_release ON resources (COALESCE(release_date, ''), id) WHERE video_file IS NOT NULL;
CREATE INDEX resources_with_video_added ON resources (created_at, id) WHERE video_file IS NOT NULL;

ALTER TABLE resource_people ADD COLUMN code TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE resource_people ADD COLUMN release_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE resource_people ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE resource_people ADD COLUMN video_saved_at BIGINT;
ALTER TABLE resource_tags ADD COLUMN code TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE resource_tags ADD COLUMN release_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE resource_tags ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE resource_tags ADD COLUMN video_saved_at BIGINT;

UPDATE resource_people SET code = r.code, release_key = COALESCE(r.release_date, ''),
    created_at = r.created_at, video_saved_at = r.video_saved_at
    FROM resources r WHERE r.id = resource_people.resource_id;
UPDATE resource_tags SET code = r.code, release_key = COALESCE(r.release_date, ''),
    created_at = r.created_at, video_saved_at = r.video_saved_at
    FROM resources r WHERE r.id = resource_tags.resource_id;

-- The person's and tag's sort indexes serve their counts and cascades too, so the plain
-- (person_id, resource_id) and (tag_id, resource_id) indexes go.
DROP INDEX resource_people_person;
DROP INDEX resource_tags_tag;
CREATE INDEX resource_people_code ON resource_people (person_id, code);
CREATE INDEX resource_people_release ON resource_people (person_id, release_key, resource_id);
CREATE INDEX resource_people_added ON resource_people (person_id, created_at, resource_id);
CREATE INDEX resource_people_video ON resource_people (person_id, video_saved_at, resource_id) WHERE video_saved_at IS NOT NULL;
CREATE INDEX resource_tags_code ON resource_tags (tag_id, code);
CREATE INDEX resource_tags_release ON resource_tags (tag_id, release_key, resource_id);
CREATE INDEX resource_tags_added ON resource_tags (tag_id, created_at, resource_id);
CREATE INDEX resource_tags_video ON resource_tags (tag_id, video_saved_at, resource_id) WHERE video_saved_at IS NOT NULL;

CREATE FUNCTION kura_resource_link_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE resource_people SET code = NEW.code, release_key = COALESCE(NEW.release_date, ''),
        created_at = NEW.created_at, video_saved_at = NEW.video_saved_at
        WHERE resource_id = NEW.id;
    UPDATE resource_tags SET code = NEW.code, release_key = COALESCE(NEW.release_date, ''),
        created_at = NEW.created_at, video_saved_at = NEW.video_saved_at
        WHERE resource_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER resources_link_keys AFTER UPDATE OF code, release_date, created_at, video_saved_at ON resources
FOR EACH ROW
WHEN (NEW.code IS DISTINCT FROM OLD.code OR NEW.release_date IS DISTINCT FROM OLD.release_date
    OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.video_saved_at IS DISTINCT FROM OLD.video_saved_at)
EXECUTE FUNCTION kura_resource_link_keys();

CREATE FUNCTION kura_library_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kura_library', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER resources_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON resources
FOR EACH STATEMENT EXECUTE FUNCTION kura_library_changed();
CREATE TRIGGER people_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON people
FOR EACH STATEMENT EXECUTE FUNCTION kura_library_changed();
CREATE TRIGGER tags_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tags
FOR EACH STATEMENT EXECUTE FUNCTION kura_library_changed();
CREATE TRIGGER resource_people_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON resource_people
FOR EACH STATEMENT EXECUTE FUNCTION kura_library_changed();
CREATE TRIGGER resource_tags_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON resource_tags
FOR EACH STATEMENT EXECUTE FUNCTION kura_library_changed();

ANALYZE resources, resource_people, resource_tags;
