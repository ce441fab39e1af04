-- +goose Up
-- The console's only state: its users' sessions. A session is found by the
-- SHA-256 of the id its cookie holds, so that the table alone signs nobody
-- in; it holds the user's bearer token (forwarded to the backends) until
-- the session expires, at the latest when the token does.
CREATE TABLE sessions (
    id_hash    bytea       PRIMARY KEY,
    csrf       text        NOT NULL,
    principal  jsonb       NOT NULL,
    token      text        NOT NULL,
    tenant     text        NOT NULL,
    locale     text        NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL
);

CREATE INDEX sessions_expires ON sessions (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO console_app;

-- +goose Down
DROP TABLE sessions;
