-- JobMatch AI: wrangler migration 0005 (not in the original Worker).
--
-- Adds the columns that the Worker's SQL names but the original schema lacks
-- (jobmatch-contract.md §5.6), so the statements below prepare and run:
--
--   users         LinkedIn import UPDATE (GET /api/auth/linkedin/callback)
--   skills        ORDER BY endorsements (applications/generate, jobs/:id/analyze)
--   jobs          is_saved / is_archived / work_arrangement filters and updates
--                 (GET, PATCH /api/jobs, jobs/cleanup) and the scraper INSERT
--   canonical_job_metadata   the scraper's dedup lookup and INSERT
--   email_history the history INSERT of the email service
--
-- Only ALTER TABLE ADD COLUMN is used: every existing row and every column of
-- the original keeps its place, so SELECT * returns the original columns first
-- and the new ones after them. (applications needs a changed CHECK constraint
-- and is rebuilt separately in 0006.) ADD COLUMN cannot carry an expression
-- default such as (datetime('now')), so the new timestamp columns have none.

-- ---------------------------------------------------------------------------
-- users: LinkedIn import
-- ---------------------------------------------------------------------------

ALTER TABLE users ADD COLUMN linkedin_imported INTEGER DEFAULT 0;
ALTER TABLE users ADD COLUMN linkedin_imported_at TEXT;
ALTER TABLE users ADD COLUMN linkedin_limited_access INTEGER DEFAULT 0;
ALTER TABLE users ADD COLUMN profile_image_url TEXT;
ALTER TABLE users ADD COLUMN locale TEXT;

-- ---------------------------------------------------------------------------
-- skills: the code orders by "endorsements"; the schema's count is
-- endorsed_count. A virtual generated column makes the name an alias, so
-- there is one value and nothing to keep in sync.
-- ---------------------------------------------------------------------------

ALTER TABLE skills ADD COLUMN endorsements INTEGER GENERATED ALWAYS AS (endorsed_count) VIRTUAL;

-- ---------------------------------------------------------------------------
-- jobs
-- ---------------------------------------------------------------------------

-- Written by the scraper.
ALTER TABLE jobs ADD COLUMN search_id TEXT REFERENCES job_searches(id) ON DELETE SET NULL;
ALTER TABLE jobs ADD COLUMN canonical_id TEXT;          -- canonical_job_metadata.id
ALTER TABLE jobs ADD COLUMN company_logo TEXT;
ALTER TABLE jobs ADD COLUMN work_arrangement TEXT;      -- Remote | Hybrid | On-site | Unknown
ALTER TABLE jobs ADD COLUMN posted_date TEXT;
ALTER TABLE jobs ADD COLUMN required_skills TEXT;       -- JSON array
ALTER TABLE jobs ADD COLUMN preferred_skills TEXT;      -- JSON array
ALTER TABLE jobs ADD COLUMN scraped_at TEXT;
-- Read and written by the job routes, which use these names while the
-- schema (and the scraper) use saved / archived.
ALTER TABLE jobs ADD COLUMN is_saved INTEGER DEFAULT 0;
ALTER TABLE jobs ADD COLUMN is_archived INTEGER DEFAULT 0;

UPDATE jobs
SET is_saved = coalesce(saved, 0), is_archived = coalesce(archived, 0)
WHERE is_saved IS NOT coalesce(saved, 0) OR is_archived IS NOT coalesce(archived, 0);

-- Keep saved = is_saved and archived = is_archived whichever name a statement
-- writes. On UPDATE the name whose value changed wins (is_* if both did; a
-- name assigned its current value counts as unchanged); on INSERT a flag set
-- under either name is set under both. The
-- WHEN clauses make the triggers no-ops once the pairs agree, so they cannot
-- loop even with recursive_triggers on.
CREATE TRIGGER jobs_flags_sync_insert AFTER INSERT ON jobs
WHEN new.saved IS NOT new.is_saved OR new.archived IS NOT new.is_archived
BEGIN
    UPDATE jobs SET
        saved       = (coalesce(new.saved, 0) OR coalesce(new.is_saved, 0)),
        is_saved    = (coalesce(new.saved, 0) OR coalesce(new.is_saved, 0)),
        archived    = (coalesce(new.archived, 0) OR coalesce(new.is_archived, 0)),
        is_archived = (coalesce(new.archived, 0) OR coalesce(new.is_archived, 0))
    WHERE rowid = new.rowid;
END;

CREATE TRIGGER jobs_flags_sync_update AFTER UPDATE OF saved, archived, is_saved, is_archived ON jobs
WHEN new.saved IS NOT new.is_saved OR new.archived IS NOT new.is_archived
BEGIN
    UPDATE jobs SET
        saved       = CASE WHEN new.is_saved IS NOT old.is_saved THEN new.is_saved ELSE new.saved END,
        is_saved    = CASE WHEN new.is_saved IS NOT old.is_saved THEN new.is_saved ELSE new.saved END,
        archived    = CASE WHEN new.is_archived IS NOT old.is_archived THEN new.is_archived ELSE new.archived END,
        is_archived = CASE WHEN new.is_archived IS NOT old.is_archived THEN new.is_archived ELSE new.archived END
    WHERE rowid = new.rowid;
END;

-- GET /api/jobs: WHERE user_id = ? AND is_archived = ? ... ORDER BY created_at DESC.
CREATE INDEX idx_jobs_user_is_archived_created ON jobs(user_id, is_archived, created_at DESC);
-- Lets ON DELETE SET NULL from job_searches find the jobs of a search.
CREATE INDEX idx_jobs_search_id ON jobs(search_id);

-- ---------------------------------------------------------------------------
-- canonical_job_metadata: the scraper keys its dedup records by id and
-- job_hash and never sets job_id (a TEXT primary key, so NULL is accepted).
-- ---------------------------------------------------------------------------

ALTER TABLE canonical_job_metadata ADD COLUMN id TEXT;
ALTER TABLE canonical_job_metadata ADD COLUMN job_hash TEXT;
ALTER TABLE canonical_job_metadata ADD COLUMN title TEXT;
ALTER TABLE canonical_job_metadata ADD COLUMN company TEXT;
ALTER TABLE canonical_job_metadata ADD COLUMN location TEXT;
ALTER TABLE canonical_job_metadata ADD COLUMN first_seen TEXT;
ALTER TABLE canonical_job_metadata ADD COLUMN last_seen TEXT;
ALTER TABLE canonical_job_metadata ADD COLUMN created_at TEXT;

CREATE UNIQUE INDEX idx_canonical_metadata_id ON canonical_job_metadata(id);
CREATE INDEX idx_canonical_metadata_job_hash ON canonical_job_metadata(job_hash);

-- ---------------------------------------------------------------------------
-- email_history: the columns the email service's INSERT names. user_id and
-- to_address stay NOT NULL: a history row must belong to a user for
-- GET /api/emails/history and /remaining to find it.
-- ---------------------------------------------------------------------------

ALTER TABLE email_history ADD COLUMN recipient_email TEXT;
ALTER TABLE email_history ADD COLUMN recipient_name TEXT;
ALTER TABLE email_history ADD COLUMN from_email TEXT;
ALTER TABLE email_history ADD COLUMN from_name TEXT;
ALTER TABLE email_history ADD COLUMN metadata TEXT;     -- JSON {userId, applicationId, jobTitle, company[, error]}

-- GET /api/emails/remaining: WHERE user_id = ? AND sent_at >= ?.
CREATE INDEX idx_email_history_user_sent_at ON email_history(user_id, sent_at);
