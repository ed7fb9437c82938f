-- JobMatch AI: wrangler migration 0004 (not in the original Worker).
--
-- Adds the two tables the Worker's code uses but the original migrations
-- never created (jobmatch-contract.md §5.6), so those routes fail with
-- "no such table":
--   * job_searches: written first by the job scraper (POST /api/jobs/scrape)
--     with (id, user_id, job_count, created_at); jobs.search_id (0005)
--     points at it.
--   * resume_gap_analyses: read and updated by GET /api/resume/gap-analysis/:id,
--     PATCH /api/resume/gap-analysis/:id/answer and GET /api/resume/gap-analyses.
--     Its columns follow the table the Worker was ported from (the Supabase
--     resume_gap_analyses table), translated to SQLite types: JSON as TEXT,
--     timestamps as TEXT, and the stored generated completion_percentage.

CREATE TABLE IF NOT EXISTS job_searches (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    job_count  INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
CREATE INDEX idx_job_searches_user_id ON job_searches(user_id);

CREATE TABLE IF NOT EXISTS resume_gap_analyses (
    id                        TEXT PRIMARY KEY,
    user_id                   TEXT NOT NULL,
    created_at                TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at                TEXT NOT NULL DEFAULT (datetime('now')),
    analyzed_at               TEXT NOT NULL DEFAULT (datetime('now')),
    -- resume_analysis from the model
    overall_assessment        TEXT,
    gap_count                 INTEGER NOT NULL DEFAULT 0,
    red_flag_count            INTEGER NOT NULL DEFAULT 0,
    urgency                   TEXT CHECK(urgency IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')),
    identified_gaps           TEXT NOT NULL DEFAULT '[]',   -- JSON [{id, type, category, description, impact, severity}]
    clarification_questions   TEXT NOT NULL DEFAULT '[]',   -- JSON [{question_id, priority, gap_addressed, question, context, expected_outcome, answer?}]
    immediate_action          TEXT,
    long_term_recommendations TEXT DEFAULT '[]',            -- JSON array
    -- progress on the clarification questions
    questions_answered        INTEGER NOT NULL DEFAULT 0,
    questions_total           INTEGER NOT NULL DEFAULT 0,
    completion_percentage     INTEGER GENERATED ALWAYS AS (
        CASE WHEN questions_total > 0 THEN questions_answered * 100 / questions_total ELSE 100 END
    ) STORED,
    status                    TEXT NOT NULL DEFAULT 'pending' CHECK(status IN ('pending', 'in_progress', 'completed', 'archived')),
    completed_at              TEXT,
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
CREATE INDEX idx_resume_gap_analyses_user_created ON resume_gap_analyses(user_id, created_at DESC);
