-- The tracks a download saved beside the video in files of their own (WebVTT subtitles,
-- and audio renditions kept apart when they could not be remuxed): a JSON array of
-- {kind, tag, language, name, file}, file relative to the media directory; NULL: none.
-- Keep in step with ../sqlite/0008_video_tracks.sql.
ALTER TABLE resources ADD COLUMN video_tracks TEXT;
