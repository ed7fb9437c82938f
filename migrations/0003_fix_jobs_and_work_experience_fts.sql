-- JobMatch AI: wrangler migration 0003 (not in the original Worker).
--
-- Makes UPDATE and DELETE of existing jobs and work_experience rows work.
--
-- Why they fail after 0001/0002: jobs_fts and work_experience_fts are FTS5
-- tables with external content (content=jobs / content=work_experience).
-- For such a table FTS5 does not store the text; whenever it needs a row's
-- old values - the "DELETE FROM jobs_fts WHERE rowid = old.rowid" in the
-- delete and update triggers, but also SELECT job_id, highlight(),
-- snippet() and the 'rebuild' command - it reads them back from the content
-- table with "SELECT T.<fts column> ... FROM jobs AS T WHERE T.rowid = ?".
-- The first FTS column is job_id (work_id), which jobs (work_experience) does
-- not have, so the trigger aborts the statement with
-- "no such column: T.job_id" (T.work_id). INSERTs only append to the index
-- and never read the content table, which is why they succeed.
--
-- Fix: the same one 0002 applied to users_fts. Both tables become standalone
-- (contentful) FTS5 tables with unchanged names and columns, so existing
-- MATCH queries keep working and job_id / work_id become readable. The
-- alternative - keeping external content and deleting with the FTS5 'delete'
-- command - would fix the writes but leave every read of job_id / work_id,
-- highlight() and snippet() failing with the same error.
--
-- The update triggers now re-index only when an indexed value (or the rowid)
-- actually changes, so writes such as jobs.match_score, saved/archived or
-- updated_at no longer rewrite the full-text index.
--
-- Trigger names are unchanged: the database still has 9 FTS triggers.

-- ---------------------------------------------------------------------------
-- jobs_fts
-- ---------------------------------------------------------------------------

DROP TRIGGER IF EXISTS jobs_fts_insert;
DROP TRIGGER IF EXISTS jobs_fts_delete;
DROP TRIGGER IF EXISTS jobs_fts_update;
DROP TABLE IF EXISTS jobs_fts;

CREATE VIRTUAL TABLE jobs_fts USING fts5(
    job_id UNINDEXED,
    title,
    company,
    description
);

CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO jobs_fts(rowid, job_id, title, company, description)
    VALUES (new.rowid, new.id, new.title, new.company, new.description);
END;

CREATE TRIGGER jobs_fts_delete AFTER DELETE ON jobs BEGIN
    DELETE FROM jobs_fts WHERE rowid = old.rowid;
END;

CREATE TRIGGER jobs_fts_update AFTER UPDATE ON jobs
WHEN old.rowid IS NOT new.rowid
  OR old.id IS NOT new.id
  OR old.title IS NOT new.title
  OR old.company IS NOT new.company
  OR old.description IS NOT new.description
BEGIN
    DELETE FROM jobs_fts WHERE rowid = old.rowid;
    INSERT INTO jobs_fts(rowid, job_id, title, company, description)
    VALUES (new.rowid, new.id, new.title, new.company, new.description);
END;

INSERT INTO jobs_fts(rowid, job_id, title, company, description)
SELECT rowid, id, title, company, description
FROM jobs;

-- ---------------------------------------------------------------------------
-- work_experience_fts
-- ---------------------------------------------------------------------------

DROP TRIGGER IF EXISTS work_fts_insert;
DROP TRIGGER IF EXISTS work_fts_delete;
DROP TRIGGER IF EXISTS work_fts_update;
DROP TABLE IF EXISTS work_experience_fts;

CREATE VIRTUAL TABLE work_experience_fts USING fts5(
    work_id UNINDEXED,
    user_id UNINDEXED,
    company,
    title,
    description
);

CREATE TRIGGER work_fts_insert AFTER INSERT ON work_experience BEGIN
    INSERT INTO work_experience_fts(rowid, work_id, user_id, company, title, description)
    VALUES (new.rowid, new.id, new.user_id, new.company, new.title, new.description);
END;

CREATE TRIGGER work_fts_delete AFTER DELETE ON work_experience BEGIN
    DELETE FROM work_experience_fts WHERE rowid = old.rowid;
END;

CREATE TRIGGER work_fts_update AFTER UPDATE ON work_experience
WHEN old.rowid IS NOT new.rowid
  OR old.id IS NOT new.id
  OR old.user_id IS NOT new.user_id
  OR old.company IS NOT new.company
  OR old.title IS NOT new.title
  OR old.description IS NOT new.description
BEGIN
    DELETE FROM work_experience_fts WHERE rowid = old.rowid;
    INSERT INTO work_experience_fts(rowid, work_id, user_id, company, title, description)
    VALUES (new.rowid, new.id, new.user_id, new.company, new.title, new.description);
END;

INSERT INTO work_experience_fts(rowid, work_id, user_id, company, title, description)
SELECT rowid, id, user_id, company, title, description
FROM work_experience;
