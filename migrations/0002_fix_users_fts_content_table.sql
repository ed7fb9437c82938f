-- JobMatch AI: wrangler migration 0002, as in the original Worker.
--
-- users_fts was created in 0001 as an external-content table over users,
-- but its first column is user_id and users has only id, so every UPDATE or
-- DELETE of a users row failed inside the FTS5 trigger with
-- "no such column: T.user_id". The original fixed it by turning users_fts
-- into a standalone (contentful) FTS5 table that keeps its own copy of the
-- text, re-creating the three triggers without IF NOT EXISTS, and filling the
-- new index from the existing users rows. This file does the same.

DROP TRIGGER IF EXISTS users_fts_update;
DROP TRIGGER IF EXISTS users_fts_delete;
DROP TRIGGER IF EXISTS users_fts_insert;
DROP TABLE IF EXISTS users_fts;

-- Same columns as before, without content=users / content_rowid.
CREATE VIRTUAL TABLE users_fts USING fts5(
    user_id UNINDEXED,
    first_name,
    last_name,
    email,
    current_title,
    professional_summary
);

CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_fts(rowid, user_id, first_name, last_name, email, current_title, professional_summary)
    VALUES (new.rowid, new.id, new.first_name, new.last_name, new.email, new.current_title, new.professional_summary);
END;

CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_fts WHERE rowid = old.rowid;
END;

CREATE TRIGGER users_fts_update AFTER UPDATE ON users BEGIN
    DELETE FROM users_fts WHERE rowid = old.rowid;
    INSERT INTO users_fts(rowid, user_id, first_name, last_name, email, current_title, professional_summary)
    VALUES (new.rowid, new.id, new.first_name, new.last_name, new.email, new.current_title, new.professional_summary);
END;

-- Backfill from the rows that existed before this migration.
INSERT INTO users_fts(rowid, user_id, first_name, last_name, email, current_title, professional_summary)
SELECT rowid, id, first_name, last_name, email, current_title, professional_summary
FROM users;
