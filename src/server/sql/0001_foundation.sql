-- 0001_foundation.sql - the database's identity.
-- schema_migrations itself is created by batond before any migration runs.

CREATE TABLE baton_meta (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A random id that names this database in logs and in System/Info, so that
-- operators running several instances can see that they share one database.
INSERT INTO baton_meta (key, value) VALUES ('database_id', gen_random_uuid()::text);
