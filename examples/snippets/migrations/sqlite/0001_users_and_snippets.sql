-- SQLite. Only INTEGER and TEXT columns: sqlx's Any driver refuses a column declared
-- BOOLEAN or DATETIME on SQLite, so `linenos` is 0 or 1 and `created` is milliseconds
-- since the Unix epoch, as in ../postgres (BOOLEAN and BIGINT there).
-- AUTOINCREMENT: an id is never reused, even after the newest row is deleted.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created INTEGER NOT NULL
);

CREATE TABLE snippets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    code TEXT NOT NULL,
    linenos INTEGER NOT NULL CHECK (linenos IN (0, 1)),
    language TEXT NOT NULL,
    style TEXT NOT NULL,
    highlighted TEXT NOT NULL,
    created INTEGER NOT NULL
);

CREATE INDEX snippets_owner_id ON snippets (owner_id, id);
