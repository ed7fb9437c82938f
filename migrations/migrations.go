// Package migrations holds the JobMatch D1 schema as wrangler-format migration
// files (NNNN_name.sql), embedded so the D1 emulator can apply them to the
// database bound as DB without a migrations directory on disk. The same files
// deploy unchanged with `wrangler d1 migrations apply DB`.
//
// 0001_initial_schema.sql and 0002_fix_users_fts_content_table.sql reproduce
// the original Worker's schema (jobmatch-contract.md §5): 25 tables, 69 named
// indexes, 3 FTS5 tables and 9 triggers, with identical names, column order,
// types, defaults, CHECK expressions and foreign-key actions, so a database
// migrated by the original files and one migrated by these have the same
// shape and recognise each other's d1_migrations rows.
//
// Later files are not in the original. They make the Worker's intended
// behaviour possible against the schema (contract §5.6, §8.2):
//
//   - 0003 rebuilds jobs_fts and work_experience_fts as standalone FTS5 tables
//     so UPDATE and DELETE of existing jobs and work_experience rows no longer
//     fail with "no such column: T.job_id" / "T.work_id".
//   - 0004 adds the missing tables job_searches and resume_gap_analyses.
//   - 0005 adds the columns the Worker's SQL names (users LinkedIn fields,
//     skills.endorsements, jobs is_saved/is_archived/work_arrangement and the
//     scraper's columns, canonical_job_metadata dedup fields, email_history
//     sender/recipient fields), keeping saved/archived and is_saved/is_archived
//     equal with two triggers.
//   - 0006 rebuilds applications to add job_title, company,
//     selected_variant_id and submitted_at and to allow status 'viewed',
//     preserving the links from tracked_applications and email_history.
//
// Every such change is described in docs/DEVIATIONS.md.
//
// The files contain no transaction statements and no PRAGMAs, use only the
// fts5 virtual-table module and no TEMP objects, so D1 accepts them as they
// are, whether a file is sent whole (remote wrangler) or split into
// statements and run as one batch (local wrangler).
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// FS holds the migration files, named as wrangler records them in the name
// column of d1_migrations (e.g. "0001_initial_schema.sql").
//
//go:embed *.sql
var FS embed.FS

// File is one migration file.
type File struct {
	// Name is the file name, which wrangler stores in d1_migrations.name.
	Name string
	// SQL is the file's content, sent to D1 as one batch.
	SQL string
}

// Files returns the embedded migrations in the order wrangler applies them
// (see Compare).
func Files() ([]File, error) {
	names, err := fs.Glob(FS, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Slice(names, func(i, j int) bool { return Compare(names[i], names[j]) < 0 })
	files := make([]File, 0, len(names))
	for _, name := range names {
		b, err := fs.ReadFile(FS, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		files = append(files, File{Name: name, SQL: string(b)})
	}
	return files, nil
}

// Compare orders two migration file names the way wrangler does: by the
// number that starts the text before the first "_", read as JavaScript's
// parseInt reads it (wrangler's parseInt(name.split("_")[0]): leading
// blanks, an optional sign, then decimal digits, as a float64), files with a
// number before files without one, and equal numbers (or two unnumbered
// files) by plain string order. It returns -1, 0 or +1.
func Compare(a, b string) int {
	na, okA := leadingNumber(a)
	nb, okB := leadingNumber(b)
	switch {
	case okA && !okB:
		return -1
	case !okA && okB:
		return 1
	case okA && okB && na < nb:
		return -1
	case okA && okB && na > nb:
		return 1
	}
	return strings.Compare(a, b)
}

// leadingNumber parses the number that starts name's first "_"-separated
// part; ok is false when there is none (JavaScript's NaN).
func leadingNumber(name string) (n float64, ok bool) {
	part, _, _ := strings.Cut(name, "_")
	part = strings.TrimLeft(part, " \t\n\v\f\r")
	sign := 1.0
	if part != "" && (part[0] == '+' || part[0] == '-') {
		if part[0] == '-' {
			sign = -1
		}
		part = part[1:]
	}
	end := 0
	for end < len(part) && part[end] >= '0' && part[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, false
	}
	// Digits only, so the one possible error is overflow, for which
	// ParseFloat returns +Inf, as parseInt returns Infinity.
	v, _ := strconv.ParseFloat(part[:end], 64)
	return sign * v, true
}
