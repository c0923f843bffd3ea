-- The library schema on SQLite. Times are unix milliseconds (INTEGER); JSON is TEXT.
-- Keep in step with ../postgres/0001_library.sql: the store runs the same SQL on both.

CREATE TABLE resources (
    id                 INTEGER PRIMARY KEY,
    code               TEXT    NOT NULL UNIQUE,
    title_source       TEXT,
    title_original     TEXT,
    title_translated   TEXT,
    translation_status TEXT    NOT NULL DEFAULT 'pending'
        CHECK (translation_status IN ('pending', 'translating', 'completed', 'failed', 'skipped')),
    source_plugin      TEXT,
    source_version     TEXT,
    page_url           TEXT,
    stream_url         TEXT,
    stream_headers     TEXT    NOT NULL DEFAULT '{}',
    release_date       TEXT,
    duration_seconds   INTEGER,
    studio             TEXT,
    label              TEXT,
    series             TEXT,
    description        TEXT,
    cover_file         TEXT,
    cover_source       TEXT,
    video_file         TEXT,
    video_size         INTEGER,
    video_saved_at     INTEGER,
    field_sources      TEXT    NOT NULL DEFAULT '{}',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CHECK ((video_file IS NULL) = (video_saved_at IS NULL))
);

-- A filter with a sort: the list reads the first page from one index instead of
-- sorting every match (translation status and source match a large share of rows).
CREATE INDEX resources_status_code ON resources (translation_status, code);
CREATE INDEX resources_status_release ON resources (translation_status, release_date, id);
CREATE INDEX resources_status_added ON resources (translation_status, created_at, id);
CREATE INDEX resources_status_video ON resources (translation_status, video_saved_at, id) WHERE video_file IS NOT NULL;
CREATE INDEX resources_release_date ON resources (release_date, id);
CREATE INDEX resources_created_at ON resources (created_at, id);
CREATE INDEX resources_source_code ON resources (source_plugin, code);
CREATE INDEX resources_source_release ON resources (source_plugin, release_date, id);
CREATE INDEX resources_source_added ON resources (source_plugin, created_at, id);
CREATE INDEX resources_source_video ON resources (source_plugin, video_saved_at, id) WHERE video_file IS NOT NULL;
-- Downloaded resources, in the order of the "video time" sort; and the undownloaded ones.
CREATE INDEX resources_with_video ON resources (video_saved_at, id) WHERE video_file IS NOT NULL;
CREATE INDEX resources_without_video ON resources (id) WHERE video_file IS NULL;

CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    alias       TEXT,
    avatar_file TEXT,
    avatar_url  TEXT,
    page_url    TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE INDEX people_without_avatar ON people (id) WHERE avatar_file IS NULL;

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE
);

CREATE TABLE resource_people (
    resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (resource_id, person_id)
) WITHOUT ROWID;

CREATE INDEX resource_people_person ON resource_people (person_id, resource_id);

CREATE TABLE resource_tags (
    resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (resource_id, tag_id)
) WITHOUT ROWID;

CREATE INDEX resource_tags_tag ON resource_tags (tag_id, resource_id);

CREATE TABLE settings (
    key        TEXT    NOT NULL PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE source_cookies (
    source     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    url        TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (source, name)
) WITHOUT ROWID;
