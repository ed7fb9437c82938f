package migrations

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"modernc.org/sqlite"
)

// The tests talk to modernc.org/sqlite directly (not to the D1 emulator),
// with foreign keys on, as D1 always has them. Each migration file runs in
// one transaction, as wrangler sends it in one atomic batch.
//
// Applying the migrations takes about a second under -race, so TestMain
// builds two databases once - 0001+0002 with seedOriginal, and all files with
// seedAll - and tests that need one of them work on a copy of its file.
// TestUpgradeKeepsData and TestD1Compatibility apply the files themselves.

var templates struct {
	original, migrated string // database files
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "migrations-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	templates.original = filepath.Join(dir, "original.sqlite")
	templates.migrated = filepath.Join(dir, "migrated.sqlite")
	err = buildTemplate(templates.original, originalFiles, seedOriginal)
	if err == nil {
		err = buildTemplate(templates.migrated, nil, seedAll)
	}
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "build template databases:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildTemplate applies the named migrations (all if none) to a new
// database file, each in its own transaction, then runs seed.
func buildTemplate(path string, names []string, seed string) error {
	files, err := Files()
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, f := range files {
		if names != nil && !slices.Contains(names, f.Name) {
			continue
		}
		if err := apply(db, f); err != nil {
			return err
		}
	}
	if _, err := db.Exec(seed); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return db.Close()
}

// apply runs one migration file whole in its own transaction.
func apply(db *sql.DB, f File) error {
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("begin %s: %w", f.Name, err)
	}
	if _, err := tx.Exec(f.SQL); err != nil {
		tx.Rollback()
		return fmt.Errorf("apply %s: %w", f.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %s: %w", f.Name, err)
	}
	return nil
}

// Names of the files 0001 and 0002, the original Worker's migrations.
var originalFiles = []string{"0001_initial_schema.sql", "0002_fix_users_fts_content_table.sql"}

// tableSpec is one table as PRAGMA table_xinfo and PRAGMA foreign_key_list
// describe it, in the compact form produced by columnSpecs and foreignKeys.
type tableSpec struct {
	name    string
	columns []string // "name TYPE[ PK][ NOT NULL][ DEFAULT expr][ GENERATED]", in table order
	fks     []string // "from -> table(to) ON DELETE action", in declaration order
}

const now = "DEFAULT datetime('now')"

// originalTables is the schema after 0001+0002: the 25 tables of
// jobmatch-contract.md §5.2, with their columns in order.
var originalTables = []tableSpec{
	{"users", []string{
		"id TEXT PK", "email TEXT NOT NULL", "first_name TEXT", "last_name TEXT", "phone TEXT",
		"current_title TEXT", "professional_summary TEXT", "location TEXT", "linkedin_url TEXT",
		"photo_url TEXT", "years_of_experience INTEGER", "two_factor_enabled INTEGER DEFAULT 0",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, nil},
	{"work_experience", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "company TEXT NOT NULL", "title TEXT NOT NULL",
		"location TEXT", "employment_type TEXT", "start_date TEXT NOT NULL", "end_date TEXT",
		"is_current INTEGER DEFAULT 0", "description TEXT", "accomplishments TEXT",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
	{"education", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "institution TEXT NOT NULL", "degree TEXT",
		"field_of_study TEXT", "grade TEXT", "start_date TEXT", "end_date TEXT",
		"is_current INTEGER DEFAULT 0", "description TEXT",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
	{"skills", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "name TEXT NOT NULL", "proficiency_level TEXT",
		"years_of_experience INTEGER", "endorsed_count INTEGER DEFAULT 0",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
	{"resumes", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "title TEXT NOT NULL", "type TEXT NOT NULL DEFAULT 'master'",
		"sections TEXT NOT NULL", "formats TEXT",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
	{"jobs", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "title TEXT NOT NULL", "company TEXT NOT NULL",
		"location TEXT", "description TEXT", "url TEXT", "source TEXT", "job_type TEXT",
		"experience_level TEXT", "salary_min REAL", "salary_max REAL", "posted_at TEXT",
		"expires_at TEXT", "last_seen_at TEXT", "added_at TEXT NOT NULL " + now,
		"match_score REAL", "match_explanation TEXT", "match_algorithm_version TEXT",
		"match_computed_at TEXT", "quality_score REAL",
		"canonical_job_id TEXT", "canonical_hash TEXT", "dedup_status TEXT", "dedup_confidence REAL",
		"all_sources TEXT",
		"spam_status TEXT", "spam_score REAL", "spam_probability REAL", "spam_detected INTEGER DEFAULT 0",
		"spam_categories TEXT", "spam_flags TEXT", "spam_metadata TEXT", "spam_analyzed_at TEXT",
		"saved INTEGER DEFAULT 0", "archived INTEGER DEFAULT 0", "is_closed INTEGER DEFAULT 0",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{
		"user_id -> users(id) ON DELETE CASCADE",
		"canonical_job_id -> jobs(id) ON DELETE SET NULL",
	}},
	{"job_preferences", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "desired_titles TEXT NOT NULL", "desired_locations TEXT",
		"keywords TEXT", "exclude_keywords TEXT", "job_types TEXT", "experience_levels TEXT",
		"work_arrangement TEXT", "industries TEXT", "company_sizes TEXT", "benefits TEXT",
		"salary_min REAL", "salary_max REAL", "auto_search_enabled INTEGER DEFAULT 0",
		"notification_frequency TEXT",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, nil},
	{"job_compatibility_analyses", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "job_id TEXT NOT NULL", "analysis TEXT NOT NULL",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT",
	}, []string{
		"user_id -> users(id) ON DELETE CASCADE",
		"job_id -> jobs(id) ON DELETE CASCADE",
	}},
	{"job_feedback", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "job_id TEXT NOT NULL", "feedback_type TEXT NOT NULL",
		"rating INTEGER", "reasons TEXT", "comment TEXT", "context TEXT",
		"used_for_training INTEGER DEFAULT 0", "training_batch_id TEXT",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{
		"user_id -> users(id) ON DELETE CASCADE",
		"job_id -> jobs(id) ON DELETE CASCADE",
	}},
	{"job_duplicates", []string{
		"id TEXT PK", "canonical_job_id TEXT NOT NULL", "duplicate_job_id TEXT NOT NULL",
		"overall_similarity REAL NOT NULL", "title_similarity REAL NOT NULL",
		"company_similarity REAL NOT NULL", "location_similarity REAL NOT NULL",
		"description_similarity REAL NOT NULL", "matched_fields TEXT",
		"detection_method TEXT NOT NULL", "confidence_level TEXT NOT NULL", "confidence_score REAL",
		"detection_date TEXT NOT NULL " + now, "detected_at TEXT",
		"manually_confirmed INTEGER DEFAULT 0", "confirmed_by TEXT", "confirmed_at TEXT",
		"merged_by TEXT", "merged_at TEXT",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{
		"canonical_job_id -> jobs(id) ON DELETE CASCADE",
		"duplicate_job_id -> jobs(id) ON DELETE CASCADE",
		"confirmed_by -> users(id) ON DELETE SET NULL",
	}},
	{"canonical_job_metadata", []string{
		"job_id TEXT PK", "is_canonical INTEGER DEFAULT 1", "duplicate_count INTEGER", "source_type TEXT",
		"source_reliability_score REAL NOT NULL DEFAULT 0.5",
		"completeness_score REAL NOT NULL DEFAULT 0.0", "freshness_score REAL NOT NULL DEFAULT 0.0",
		"overall_quality_score REAL NOT NULL DEFAULT 0.0",
		"has_url INTEGER", "has_salary_range INTEGER", "field_count INTEGER", "description_length INTEGER",
		"calculated_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{"job_id -> jobs(id) ON DELETE CASCADE"}},
	{"spam_reports", []string{
		"id TEXT PK", "job_id TEXT NOT NULL", "reporter_user_id TEXT", "report_type TEXT NOT NULL",
		"reason TEXT", "details TEXT", "review_status TEXT NOT NULL DEFAULT 'pending'",
		"reviewed_by TEXT", "reviewed_at TEXT", "review_notes TEXT", "action_taken TEXT",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{
		"job_id -> jobs(id) ON DELETE CASCADE",
		"reporter_user_id -> users(id) ON DELETE SET NULL",
	}},
	{"match_quality_metrics", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "algorithm_version TEXT NOT NULL",
		"period_start TEXT NOT NULL", "period_end TEXT NOT NULL",
		"total_jobs_shown INTEGER", "jobs_clicked INTEGER", "jobs_saved INTEGER", "jobs_applied INTEGER",
		"jobs_hidden INTEGER", "click_through_rate REAL", "save_rate REAL", "apply_rate REAL",
		"avg_match_score_clicked REAL", "avg_match_score_saved REAL", "avg_match_score_applied REAL",
		"avg_match_score_hidden REAL", "thumbs_up_count INTEGER", "thumbs_down_count INTEGER",
		"positive_feedback_rate REAL",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
	{"applications", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "job_id TEXT", "status TEXT DEFAULT 'draft'",
		"cover_letter TEXT", "custom_resume TEXT", "variants TEXT",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{
		"user_id -> users(id) ON DELETE CASCADE",
		"job_id -> jobs(id) ON DELETE SET NULL",
	}},
	{"tracked_applications", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "application_id TEXT", "job_id TEXT",
		"job_title TEXT NOT NULL", "company TEXT NOT NULL", "location TEXT",
		"status TEXT NOT NULL DEFAULT 'applied'", "applied_date TEXT", "match_score REAL",
		"recruiter TEXT", "hiring_manager TEXT", "interviews TEXT", "next_interview_date TEXT",
		"next_action TEXT", "next_action_date TEXT", "follow_up_actions TEXT", "offer_details TEXT",
		"notes TEXT", "tags TEXT", "activity_log TEXT", "status_history TEXT",
		"archived INTEGER DEFAULT 0", "last_updated TEXT NOT NULL " + now,
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{
		"user_id -> users(id) ON DELETE CASCADE",
		"application_id -> applications(id) ON DELETE SET NULL",
		"job_id -> jobs(id) ON DELETE SET NULL",
	}},
	{"sessions", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "session_id TEXT NOT NULL", "ip_address TEXT",
		"user_agent TEXT", "device_type TEXT", "device TEXT", "browser TEXT", "os TEXT", "location TEXT",
		"last_active TEXT NOT NULL " + now, "expires_at TEXT NOT NULL", "created_at TEXT NOT NULL " + now,
	}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
	{"failed_login_attempts", []string{
		"id TEXT PK", "email TEXT NOT NULL", "ip_address TEXT NOT NULL", "user_agent TEXT",
		"metadata TEXT", "attempted_at TEXT NOT NULL " + now,
	}, nil},
	{"account_lockouts", []string{
		"id TEXT PK", "email TEXT NOT NULL", "locked_until TEXT NOT NULL",
		"failed_attempt_count INTEGER NOT NULL DEFAULT 0", "reason TEXT", "locked_at TEXT",
		"unlocked_at TEXT", "unlocked_by TEXT",
	}, []string{"unlocked_by -> users(id) ON DELETE SET NULL"}},
	{"security_events", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "action TEXT NOT NULL", "status TEXT NOT NULL",
		"ip_address TEXT", "user_agent TEXT", "device TEXT", "browser TEXT", "os TEXT", "location TEXT",
		"metadata TEXT", "timestamp TEXT NOT NULL " + now,
	}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
	{"subscriptions", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "plan TEXT NOT NULL DEFAULT 'free'",
		"status TEXT NOT NULL DEFAULT 'active'", "stripe_customer_id TEXT", "stripe_subscription_id TEXT",
		"current_period_start TEXT NOT NULL", "current_period_end TEXT NOT NULL",
		"cancel_at_period_end INTEGER DEFAULT 0", "created_at TEXT NOT NULL " + now, "updated_at TEXT",
	}, nil},
	{"payment_methods", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "type TEXT NOT NULL DEFAULT 'card'",
		"stripe_payment_method_id TEXT", "brand TEXT", "last4 TEXT", "exp_month INTEGER",
		"exp_year INTEGER", "is_default INTEGER DEFAULT 0", "added_at TEXT NOT NULL " + now,
	}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
	{"invoices", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "subscription_id TEXT", "stripe_invoice_id TEXT",
		"invoice_number TEXT", "invoice_date TEXT NOT NULL", "due_date TEXT", "amount_due REAL NOT NULL",
		"amount_paid REAL NOT NULL DEFAULT 0.0", "currency TEXT DEFAULT 'usd'", "status TEXT NOT NULL",
		"paid_at TEXT", "hosted_invoice_url TEXT", "invoice_pdf_url TEXT", "created_at TEXT NOT NULL " + now,
	}, []string{"subscription_id -> subscriptions(id) ON DELETE SET NULL"}},
	{"usage_limits", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "ai_generations_used INTEGER DEFAULT 0",
		"ai_generations_limit INTEGER", "job_searches_used INTEGER DEFAULT 0", "job_searches_limit INTEGER",
		"emails_sent_used INTEGER DEFAULT 0", "emails_sent_limit INTEGER", "period_start TEXT",
		"period_end TEXT", "created_at TEXT NOT NULL " + now, "updated_at TEXT",
	}, nil},
	{"email_history", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "application_id TEXT", "to_address TEXT NOT NULL",
		"subject TEXT NOT NULL", "status TEXT DEFAULT 'pending'", "sent_at TEXT",
		"created_at TEXT NOT NULL " + now, "updated_at TEXT NOT NULL " + now,
	}, []string{
		"user_id -> users(id) ON DELETE CASCADE",
		"application_id -> applications(id) ON DELETE SET NULL",
	}},
	{"notifications", []string{
		"id TEXT PK", "user_id TEXT NOT NULL", "type TEXT NOT NULL", "title TEXT NOT NULL",
		"message TEXT NOT NULL", "action_url TEXT", "action_text TEXT", "read INTEGER DEFAULT 0",
		"created_at TEXT NOT NULL " + now,
	}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
}

// originalIndexes are the 69 named indexes of contract §5.3, each with its
// definition: "[UNIQUE ]table(column[ DESC], ...)".
var originalIndexes = map[string]string{
	"idx_users_email":                         "users(email)",
	"idx_users_created_at":                    "users(created_at)",
	"idx_work_experience_user_id":             "work_experience(user_id)",
	"idx_work_experience_is_current":          "work_experience(user_id, is_current)",
	"idx_education_user_id":                   "education(user_id)",
	"idx_skills_user_id":                      "skills(user_id)",
	"idx_skills_name":                         "skills(name)",
	"idx_resumes_user_id":                     "resumes(user_id)",
	"idx_resumes_type":                        "resumes(user_id, type)",
	"idx_jobs_user_id":                        "jobs(user_id)",
	"idx_jobs_title":                          "jobs(title)",
	"idx_jobs_company":                        "jobs(company)",
	"idx_jobs_match_score":                    "jobs(user_id, match_score DESC)",
	"idx_jobs_saved":                          "jobs(user_id, saved)",
	"idx_jobs_archived":                       "jobs(user_id, archived)",
	"idx_jobs_canonical_hash":                 "jobs(canonical_hash)",
	"idx_jobs_canonical_job_id":               "jobs(canonical_job_id)",
	"idx_jobs_spam_status":                    "jobs(spam_status)",
	"idx_jobs_posted_at":                      "jobs(posted_at DESC)",
	"idx_job_preferences_user_id":             "job_preferences(user_id)",
	"idx_job_compatibility_user_id":           "job_compatibility_analyses(user_id)",
	"idx_job_compatibility_job_id":            "job_compatibility_analyses(job_id)",
	"idx_job_compatibility_user_job":          "UNIQUE job_compatibility_analyses(user_id, job_id)",
	"idx_job_feedback_user_id":                "job_feedback(user_id)",
	"idx_job_feedback_job_id":                 "job_feedback(job_id)",
	"idx_job_feedback_type":                   "job_feedback(feedback_type)",
	"idx_job_duplicates_canonical":            "job_duplicates(canonical_job_id)",
	"idx_job_duplicates_duplicate":            "job_duplicates(duplicate_job_id)",
	"idx_job_duplicates_similarity":           "job_duplicates(overall_similarity DESC)",
	"idx_canonical_metadata_quality":          "canonical_job_metadata(overall_quality_score DESC)",
	"idx_canonical_metadata_canonical":        "canonical_job_metadata(is_canonical)",
	"idx_spam_reports_job_id":                 "spam_reports(job_id)",
	"idx_spam_reports_reporter":               "spam_reports(reporter_user_id)",
	"idx_spam_reports_status":                 "spam_reports(review_status)",
	"idx_match_metrics_user_id":               "match_quality_metrics(user_id)",
	"idx_match_metrics_period":                "match_quality_metrics(period_start, period_end)",
	"idx_applications_user_id":                "applications(user_id)",
	"idx_applications_job_id":                 "applications(job_id)",
	"idx_applications_status":                 "applications(user_id, status)",
	"idx_tracked_applications_user_id":        "tracked_applications(user_id)",
	"idx_tracked_applications_status":         "tracked_applications(user_id, status)",
	"idx_tracked_applications_next_interview": "tracked_applications(user_id, next_interview_date)",
	"idx_tracked_applications_next_action":    "tracked_applications(user_id, next_action_date)",
	"idx_sessions_user_id":                    "sessions(user_id)",
	"idx_sessions_session_id":                 "sessions(session_id)",
	"idx_sessions_expires_at":                 "sessions(expires_at)",
	"idx_failed_logins_email":                 "failed_login_attempts(email)",
	"idx_failed_logins_ip":                    "failed_login_attempts(ip_address)",
	"idx_failed_logins_attempted_at":          "failed_login_attempts(attempted_at)",
	"idx_lockouts_email":                      "account_lockouts(email)",
	"idx_lockouts_locked_until":               "account_lockouts(locked_until)",
	"idx_security_events_user_id":             "security_events(user_id)",
	"idx_security_events_action":              "security_events(action)",
	"idx_security_events_timestamp":           "security_events(timestamp DESC)",
	"idx_subscriptions_user_id":               "subscriptions(user_id)",
	"idx_subscriptions_status":                "subscriptions(status)",
	"idx_subscriptions_stripe_customer":       "subscriptions(stripe_customer_id)",
	"idx_payment_methods_user_id":             "payment_methods(user_id)",
	"idx_payment_methods_default":             "payment_methods(user_id, is_default)",
	"idx_invoices_user_id":                    "invoices(user_id)",
	"idx_invoices_subscription_id":            "invoices(subscription_id)",
	"idx_invoices_status":                     "invoices(status)",
	"idx_usage_limits_user_id":                "usage_limits(user_id)",
	"idx_email_history_user_id":               "email_history(user_id)",
	"idx_email_history_application_id":        "email_history(application_id)",
	"idx_email_history_status":                "email_history(status)",
	"idx_notifications_user_id":               "notifications(user_id)",
	"idx_notifications_read":                  "notifications(user_id, read)",
	"idx_notifications_created_at":            "notifications(created_at DESC)",
}

// addedIndexes are the indexes 0004 and 0005 add.
var addedIndexes = map[string]string{
	"idx_job_searches_user_id":             "job_searches(user_id)",
	"idx_resume_gap_analyses_user_created": "resume_gap_analyses(user_id, created_at DESC)",
	"idx_jobs_user_is_archived_created":    "jobs(user_id, is_archived, created_at DESC)",
	"idx_jobs_search_id":                   "jobs(search_id)",
	"idx_canonical_metadata_id":            "UNIQUE canonical_job_metadata(id)",
	"idx_canonical_metadata_job_hash":      "canonical_job_metadata(job_hash)",
	"idx_email_history_user_sent_at":       "email_history(user_id, sent_at)",
}

// originalTriggers maps the 9 FTS triggers to their tables.
var originalTriggers = map[string]string{
	"jobs_fts_insert":  "jobs",
	"jobs_fts_delete":  "jobs",
	"jobs_fts_update":  "jobs",
	"users_fts_insert": "users",
	"users_fts_delete": "users",
	"users_fts_update": "users",
	"work_fts_insert":  "work_experience",
	"work_fts_delete":  "work_experience",
	"work_fts_update":  "work_experience",
}

var ftsTables = []string{"jobs_fts", "users_fts", "work_experience_fts"}

func TestFiles(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		if strings.TrimSpace(f.SQL) == "" {
			t.Errorf("%s is empty", f.Name)
		}
	}
	want := []string{
		"0001_initial_schema.sql",
		"0002_fix_users_fts_content_table.sql",
		"0003_fix_jobs_and_work_experience_fts.sql",
		"0004_add_job_searches_and_resume_gap_analyses.sql",
		"0005_add_columns_used_by_api.sql",
		"0006_rebuild_applications_for_api.sql",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("Files() names (-want +got):\n%s", diff)
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b string
		want int
	}{
		{"by number", "0002_b.sql", "0010_a.sql", -1},
		{"number not text", "10_x.sql", "9_x.sql", 1},
		{"leading zeros ignored, tie by text", "0001_b.sql", "1_a.sql", -1},
		{"same name", "0001_a.sql", "0001_a.sql", 0},
		{"same number, text order", "0003_a.sql", "0003_b.sql", -1},
		{"numbered before unnumbered", "9999_z.sql", "init.sql", -1},
		{"unnumbered after numbered", "init.sql", "0001_a.sql", 1},
		{"two unnumbered by text", "b.sql", "a.sql", 1},
		{"digits then letters count", "12abc_x.sql", "3_y.sql", 1},
		{"number without underscore", "0002.sql", "0010_a.sql", -1},
		{"longer than int64", "123456789012345678901234567890_a.sql", "99_b.sql", 1},
		{"sign", "-1_a.sql", "0_b.sql", -1},
		{"leading blank", " 2_a.sql", "10_b.sql", -1},
		{"sign alone is no number", "-_a.sql", "5_b.sql", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Compare(tc.a, tc.b); got != tc.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := Compare(tc.b, tc.a); got != -tc.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
		})
	}
}

func TestOriginalSchema(t *testing.T) {
	db := mustOpenOriginal(t)

	t.Run("25 regular tables", func(t *testing.T) {
		got := tableNames(t, db, "table")
		if len(got) != 25 {
			t.Errorf("%d regular tables, want 25: %v", len(got), got)
		}
		var want []string
		for _, ts := range originalTables {
			want = append(want, ts.name)
		}
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("tables (-want +got):\n%s", diff)
		}
	})
	t.Run("3 fts5 tables", func(t *testing.T) {
		if diff := cmp.Diff(ftsTables, tableNames(t, db, "virtual")); diff != "" {
			t.Errorf("virtual tables (-want +got):\n%s", diff)
		}
		for _, name := range ftsTables {
			var sqlText string
			mustQueryRow(t, db, `SELECT sql FROM sqlite_master WHERE name = ?`, []any{name}, &sqlText)
			if !strings.Contains(sqlText, "USING fts5(") {
				t.Errorf("%s is not an fts5 table: %s", name, sqlText)
			}
		}
	})
	t.Run("13 shadow tables, 41 table entries", func(t *testing.T) {
		if got := len(tableNames(t, db, "shadow")); got != 13 {
			t.Errorf("%d shadow tables, want 13", got)
		}
		var n int
		mustQueryRow(t, db, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`, nil, &n)
		if n != 41 {
			t.Errorf("%d table entries in sqlite_master, want 41", n)
		}
	})
	t.Run("69 named indexes", func(t *testing.T) {
		got := indexDefinitions(t, db)
		if len(got) != 69 {
			t.Errorf("%d named indexes, want 69", len(got))
		}
		if diff := cmp.Diff(originalIndexes, got); diff != "" {
			t.Errorf("indexes (-want +got):\n%s", diff)
		}
		var unique []string
		for name, def := range got {
			if strings.HasPrefix(def, "UNIQUE ") {
				unique = append(unique, name)
			}
		}
		if diff := cmp.Diff([]string{"idx_job_compatibility_user_job"}, unique); diff != "" {
			t.Errorf("UNIQUE named indexes (-want +got):\n%s", diff)
		}
	})
	t.Run("30 automatic indexes", func(t *testing.T) {
		var n int
		mustQueryRow(t, db, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NULL AND tbl_name NOT LIKE '%\_fts\_%' ESCAPE '\'`, nil, &n)
		if n != 30 {
			t.Errorf("%d automatic indexes on JobMatch tables, want 30 (25 primary keys + 5 UNIQUE columns)", n)
		}
	})
	t.Run("9 triggers", func(t *testing.T) {
		if diff := cmp.Diff(originalTriggers, triggers(t, db)); diff != "" {
			t.Errorf("triggers (-want +got):\n%s", diff)
		}
	})
	t.Run("columns", func(t *testing.T) {
		for _, ts := range originalTables {
			t.Run(ts.name, func(t *testing.T) {
				if diff := cmp.Diff(ts.columns, columnSpecs(t, db, ts.name)); diff != "" {
					t.Errorf("columns (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(ts.fks, foreignKeys(t, db, ts.name)); diff != "" {
					t.Errorf("foreign keys (-want +got):\n%s", diff)
				}
			})
		}
	})
	t.Run("fts columns", func(t *testing.T) {
		want := map[string][]string{
			"jobs_fts":            {"job_id", "title", "company", "description"},
			"users_fts":           {"user_id", "first_name", "last_name", "email", "current_title", "professional_summary"},
			"work_experience_fts": {"work_id", "user_id", "company", "title", "description"},
		}
		for name, cols := range want {
			if diff := cmp.Diff(cols, columnNames(t, db, name)); diff != "" {
				t.Errorf("%s columns (-want +got):\n%s", name, diff)
			}
		}
	})
}

// seedOriginal inserts rows that are valid on the original schema.
const seedOriginal = `
INSERT INTO users (id, email, first_name) VALUES ('u1', 'ada@example.com', 'Ada');
INSERT INTO jobs (id, user_id, title, company, description, saved)
VALUES ('j1', 'u1', 'Golang engineer', 'Acme', 'Build compilers', 1);
INSERT INTO work_experience (id, user_id, company, title, start_date, description)
VALUES ('w1', 'u1', 'Initech', 'Staff developer', '2020-01-01', 'Wrote printers');
INSERT INTO skills (id, user_id, name, endorsed_count) VALUES ('s1', 'u1', 'Go', 5);
INSERT INTO applications (id, user_id, job_id, status, variants)
VALUES ('a1', 'u1', 'j1', 'ready', '[{"id":"variant-impact"}]');
INSERT INTO tracked_applications (id, user_id, application_id, job_id, job_title, company)
VALUES ('t1', 'u1', 'a1', 'j1', 'Golang engineer', 'Acme');
INSERT INTO email_history (id, user_id, application_id, to_address, subject, status, sent_at)
VALUES ('e1', 'u1', 'a1', 'hr@acme.example', 'Application', 'sent', '2030-01-01T00:00:00.000Z');
`

func TestOriginalChecks(t *testing.T) {
	db := mustOpenOriginal(t)

	for _, tc := range []struct {
		name, sql, want string
	}{
		{"skills.proficiency_level",
			`INSERT INTO skills (id, user_id, name, proficiency_level) VALUES ('x', 'u1', 'Go', 'guru')`,
			"CHECK constraint failed: proficiency_level IN ('beginner', 'intermediate', 'advanced', 'expert')"},
		{"resumes.type",
			`INSERT INTO resumes (id, user_id, title, type, sections) VALUES ('x', 'u1', 'CV', 'draft', '{}')`,
			"CHECK constraint failed: type IN ('master', 'tailored')"},
		{"jobs.job_type",
			`INSERT INTO jobs (id, user_id, title, company, job_type) VALUES ('x', 'u1', 't', 'c', 'gig')`,
			"CHECK constraint failed: job_type IN ('full-time', 'part-time', 'contract', 'internship', 'temporary', 'remote')"},
		{"jobs.experience_level",
			`INSERT INTO jobs (id, user_id, title, company, experience_level) VALUES ('x', 'u1', 't', 'c', 'Mid-Senior level')`,
			"CHECK constraint failed: experience_level IN ('entry', 'mid', 'senior', 'lead', 'executive')"},
		{"jobs.dedup_status",
			`INSERT INTO jobs (id, user_id, title, company, dedup_status) VALUES ('x', 'u1', 't', 'c', 'maybe')`,
			"CHECK constraint failed: dedup_status IN ('canonical', 'duplicate', 'merged', 'unique', 'pending')"},
		{"jobs.spam_status",
			`INSERT INTO jobs (id, user_id, title, company, spam_status) VALUES ('x', 'u1', 't', 'c', 'ham')`,
			"CHECK constraint failed: spam_status IN ('clean', 'suspicious', 'spam', 'scam', 'expired', 'pending_review', 'manually_approved', 'manually_rejected')"},
		{"job_feedback.feedback_type",
			`INSERT INTO job_feedback (id, user_id, job_id, feedback_type) VALUES ('x', 'u1', 'j1', 'meh')`,
			"CHECK constraint failed: feedback_type IN ('thumbs_up', 'thumbs_down', 'not_interested', 'applied', 'saved', 'hidden', 'reported_spam', 'reported_scam', 'reported_expired')"},
		{"job_feedback.rating",
			`INSERT INTO job_feedback (id, user_id, job_id, feedback_type, rating) VALUES ('x', 'u1', 'j1', 'applied', 6)`,
			"CHECK constraint failed: rating >= 1 AND rating <= 5"},
		{"applications.status",
			`INSERT INTO applications (id, user_id, status) VALUES ('x', 'u1', 'viewed')`,
			"CHECK constraint failed: status IN ('draft', 'ready', 'submitted', 'interviewing', 'offered', 'accepted', 'rejected', 'withdrawn')"},
		{"tracked_applications.status",
			`INSERT INTO tracked_applications (id, user_id, job_title, company, status) VALUES ('x', 'u1', 't', 'c', 'ghosted')`,
			"CHECK constraint failed: status IN ('applied', 'screening', 'interview_scheduled', 'interview_completed', 'offer', 'accepted', 'rejected', 'withdrawn')"},
		{"sessions.device_type",
			`INSERT INTO sessions (id, user_id, session_id, device_type, expires_at) VALUES ('x', 'u1', 's', 'watch', '2030-01-02')`,
			"CHECK constraint failed: device_type IN ('desktop', 'mobile', 'tablet', 'unknown')"},
		{"security_events.status",
			`INSERT INTO security_events (id, user_id, action, status) VALUES ('x', 'u1', 'login', 'unknown')`,
			"CHECK constraint failed: status IN ('success', 'failed')"},
		{"email_history.status",
			`INSERT INTO email_history (id, user_id, to_address, subject, status) VALUES ('x', 'u1', 'a@b.c', 's', 'queued')`,
			"CHECK constraint failed: status IN ('pending', 'sent', 'delivered', 'failed', 'bounced')"},
		{"users.email unique",
			`INSERT INTO users (id, email) VALUES ('u2', 'ada@example.com')`,
			"UNIQUE constraint failed: users.email"},
		{"jobs.title not null",
			`INSERT INTO jobs (id, user_id, company) VALUES ('x', 'u1', 'c')`,
			"NOT NULL constraint failed: jobs.title"},
		{"dangling user_id",
			`INSERT INTO skills (id, user_id, name) VALUES ('x', 'nobody', 'Go')`,
			"FOREIGN KEY constraint failed"},
		{"analysis cache unique per user and job",
			`INSERT INTO job_compatibility_analyses (user_id, job_id, analysis) VALUES ('u1', 'j1', '{}'), ('u1', 'j1', '{}')`,
			"UNIQUE constraint failed: job_compatibility_analyses.user_id, job_compatibility_analyses.job_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Exec(tc.sql)
			if got := sqliteMessage(err); got != tc.want {
				t.Errorf("error = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestOriginalFTSDefect shows that 0001+0002 reproduce the original's
// behaviour, including the defect of contract §5.4 that 0003 fixes.
func TestOriginalFTSDefect(t *testing.T) {
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"update jobs", `UPDATE jobs SET title = 'Rust engineer' WHERE id = 'j1'`, "no such column: T.job_id"},
		{"update jobs.match_score", `UPDATE jobs SET match_score = 80 WHERE id = 'j1'`, "no such column: T.job_id"},
		{"delete jobs", `DELETE FROM jobs WHERE id = 'j1'`, "no such column: T.job_id"},
		{"update work_experience", `UPDATE work_experience SET title = 'CTO' WHERE id = 'w1'`, "no such column: T.work_id"},
		{"delete work_experience", `DELETE FROM work_experience WHERE id = 'w1'`, "no such column: T.work_id"},
		{"read jobs_fts.job_id", `SELECT job_id FROM jobs_fts WHERE jobs_fts MATCH 'compilers'`, "no such column: T.job_id"},
		{"update users (fixed by 0002)", `UPDATE users SET last_name = 'Lovelace' WHERE id = 'u1'`, ""},
		{"insert jobs", `INSERT INTO jobs (id, user_id, title, company) VALUES ('j2', 'u1', 't', 'c')`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustOpenOriginal(t)
			err := execOrQuery(db, tc.sql)
			if got := sqliteMessage(err); got != tc.want {
				t.Errorf("error = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAllMigrationsSchema(t *testing.T) {
	db := mustOpenMigrated(t)

	t.Run("tables", func(t *testing.T) {
		var want []string
		for _, ts := range originalTables {
			want = append(want, ts.name)
		}
		want = append(want, "job_searches", "resume_gap_analyses")
		slices.Sort(want)
		if diff := cmp.Diff(want, tableNames(t, db, "table")); diff != "" {
			t.Errorf("tables (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(ftsTables, tableNames(t, db, "virtual")); diff != "" {
			t.Errorf("virtual tables (-want +got):\n%s", diff)
		}
		// All three FTS tables are contentful now: 5 shadow tables each.
		if got := len(tableNames(t, db, "shadow")); got != 15 {
			t.Errorf("%d shadow tables, want 15", got)
		}
	})
	t.Run("indexes", func(t *testing.T) {
		want := mergeMaps(originalIndexes, addedIndexes)
		if diff := cmp.Diff(want, indexDefinitions(t, db)); diff != "" {
			t.Errorf("indexes (-want +got):\n%s", diff)
		}
	})
	t.Run("triggers", func(t *testing.T) {
		want := mergeMaps(originalTriggers, map[string]string{
			"jobs_flags_sync_insert": "jobs",
			"jobs_flags_sync_update": "jobs",
		})
		if diff := cmp.Diff(want, triggers(t, db)); diff != "" {
			t.Errorf("triggers (-want +got):\n%s", diff)
		}
	})
	t.Run("fts columns unchanged", func(t *testing.T) {
		want := map[string][]string{
			"jobs_fts":            {"job_id", "title", "company", "description"},
			"users_fts":           {"user_id", "first_name", "last_name", "email", "current_title", "professional_summary"},
			"work_experience_fts": {"work_id", "user_id", "company", "title", "description"},
		}
		for name, cols := range want {
			if diff := cmp.Diff(cols, columnNames(t, db, name)); diff != "" {
				t.Errorf("%s columns (-want +got):\n%s", name, diff)
			}
		}
	})

	// Changed tables keep their original columns, in order, and gain new
	// ones at the end.
	added := map[string]tableSpec{
		"users": {columns: []string{
			"linkedin_imported INTEGER DEFAULT 0", "linkedin_imported_at TEXT",
			"linkedin_limited_access INTEGER DEFAULT 0", "profile_image_url TEXT", "locale TEXT",
		}},
		"skills": {columns: []string{"endorsements INTEGER GENERATED"}},
		"jobs": {columns: []string{
			"search_id TEXT", "canonical_id TEXT", "company_logo TEXT", "work_arrangement TEXT",
			"posted_date TEXT", "required_skills TEXT", "preferred_skills TEXT", "scraped_at TEXT",
			"is_saved INTEGER DEFAULT 0", "is_archived INTEGER DEFAULT 0",
		}, fks: []string{"search_id -> job_searches(id) ON DELETE SET NULL"}},
		"canonical_job_metadata": {columns: []string{
			"id TEXT", "job_hash TEXT", "title TEXT", "company TEXT", "location TEXT",
			"first_seen TEXT", "last_seen TEXT", "created_at TEXT",
		}},
		"email_history": {columns: []string{
			"recipient_email TEXT", "recipient_name TEXT", "from_email TEXT", "from_name TEXT", "metadata TEXT",
		}},
		"applications": {columns: []string{
			"job_title TEXT", "company TEXT", "selected_variant_id TEXT", "submitted_at TEXT",
		}},
	}
	t.Run("columns", func(t *testing.T) {
		specs := slices.Clone(originalTables)
		specs = append(specs,
			tableSpec{"job_searches", []string{
				"id TEXT PK", "user_id TEXT NOT NULL", "job_count INTEGER NOT NULL DEFAULT 0",
				"created_at TEXT NOT NULL " + now,
			}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
			tableSpec{"resume_gap_analyses", []string{
				"id TEXT PK", "user_id TEXT NOT NULL", "created_at TEXT NOT NULL " + now,
				"updated_at TEXT NOT NULL " + now, "analyzed_at TEXT NOT NULL " + now,
				"overall_assessment TEXT", "gap_count INTEGER NOT NULL DEFAULT 0",
				"red_flag_count INTEGER NOT NULL DEFAULT 0", "urgency TEXT",
				"identified_gaps TEXT NOT NULL DEFAULT '[]'", "clarification_questions TEXT NOT NULL DEFAULT '[]'",
				"immediate_action TEXT", "long_term_recommendations TEXT DEFAULT '[]'",
				"questions_answered INTEGER NOT NULL DEFAULT 0", "questions_total INTEGER NOT NULL DEFAULT 0",
				"completion_percentage INTEGER GENERATED", "status TEXT NOT NULL DEFAULT 'pending'",
				"completed_at TEXT",
			}, []string{"user_id -> users(id) ON DELETE CASCADE"}},
		)
		for _, ts := range specs {
			t.Run(ts.name, func(t *testing.T) {
				a := added[ts.name]
				// ALTER TABLE ADD COLUMN puts a new foreign key first in
				// PRAGMA foreign_key_list (it lists the newest first).
				wantCols := slices.Concat(ts.columns, a.columns)
				wantFKs := slices.Concat(a.fks, ts.fks)
				if diff := cmp.Diff(wantCols, columnSpecs(t, db, ts.name)); diff != "" {
					t.Errorf("columns (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(wantFKs, foreignKeys(t, db, ts.name)); diff != "" {
					t.Errorf("foreign keys (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// seedAll inserts rows that use the columns and tables added by 0003-0006.
const seedAll = seedOriginal + `
INSERT INTO resume_gap_analyses (id, user_id, overall_assessment, gap_count, urgency, clarification_questions, questions_total)
VALUES ('g1', 'u1', 'Solid', 1, 'HIGH', '[{"question_id":1,"question":"Why the gap?"}]', 1);
`

func TestFTSSync(t *testing.T) {
	for _, tc := range []struct {
		name                             string
		fts, idCol, id                   string
		insert, update, updateOther, del string
		oldWord, newWord                 string
	}{
		{
			name: "jobs", fts: "jobs_fts", idCol: "job_id", id: "j9",
			insert:      `INSERT INTO jobs (id, user_id, title, company, description) VALUES ('j9', 'u1', 'Zebra keeper', 'Zoo', 'Feeds zebras')`,
			update:      `UPDATE jobs SET title = 'Giraffe keeper', description = 'Feeds giraffes' WHERE id = 'j9'`,
			updateOther: `UPDATE jobs SET match_score = 91, is_saved = 1, updated_at = '2030-01-02T00:00:00.000Z' WHERE id = 'j9'`,
			del:         `DELETE FROM jobs WHERE id = 'j9'`,
			oldWord:     "zebras", newWord: "giraffes",
		},
		{
			name: "work_experience", fts: "work_experience_fts", idCol: "work_id", id: "w9",
			insert:      `INSERT INTO work_experience (id, user_id, company, title, start_date, description) VALUES ('w9', 'u1', 'Zoo', 'Keeper', '2021-01-01', 'Fed zebras')`,
			update:      `UPDATE work_experience SET description = 'Fed giraffes', updated_at = '2030-01-02T00:00:00.000Z' WHERE id = 'w9'`,
			updateOther: `UPDATE work_experience SET is_current = 1, end_date = NULL WHERE id = 'w9'`,
			del:         `DELETE FROM work_experience WHERE id = 'w9'`,
			oldWord:     "zebras", newWord: "giraffes",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustOpenMigrated(t)
			match := func(word string) []string {
				t.Helper()
				return queryStrings(t, db, fmt.Sprintf(`SELECT %s FROM %s WHERE %s MATCH ? ORDER BY rowid`, tc.idCol, tc.fts, tc.fts), word)
			}
			id := tc.id
			mustExec(t, db, tc.insert)
			if diff := cmp.Diff([]string{id}, match(tc.oldWord)); diff != "" {
				t.Errorf("after INSERT, MATCH %q (-want +got):\n%s", tc.oldWord, diff)
			}
			mustExecChanges(t, db, tc.update, 1)
			if got := match(tc.oldWord); len(got) != 0 {
				t.Errorf("after UPDATE, MATCH %q = %v, want none", tc.oldWord, got)
			}
			if diff := cmp.Diff([]string{id}, match(tc.newWord)); diff != "" {
				t.Errorf("after UPDATE, MATCH %q (-want +got):\n%s", tc.newWord, diff)
			}
			mustExecChanges(t, db, tc.updateOther, 1)
			if diff := cmp.Diff([]string{id}, match(tc.newWord)); diff != "" {
				t.Errorf("after UPDATE of other columns, MATCH %q (-want +got):\n%s", tc.newWord, diff)
			}
			mustExecChanges(t, db, tc.del, 1)
			for _, w := range []string{tc.oldWord, tc.newWord} {
				if got := match(w); len(got) != 0 {
					t.Errorf("after DELETE, MATCH %q = %v, want none", w, got)
				}
			}
			var n int
			mustQueryRow(t, db, fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s = ?`, tc.fts, tc.idCol), []any{id}, &n)
			if n != 0 {
				t.Errorf("after DELETE, %d %s rows for %s, want 0", n, tc.fts, id)
			}
			mustIntegrityCheck(t, db, tc.fts)
		})
	}
}

func TestForeignKeys(t *testing.T) {
	db := mustOpenMigrated(t)

	var on int
	mustQueryRow(t, db, `PRAGMA foreign_keys`, nil, &on)
	if on != 1 {
		t.Fatalf("PRAGMA foreign_keys = %d, want 1", on)
	}
	for _, tc := range []struct {
		name, sql string
	}{
		{"jobs.user_id", `INSERT INTO jobs (id, user_id, title, company) VALUES ('x', 'nobody', 't', 'c')`},
		{"work_experience.user_id", `INSERT INTO work_experience (id, user_id, company, title, start_date) VALUES ('x', 'nobody', 'c', 't', '2020')`},
		{"applications.job_id", `INSERT INTO applications (id, user_id, job_id) VALUES ('x', 'u1', 'nojob')`},
		{"jobs.search_id", `INSERT INTO jobs (id, user_id, title, company, search_id) VALUES ('x', 'u1', 't', 'c', 'nosearch')`},
		{"job_searches.user_id", `INSERT INTO job_searches (id, user_id) VALUES ('x', 'nobody')`},
		{"resume_gap_analyses.user_id", `INSERT INTO resume_gap_analyses (id, user_id) VALUES ('x', 'nobody')`},
		{"tracked_applications.application_id", `UPDATE tracked_applications SET application_id = 'noapp' WHERE id = 't1'`},
		{"email_history.application_id", `UPDATE email_history SET application_id = 'noapp' WHERE id = 'e1'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Exec(tc.sql)
			if got, want := sqliteMessage(err), "FOREIGN KEY constraint failed"; got != want {
				t.Errorf("error = %q, want %q", got, want)
			}
		})
	}

	t.Run("delete application sets children to NULL", func(t *testing.T) {
		db := mustOpenMigrated(t)
		mustExecChanges(t, db, `DELETE FROM applications WHERE id = 'a1'`, 1)
		got := queryStrings(t, db, `SELECT coalesce(application_id, 'NULL') FROM tracked_applications UNION ALL SELECT coalesce(application_id, 'NULL') FROM email_history`)
		if diff := cmp.Diff([]string{"NULL", "NULL"}, got); diff != "" {
			t.Errorf("children application_id (-want +got):\n%s", diff)
		}
	})
	t.Run("delete user cascades through the fts triggers", func(t *testing.T) {
		db := mustOpenMigrated(t)
		mustExecChanges(t, db, `DELETE FROM users WHERE id = 'u1'`, 1)
		for _, table := range []string{
			"jobs", "work_experience", "skills", "applications", "tracked_applications",
			"email_history", "resume_gap_analyses", "jobs_fts", "work_experience_fts", "users_fts",
		} {
			var n int
			mustQueryRow(t, db, `SELECT count(*) FROM `+table, nil, &n)
			if n != 0 {
				t.Errorf("%d rows left in %s, want 0", n, table)
			}
		}
	})
}

// TestRouteStatements runs the statements of the Worker's routes that
// contract §5.6 lists as failing on the original schema: each fails on
// 0001+0002 with the recorded error and succeeds after all migrations.
func TestRouteStatements(t *testing.T) {
	const ts = "2030-01-01T00:00:00.000Z"
	type step struct {
		sql  string
		args []any
	}
	for _, tc := range []struct {
		name         string
		steps        []step
		wantOriginal string // SQLite's message on 0001+0002
		wantRows     int    // rows returned by the last step, if it is a query
		check        string // a query that must return checkWant after the steps
		checkWant    []string
	}{
		{
			name:         "skills ordered by endorsements (generate, analyze)",
			steps:        []step{{`SELECT id FROM skills WHERE user_id = ? ORDER BY endorsements DESC`, []any{"u1"}}},
			wantOriginal: "no such column: endorsements",
			wantRows:     1,
			check:        `SELECT endorsements FROM skills WHERE id = 's1'`, checkWant: []string{"5"},
		},
		{
			name: "POST /api/applications",
			steps: []step{{`INSERT INTO applications (
				id, user_id, job_id, job_title, company, status,
				selected_variant_id, variants, created_at, updated_at
			) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, []any{"a2", "u1", nil, "Golang engineer", "Acme", "viewed", "variant-keyword", nil, ts, ts}}},
			wantOriginal: "table applications has no column named job_title",
			check:        `SELECT job_title || '|' || company || '|' || status || '|' || selected_variant_id FROM applications WHERE id = 'a2'`,
			checkWant:    []string{"Golang engineer|Acme|viewed|variant-keyword"},
		},
		{
			name:         "PATCH /api/applications/:id status submitted",
			steps:        []step{{`UPDATE applications SET status = ?, submitted_at = ?, selected_variant_id = ?, updated_at = ? WHERE id = ? AND user_id = ?`, []any{"submitted", ts, "variant-concise", ts, "a1", "u1"}}},
			wantOriginal: "no such column: submitted_at",
			check:        `SELECT status || '|' || submitted_at || '|' || selected_variant_id FROM applications WHERE id = 'a1'`,
			checkWant:    []string{"submitted|" + ts + "|variant-concise"},
		},
		{
			name:         "PATCH /api/applications/:id status viewed",
			steps:        []step{{`UPDATE applications SET status = ?, updated_at = ? WHERE id = ? AND user_id = ?`, []any{"viewed", ts, "a1", "u1"}}},
			wantOriginal: "CHECK constraint failed: status IN ('draft', 'ready', 'submitted', 'interviewing', 'offered', 'accepted', 'rejected', 'withdrawn')",
		},
		{
			name: "GET /api/jobs with every filter",
			steps: []step{{`SELECT * FROM jobs WHERE user_id = ? AND is_archived = ? AND is_saved = ? AND source = ?
				AND match_score >= ? AND work_arrangement = ? AND (title LIKE ? OR company LIKE ?)
				ORDER BY created_at DESC LIMIT ? OFFSET ?`, []any{"u1", 0, 1, "manual", 0, "Remote", "%Golang%", "%Golang%", 20, 0}}},
			wantOriginal: "no such column: is_archived",
		},
		{
			name: "GET /api/jobs default",
			steps: []step{
				{`UPDATE jobs SET work_arrangement = ?, source = ? WHERE id = ?`, []any{"Remote", "manual", "j1"}},
				{`SELECT * FROM jobs WHERE user_id = ? AND is_archived = ? ORDER BY created_at DESC LIMIT ? OFFSET ?`, []any{"u1", 0, 20, 0}},
			},
			wantOriginal: "no such column: work_arrangement",
			wantRows:     1,
		},
		{
			name:         "PATCH /api/jobs/:id",
			steps:        []step{{`UPDATE jobs SET is_saved = ?, is_archived = ?, updated_at = ? WHERE id = ? AND user_id = ?`, []any{0, 1, ts, "j1", "u1"}}},
			wantOriginal: "no such column: is_saved",
			check:        `SELECT saved || is_saved || archived || is_archived FROM jobs WHERE id = 'j1'`,
			checkWant:    []string{"0011"},
		},
		{
			name:         "PATCH /api/jobs/:id with an empty body",
			steps:        []step{{`UPDATE jobs SET updated_at = ? WHERE id = ? AND user_id = ?`, []any{ts, "j1", "u1"}}},
			wantOriginal: "no such column: T.job_id",
		},
		{
			name:         "DELETE /api/jobs/:id",
			steps:        []step{{`DELETE FROM jobs WHERE id = ? AND user_id = ?`, []any{"j1", "u1"}}},
			wantOriginal: "no such column: T.job_id",
			check:        `SELECT count(*) FROM jobs_fts`, checkWant: []string{"0"},
		},
		{
			name:         "POST /api/jobs/:id/analyze match_score",
			steps:        []step{{`UPDATE jobs SET match_score = ?, updated_at = ? WHERE id = ?`, []any{87, ts, "j1"}}},
			wantOriginal: "no such column: T.job_id",
		},
		{
			name:         "POST /api/jobs/cleanup",
			steps:        []step{{`UPDATE jobs SET is_archived = 1, updated_at = ? WHERE created_at < ? AND is_archived = 0`, []any{ts, "9999-01-01"}}},
			wantOriginal: "no such column: is_archived",
			check:        `SELECT archived || is_archived FROM jobs WHERE id = 'j1'`, checkWant: []string{"11"},
		},
		{
			name: "hybrid search joined on job_id",
			steps: []step{{`SELECT j.id AS jobId, rank AS fts_score FROM jobs_fts fts
				INNER JOIN jobs j ON j.id = fts.job_id
				WHERE jobs_fts MATCH ? AND j.user_id = ? ORDER BY rank LIMIT ?`, []any{"compilers", "u1", 40}}},
			wantOriginal: "no such column: T.job_id",
			wantRows:     1,
		},
		{
			name:         "PATCH /api/profile/work-experience/:id",
			steps:        []step{{`UPDATE work_experience SET title = ?, updated_at = ? WHERE id = ? AND user_id = ?`, []any{"Principal", ts, "w1", "u1"}}},
			wantOriginal: "no such column: T.work_id",
			check:        `SELECT work_id FROM work_experience_fts WHERE work_experience_fts MATCH 'principal'`, checkWant: []string{"w1"},
		},
		{
			name:         "DELETE /api/profile/work-experience/:id",
			steps:        []step{{`DELETE FROM work_experience WHERE id = ? AND user_id = ?`, []any{"w1", "u1"}}},
			wantOriginal: "no such column: T.work_id",
		},
		{
			name: "LinkedIn import",
			steps: []step{{`UPDATE users SET linkedin_imported = ?, linkedin_imported_at = ?, linkedin_limited_access = ?,
				first_name = ?, last_name = ?, email = ?, profile_image_url = ?, linkedin_url = ?, locale = ?, updated_at = ?
				WHERE id = ?`, []any{1, ts, 1, "Ada", "Lovelace", "ada@example.com", "https://media.example/ada.jpg", "https://www.linkedin.com/in/ada", "en_GB", ts, "u1"}}},
			wantOriginal: "no such column: linkedin_imported",
			check:        `SELECT last_name FROM users_fts WHERE users_fts MATCH 'lovelace'`, checkWant: []string{"Lovelace"},
		},
		{
			name: "email history insert and reads",
			steps: []step{
				{`INSERT INTO email_history (id, user_id, application_id, to_address, recipient_email, recipient_name,
					subject, from_email, from_name, status, sent_at, metadata, created_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					[]any{"e2", "u1", "a1", "hr@acme.example", "hr@acme.example", nil, "Application for Golang engineer at Acme",
						"noreply@jobmatch-ai.com", "Ada L", "sent", ts, `{"userId":"u1","applicationId":"a1"}`, ts}},
				{`SELECT * FROM email_history WHERE user_id = ? AND application_id = ? ORDER BY sent_at DESC LIMIT ? OFFSET ?`, []any{"u1", "a1", 20, 0}},
			},
			wantOriginal: "table email_history has no column named recipient_email",
			wantRows:     2,
			check:        `SELECT count(*) FROM email_history WHERE user_id = 'u1' AND sent_at >= '2029-12-31T23:00:00.000Z'`, checkWant: []string{"2"},
		},
		{
			name:         "GET /api/resume/gap-analysis/:id",
			steps:        []step{{`SELECT * FROM resume_gap_analyses WHERE id = ? AND user_id = ?`, []any{"g1", "u1"}}},
			wantOriginal: "no such table: resume_gap_analyses",
			wantRows:     1,
		},
		{
			name: "PATCH /api/resume/gap-analysis/:id/answer",
			steps: []step{{`UPDATE resume_gap_analyses SET clarification_questions = ?, questions_answered = ?, status = ?, completed_at = ?, updated_at = ?
				WHERE id = ? AND user_id = ?`, []any{`[{"question_id":1,"answer":"Travel"}]`, 1, "completed", ts, ts, "g1", "u1"}}},
			wantOriginal: "no such table: resume_gap_analyses",
			check:        `SELECT status || '|' || completion_percentage FROM resume_gap_analyses WHERE id = 'g1'`, checkWant: []string{"completed|100"},
		},
		{
			name:         "GET /api/resume/gap-analyses",
			steps:        []step{{`SELECT * FROM resume_gap_analyses WHERE user_id = ? ORDER BY created_at DESC`, []any{"u1"}}},
			wantOriginal: "no such table: resume_gap_analyses",
			wantRows:     1,
		},
		{
			name: "scraper",
			steps: []step{
				{`INSERT INTO job_searches (id, user_id, job_count, created_at) VALUES (?, ?, ?, ?)`, []any{"search1", "u1", 2, ts}},
				{`SELECT id, duplicate_count FROM canonical_job_metadata WHERE job_hash = ?`, []any{"acme_golang_engineer_remote"}},
				{`INSERT INTO canonical_job_metadata (id, job_hash, title, company, location, first_seen, last_seen, duplicate_count, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, []any{"canon1", "acme_golang_engineer_remote", "Golang engineer", "Acme", "Remote", ts, ts, 1, ts, ts}},
				{`INSERT INTO jobs (id, user_id, search_id, canonical_id, title, company, company_logo, location,
					work_arrangement, salary_min, salary_max, posted_date, description, url, source,
					required_skills, preferred_skills, experience_level, saved, archived, scraped_at, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					[]any{"j2", "u1", "search1", "canon1", "Golang engineer", "Acme", "", "Remote", "Remote", 100000.0, 150000.0, ts,
						"Go and Kubernetes", "https://jobs.example/1", "linkedin", `["Go","Kubernetes"]`, `[]`, nil, 0, 0, ts, ts, ts}},
				{`UPDATE canonical_job_metadata SET duplicate_count = duplicate_count + 1, updated_at = ? WHERE id = ?`, []any{ts, "canon1"}},
				{`SELECT id, duplicate_count FROM canonical_job_metadata WHERE job_hash = ?`, []any{"acme_golang_engineer_remote"}},
			},
			wantOriginal: "no such table: job_searches",
			wantRows:     1,
			check:        `SELECT job_id FROM jobs_fts WHERE jobs_fts MATCH 'kubernetes'`, checkWant: []string{"j2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("original schema fails", func(t *testing.T) {
				db := mustOpenOriginal(t)
				var err error
				for _, s := range tc.steps {
					if _, err = runStep(db, s.sql, s.args); err != nil {
						break
					}
				}
				if got := sqliteMessage(err); got != tc.wantOriginal {
					t.Errorf("error = %q, want %q", got, tc.wantOriginal)
				}
			})
			t.Run("all migrations succeed", func(t *testing.T) {
				db := mustOpenMigrated(t)
				var rows int
				for i, s := range tc.steps {
					n, err := runStep(db, s.sql, s.args)
					if err != nil {
						t.Fatalf("step %d: %v", i+1, err)
					}
					rows = n
				}
				if tc.wantRows != 0 && rows != tc.wantRows {
					t.Errorf("last step: %d rows, want %d", rows, tc.wantRows)
				}
				if tc.check != "" {
					if diff := cmp.Diff(tc.checkWant, queryStrings(t, db, tc.check)); diff != "" {
						t.Errorf("%s (-want +got):\n%s", tc.check, diff)
					}
				}
				var bad int
				mustQueryRow(t, db, `SELECT count(*) FROM pragma_foreign_key_check`, nil, &bad)
				if bad != 0 {
					t.Errorf("%d foreign key violations", bad)
				}
			})
		})
	}
}

func TestApplicationsStatusCheck(t *testing.T) {
	db := mustOpenMigrated(t)
	for _, status := range []string{"draft", "ready", "submitted", "viewed", "interviewing", "offered", "accepted", "rejected", "withdrawn"} {
		t.Run(status, func(t *testing.T) {
			mustExecChanges(t, db, `UPDATE applications SET status = ? WHERE id = 'a1'`, 1, status)
		})
	}
	t.Run("unknown status", func(t *testing.T) {
		_, err := db.Exec(`UPDATE applications SET status = 'ghosted' WHERE id = 'a1'`)
		want := "CHECK constraint failed: status IN ('draft', 'ready', 'submitted', 'viewed', 'interviewing', 'offered', 'accepted', 'rejected', 'withdrawn')"
		if got := sqliteMessage(err); got != want {
			t.Errorf("error = %q, want %q", got, want)
		}
	})
}

func TestJobFlagsSync(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sql     string
		changes int64
		want    string // saved, is_saved, archived, is_archived of job jx
	}{
		{"insert with saved", `INSERT INTO jobs (id, user_id, title, company, saved) VALUES ('jx', 'u1', 't', 'c', 1)`, 1, "1100"},
		{"insert with is_archived", `INSERT INTO jobs (id, user_id, title, company, is_archived) VALUES ('jx', 'u1', 't', 'c', 1)`, 1, "0011"},
		{"insert with neither", `INSERT INTO jobs (id, user_id, title, company) VALUES ('jx', 'u1', 't', 'c')`, 1, "0000"},
		{"update is_saved", `UPDATE jobs SET is_saved = 1 WHERE id = 'jx'`, 1, "1100"},
		{"update saved", `UPDATE jobs SET saved = 1 WHERE id = 'jx'`, 1, "1100"},
		{"update archived", `UPDATE jobs SET archived = 1 WHERE id = 'jx'`, 1, "0011"},
		{"update is_archived true (bound as 1.0)", `UPDATE jobs SET is_archived = 1.0 WHERE id = 'jx'`, 1, "0011"},
		// A name assigned its current value has not changed; the other wins.
		{"changed value wins over assigned one", `UPDATE jobs SET saved = 1, is_saved = 0, archived = 0, is_archived = 1 WHERE id = 'jx'`, 1, "1111"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustOpenMigrated(t)
			if strings.HasPrefix(tc.sql, "UPDATE") {
				mustExec(t, db, `INSERT INTO jobs (id, user_id, title, company) VALUES ('jx', 'u1', 't', 'c')`)
			}
			mustExecChanges(t, db, tc.sql, tc.changes)
			got := queryStrings(t, db, `SELECT saved || is_saved || archived || is_archived FROM jobs WHERE id = 'jx'`)
			if diff := cmp.Diff([]string{tc.want}, got); diff != "" {
				t.Errorf("saved|is_saved|archived|is_archived (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUpgradeKeepsData migrates a database that holds data under the
// original schema, as a deployed database would.
func TestUpgradeKeepsData(t *testing.T) {
	db := mustOpen(t)
	all := mustFiles(t)
	mustApply(t, db, all[:2]...)
	mustExec(t, db, seedOriginal)
	var appRowid int64
	mustQueryRow(t, db, `SELECT rowid FROM applications WHERE id = 'a1'`, nil, &appRowid)

	mustApply(t, db, all[2:]...)

	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"jobs_fts backfilled", `SELECT job_id FROM jobs_fts WHERE jobs_fts MATCH 'compilers'`, []string{"j1"}},
		{"work_experience_fts backfilled", `SELECT work_id || ' ' || user_id FROM work_experience_fts WHERE work_experience_fts MATCH 'printers'`, []string{"w1 u1"}},
		{"users_fts kept", `SELECT user_id FROM users_fts WHERE users_fts MATCH 'ada'`, []string{"u1"}},
		{"application row kept", `SELECT id || '|' || user_id || '|' || job_id || '|' || status || '|' || variants FROM applications`, []string{`a1|u1|j1|ready|[{"id":"variant-impact"}]`}},
		{"application rowid kept", `SELECT rowid FROM applications WHERE id = 'a1'`, []string{fmt.Sprint(appRowid)}},
		{"tracked_applications link kept", `SELECT application_id FROM tracked_applications WHERE id = 't1'`, []string{"a1"}},
		{"email_history link kept", `SELECT application_id FROM email_history WHERE id = 'e1'`, []string{"a1"}},
		{"is_saved copied from saved", `SELECT saved || is_saved || archived || is_archived FROM jobs WHERE id = 'j1'`, []string{"1100"}},
		{"endorsements from endorsed_count", `SELECT endorsements FROM skills WHERE id = 's1'`, []string{"5"}},
		{"no helper tables left", `SELECT name FROM sqlite_master WHERE name LIKE 'applications\_0006%' ESCAPE '\'`, nil},
		{"no foreign key violations", `SELECT "table" FROM pragma_foreign_key_check`, nil},
		{"applications indexes", `SELECT name FROM pragma_index_list('applications') WHERE origin = 'c' ORDER BY name`,
			[]string{"idx_applications_job_id", "idx_applications_status", "idx_applications_user_id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, queryStrings(t, db, tc.query)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
		})
	}
	t.Run("old rows can be updated and deleted", func(t *testing.T) {
		mustExecChanges(t, db, `UPDATE jobs SET title = 'Rust engineer' WHERE id = 'j1'`, 1)
		mustExecChanges(t, db, `UPDATE work_experience SET title = 'CTO' WHERE id = 'w1'`, 1)
		mustExecChanges(t, db, `DELETE FROM jobs WHERE id = 'j1'`, 1)
		mustExecChanges(t, db, `DELETE FROM work_experience WHERE id = 'w1'`, 1)
		for _, fts := range []string{"jobs_fts", "work_experience_fts"} {
			mustIntegrityCheck(t, db, fts)
		}
	})
}

// TestD1Compatibility checks what D1 refuses (transaction statements,
// PRAGMAs, TEMP objects, virtual tables other than fts5, _cf_ names) and
// that each file also works when split into statements and run one by one
// in one transaction, as local wrangler does.
func TestD1Compatibility(t *testing.T) {
	files := mustFiles(t)
	forbiddenFirst := map[string]bool{
		"BEGIN": true, "COMMIT": true, "END": true, "ROLLBACK": true, "SAVEPOINT": true, "RELEASE": true,
		"ATTACH": true, "DETACH": true, "PRAGMA": true, "VACUUM": true,
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			stmts := splitStatements(f.SQL)
			if len(stmts) == 0 {
				t.Fatal("no statements")
			}
			for _, s := range stmts {
				if forbiddenFirst[s.words[0]] {
					t.Errorf("statement starts with %s: %.60s", s.words[0], s.text)
				}
				for i, w := range s.words {
					switch {
					case w == "TEMP" || w == "TEMPORARY":
						t.Errorf("TEMP object: %.60s", s.text)
					case strings.HasPrefix(w, "_CF_"):
						t.Errorf("reserved _cf_ name %s", w)
					case w == "USING" && i >= 3 && s.words[1] == "VIRTUAL" && i+1 < len(s.words) && s.words[i+1] != "FTS5":
						t.Errorf("virtual table module %s: %.60s", s.words[i+1], s.text)
					}
				}
			}
		})
	}

	t.Run("split statements give the same schema", func(t *testing.T) {
		whole := mustOpen(t)
		mustApply(t, whole, files...)
		split := mustOpen(t)
		for _, f := range files {
			tx, err := split.Begin()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range splitStatements(f.SQL) {
				if _, err := tx.Exec(s.text); err != nil {
					tx.Rollback()
					t.Fatalf("%s: %v\nstatement: %s", f.Name, err, s.text)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		q := `SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name`
		if diff := cmp.Diff(queryStrings(t, whole, q), queryStrings(t, split, q)); diff != "" {
			t.Errorf("schema (-whole +split):\n%s", diff)
		}
	})
}

func TestSplitStatements(t *testing.T) {
	src := `-- comment; with a semicolon
CREATE TABLE a (x TEXT DEFAULT 'a;b'); /* block; comment */
CREATE TRIGGER t AFTER UPDATE ON a BEGIN
  UPDATE a SET x = CASE WHEN new.x = 'END' THEN 1 ELSE 2 END;
  DELETE FROM a WHERE x = "q;q";
END;
INSERT INTO a VALUES ('it''s; fine')`
	var got []string
	for _, s := range splitStatements(src) {
		got = append(got, s.words[0]+" "+s.words[1])
	}
	want := []string{"CREATE TABLE", "CREATE TRIGGER", "INSERT INTO"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
}

// BenchmarkApplyAll measures migrating a fresh database file with every
// file, each in its own transaction (what an emulator start costs for DB).
func BenchmarkApplyAll(b *testing.B) {
	files, err := Files()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	b.ResetTimer()
	for i := range b.N {
		path := filepath.Join(dir, fmt.Sprintf("db%d.sqlite", i))
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		for _, f := range files {
			if err := apply(db, f); err != nil {
				b.Fatal(err)
			}
		}
		db.Close()
	}
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

// mustOpen opens a new, empty database file with foreign keys on, as D1
// has them.
func mustOpen(t *testing.T) *sql.DB {
	t.Helper()
	return mustOpenFile(t, filepath.Join(t.TempDir(), "db.sqlite"))
}

// mustOpenOriginal opens a copy of the database migrated by 0001+0002 and
// seeded with seedOriginal.
func mustOpenOriginal(t *testing.T) *sql.DB {
	t.Helper()
	return mustOpenCopy(t, templates.original)
}

// mustOpenMigrated opens a copy of the database migrated by every file and
// seeded with seedAll.
func mustOpenMigrated(t *testing.T) *sql.DB {
	t.Helper()
	return mustOpenCopy(t, templates.migrated)
}

func mustOpenCopy(t *testing.T, template string) *sql.DB {
	t.Helper()
	b, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "db.sqlite")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return mustOpenFile(t, path)
}

func mustOpenFile(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// mustFiles returns the named migration files, or all of them.
func mustFiles(t *testing.T, names ...string) []File {
	t.Helper()
	files, err := Files()
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	if len(names) == 0 {
		return files
	}
	var out []File
	for _, f := range files {
		if slices.Contains(names, f.Name) {
			out = append(out, f)
		}
	}
	if len(out) != len(names) {
		t.Fatalf("found %d of the migrations %v", len(out), names)
	}
	return out
}

// mustApply runs each file whole in its own transaction.
func mustApply(t *testing.T, db *sql.DB, files ...File) {
	t.Helper()
	for _, f := range files {
		if err := apply(db, f); err != nil {
			t.Fatal(err)
		}
	}
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("exec %.80q: %v", query, err)
	}
}

// mustExecChanges runs one statement and checks the rows it changed itself
// (sqlite3_changes, which leaves out rows written by triggers).
func mustExecChanges(t *testing.T, db *sql.DB, query string, want int64, args ...any) {
	t.Helper()
	res, err := db.Exec(query, args...)
	if err != nil {
		t.Fatalf("exec %.80q: %v", query, err)
	}
	if got, err := res.RowsAffected(); err != nil || got != want {
		t.Fatalf("exec %.80q: %d rows changed (err %v), want %d", query, got, err, want)
	}
}

func mustQueryRow(t *testing.T, db *sql.DB, query string, args []any, dest ...any) {
	t.Helper()
	if err := db.QueryRow(query, args...).Scan(dest...); err != nil {
		t.Fatalf("query %.80q: %v", query, err)
	}
}

// queryStrings returns the first column of every row, as text.
func queryStrings(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("query %.80q: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			t.Fatalf("scan: %v", err)
		}
		out = append(out, v.String)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query %.80q: %v", query, err)
	}
	return out
}

// runStep executes a statement; for a SELECT it reads all rows and returns
// how many there were.
func runStep(db *sql.DB, query string, args []any) (int, error) {
	if !strings.HasPrefix(strings.TrimSpace(strings.ToUpper(query)), "SELECT") {
		_, err := db.Exec(query, args...)
		return 0, err
	}
	rows, err := db.Query(query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

func execOrQuery(db *sql.DB, query string) error {
	_, err := runStep(db, query, nil)
	return err
}

// sqliteMessage returns SQLite's own error message (what D1 puts between
// "D1_ERROR: " and ": SQLITE_<CODE>"), or "" for a nil error.
func sqliteMessage(err error) string {
	if err == nil {
		return ""
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err.Error()
	}
	// modernc formats "<sqlite3_errstr>: <sqlite3_errmsg> (<code>)".
	msg := strings.TrimSuffix(se.Error(), fmt.Sprintf(" (%d)", se.Code()))
	if _, m, ok := strings.Cut(msg, ": "); ok {
		return m
	}
	return msg
}

// tableNames lists the names of kind "table", "virtual" or "shadow" from
// PRAGMA table_list, sorted, without SQLite's own tables.
func tableNames(t *testing.T, db *sql.DB, kind string) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = ? AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`, kind)
}

// columnSpecs describes every column (hidden generated ones included) in
// the compact form of tableSpec.columns.
func columnSpecs(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid`, table)
	if err != nil {
		t.Fatalf("table_xinfo(%s): %v", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, typ string
		var notNull, pk, hidden int
		var dflt sql.NullString
		if err := rows.Scan(&name, &typ, &notNull, &dflt, &pk, &hidden); err != nil {
			t.Fatal(err)
		}
		s := name + " " + typ
		if pk > 0 {
			s += " PK"
		}
		if notNull == 1 {
			s += " NOT NULL"
		}
		if dflt.Valid {
			s += " DEFAULT " + dflt.String
		}
		if hidden == 2 || hidden == 3 {
			s += " GENERATED"
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func columnNames(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
}

// foreignKeys describes the table's foreign keys in declaration order.
func foreignKeys(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	// PRAGMA foreign_key_list numbers the constraints from the last one
	// declared, so descending id is declaration order.
	return queryStrings(t, db, `SELECT "from" || ' -> ' || "table" || '(' || "to" || ') ON DELETE ' || on_delete
		FROM pragma_foreign_key_list(?) ORDER BY id DESC, seq`, table)
}

// indexDefinitions maps every explicitly created index to
// "[UNIQUE ]table(col[ DESC], ...)".
func indexDefinitions(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	type index struct{ name, table string }
	var idx []index
	for _, row := range queryStrings(t, db, `SELECT name || ' ' || tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`) {
		name, table, _ := strings.Cut(row, " ")
		idx = append(idx, index{name, table})
	}
	out := make(map[string]string, len(idx))
	for _, ix := range idx {
		cols := queryStrings(t, db, `SELECT name || CASE WHEN desc THEN ' DESC' ELSE '' END FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno`, ix.name)
		var unique int
		mustQueryRow(t, db, `SELECT "unique" FROM pragma_index_list(?) WHERE name = ?`, []any{ix.table, ix.name}, &unique)
		def := ix.table + "(" + strings.Join(cols, ", ") + ")"
		if unique == 1 {
			def = "UNIQUE " + def
		}
		out[ix.name] = def
	}
	return out
}

// triggers maps trigger names to their tables.
func triggers(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, row := range queryStrings(t, db, `SELECT name || ' ' || tbl_name FROM sqlite_master WHERE type = 'trigger'`) {
		name, table, _ := strings.Cut(row, " ")
		out[name] = table
	}
	return out
}

// mustIntegrityCheck runs FTS5's own consistency check of the index.
func mustIntegrityCheck(t *testing.T, db *sql.DB, fts string) {
	t.Helper()
	if _, err := db.Exec(fmt.Sprintf(`INSERT INTO %s(%s) VALUES ('integrity-check')`, fts, fts)); err != nil {
		t.Errorf("%s integrity-check: %v", fts, err)
	}
}

func mergeMaps(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// statement is one SQL statement of a migration file, with its words
// (identifiers and keywords, upper-cased; comments and literals skipped).
type statement struct {
	text  string
	words []string
}

// splitStatements splits SQL text at the semicolons that end statements,
// treating a CREATE TRIGGER body (BEGIN ... END, with CASE ... END inside)
// as part of its statement, and ignoring semicolons in comments, string
// literals and quoted identifiers.
func splitStatements(src string) []statement {
	var out []statement
	var words []string
	start := 0
	inTrigger, inBody := false, false
	caseDepth := 0
	flush := func(end int) {
		if len(words) > 0 {
			out = append(out, statement{text: strings.TrimSpace(src[start:end]), words: words})
		}
		words = nil
		start = end + 1
		inTrigger, inBody, caseDepth = false, false, 0
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				i = len(src)
			} else {
				i += end + 3
			}
		case c == '\'' || c == '"' || c == '`' || c == '[':
			closer := c
			if c == '[' {
				closer = ']'
			}
			for i++; i < len(src); i++ {
				if src[i] == closer {
					if closer != ']' && i+1 < len(src) && src[i+1] == closer {
						i++ // doubled quote
						continue
					}
					break
				}
			}
		case c == ';':
			if !inBody {
				flush(i)
			}
		case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] == '_' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			w := strings.ToUpper(src[i:j])
			words = append(words, w)
			i = j - 1
			switch {
			case len(words) <= 3 && w == "TRIGGER" && words[0] == "CREATE":
				inTrigger = true
			case inTrigger && !inBody && w == "BEGIN":
				inBody = true
			case inBody && w == "CASE":
				caseDepth++
			case inBody && w == "END":
				if caseDepth > 0 {
					caseDepth--
				} else {
					inBody = false
				}
			}
		}
	}
	flush(len(src))
	return out
}
