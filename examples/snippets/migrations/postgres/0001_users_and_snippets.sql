-- PostgreSQL. The same tables as ../sqlite, column for column; `created` is
-- milliseconds since the Unix epoch (sqlx's Any driver has no timestamp type).
CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created BIGINT NOT NULL
);

CREATE TABLE snippets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    code TEXT NOT NULL,
    linenos BOOLEAN NOT NULL,
    language TEXT NOT NULL,
    style TEXT NOT NULL,
    highlighted TEXT NOT NULL,
    created BIGINT NOT NULL
);

CREATE INDEX snippets_owner_id ON snippets (owner_id, id);
