-- JobMatch AI: wrangler migration 0006 (not in the original Worker).
--
-- The application routes (jobmatch-contract.md §2.2, §5.6) need:
--   * columns job_title, company, selected_variant_id (POST /api/applications,
--     PATCH /api/applications/:id, emails and exports read them) and
--     submitted_at (PATCH with status "submitted");
--   * status 'viewed', which the routes accept but the original CHECK
--     rejects ("CHECK constraint failed: status IN (...)"). The new CHECK
--     allows the union of both vocabularies, so 'ready' rows stay valid.
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt.
-- D1 enforces foreign keys on every statement and ignores
-- PRAGMA foreign_keys=OFF, so dropping the old table deletes its rows first,
-- and the ON DELETE SET NULL actions clear tracked_applications.application_id
-- and email_history.application_id. The links are therefore saved before the
-- drop and written back afterwards. Rowids are preserved. The three original
-- indexes are re-created under their original names.

-- 1. Save the links that the drop will clear.
CREATE TABLE applications_0006_links AS
SELECT 'tracked_applications' AS child, rowid AS child_rowid, application_id
FROM tracked_applications
WHERE application_id IS NOT NULL
UNION ALL
SELECT 'email_history', rowid, application_id
FROM email_history
WHERE application_id IS NOT NULL;

-- 2. The new table: the original columns in their original order, then the
--    new ones.
CREATE TABLE applications_0006_new (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL,
    job_id              TEXT,
    status              TEXT DEFAULT 'draft' CHECK(status IN ('draft', 'ready', 'submitted', 'viewed', 'interviewing', 'offered', 'accepted', 'rejected', 'withdrawn')),
    cover_letter        TEXT,
    custom_resume       TEXT,
    variants            TEXT,             -- JSON array of variant objects
    created_at          TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at          TEXT NOT NULL DEFAULT (datetime('now')),
    job_title           TEXT,
    company             TEXT,
    selected_variant_id TEXT,
    submitted_at        TEXT,
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
    FOREIGN KEY (job_id) REFERENCES jobs(id) ON DELETE SET NULL
);

INSERT INTO applications_0006_new
    (rowid, id, user_id, job_id, status, cover_letter, custom_resume, variants, created_at, updated_at)
SELECT rowid, id, user_id, job_id, status, cover_letter, custom_resume, variants, created_at, updated_at
FROM applications;

-- 3. Swap. The children's REFERENCES applications(id) clauses name the
--    table, so they follow the renamed table.
DROP TABLE applications;
ALTER TABLE applications_0006_new RENAME TO applications;

CREATE INDEX idx_applications_user_id ON applications(user_id);
CREATE INDEX idx_applications_job_id ON applications(job_id);
CREATE INDEX idx_applications_status ON applications(user_id, status);

-- 4. Restore the links.
UPDATE tracked_applications
SET application_id = (
    SELECT l.application_id FROM applications_0006_links AS l
    WHERE l.child = 'tracked_applications' AND l.child_rowid = tracked_applications.rowid
)
WHERE rowid IN (
    SELECT child_rowid FROM applications_0006_links WHERE child = 'tracked_applications'
);

UPDATE email_history
SET application_id = (
    SELECT l.application_id FROM applications_0006_links AS l
    WHERE l.child = 'email_history' AND l.child_rowid = email_history.rowid
)
WHERE rowid IN (
    SELECT child_rowid FROM applications_0006_links WHERE child = 'email_history'
);

DROP TABLE applications_0006_links;
