-- Nothing changes on SQLite. Keep in step with ../postgres/0009_search_text.sql, which
-- puts one trigram index over the code and the three titles together: SQLite's trigram
-- index (`resource_search`, 0007) already holds the four columns in one index.
SELECT 1;
