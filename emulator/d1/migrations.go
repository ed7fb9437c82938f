package d1

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"jobmatch-edge/emulator/internal/store"
	"jobmatch-edge/runtime"
)

// MigrationSource is where a database's migrations come from: the *.sql
// files at the root of FS (wrangler's migrations_dir), recorded in Table
// (wrangler's migrations_table, default d1_migrations).
type MigrationSource struct {
	FS    fs.FS
	Dir   string // for messages: the directory or "embedded"
	Table string // "" means DefaultMigrationsTable
}

func (m *MigrationSource) table() string {
	if m.Table == "" {
		return DefaultMigrationsTable
	}
	return m.Table
}

// Migration is one migration file.
type Migration struct {
	Name string // file name, e.g. "0001_init.sql": what d1_migrations records
	SQL  string
}

// ReadMigrations lists the *.sql files at the root of fsys in wrangler's
// order: by the integer before the first "_", numbered files first, ties
// and unnumbered files by name.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Name: e.Name(), SQL: string(data)})
	}
	sort.SliceStable(out, func(i, j int) bool { return compareMigrationNames(out[i].Name, out[j].Name) < 0 })
	return out, nil
}

// leadingNumber parses the digits before the first "_" the way
// JavaScript's parseInt does (leading digits, after optional space and
// sign); ok is false when there are none.
func leadingNumber(name string) (float64, bool) {
	s, _, _ := strings.Cut(name, "_")
	s = strings.TrimLeft(s, " \t\n\r")
	sign := 1.0
	if s != "" && (s[0] == '+' || s[0] == '-') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s[:end], 64)
	if err != nil {
		return 0, false
	}
	return sign * v, true
}

func compareMigrationNames(a, b string) int {
	an, aok := leadingNumber(a)
	bn, bok := leadingNumber(b)
	switch {
	case aok && bok && an != bn:
		if an < bn {
			return -1
		}
		return 1
	case aok && !bok:
		return -1
	case !aok && bok:
		return 1
	}
	return strings.Compare(a, b)
}

// quoteIdent quotes an identifier as wrangler does ("x""y").
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// createMigrationsTable is wrangler's statement, byte for byte in meaning.
func createMigrationsTable(table string) string {
	return "CREATE TABLE IF NOT EXISTS " + quoteIdent(table) + `(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`
}

// AppliedMigration is one row of the migrations table.
type AppliedMigration struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	AppliedAt string `json:"applied_at"`
}

// MigrationState is a migration file and whether it is applied.
type MigrationState struct {
	Name      string `json:"name"`
	Applied   bool   `json:"applied"`
	AppliedAt string `json:"applied_at,omitempty"`
}

// MigrationError says which migration file and statement failed.
type MigrationError struct {
	File      string // e.g. "0002_add_x.sql"
	Statement string // the failing statement's text
	Err       error  // the D1 error
}

func (e *MigrationError) Error() string {
	msg := e.Err.Error()
	var de *runtime.D1Error
	if errors.As(e.Err, &de) {
		msg = de.Message
	}
	return fmt.Sprintf("migration %s failed at statement %q: %s", e.File, strings.TrimSpace(e.Statement), msg)
}

func (e *MigrationError) Unwrap() error { return e.Err }

// ErrNoMigrations means the database has no migrations configured.
var ErrNoMigrations = errors.New("no migrations configured for this database (set migrations_dir in wrangler.toml)")

// AppliedMigrations creates the migrations table if needed (as wrangler
// does before listing) and returns its rows ordered by id.
func (db *Database) AppliedMigrations(ctx context.Context, table string) ([]AppliedMigration, error) {
	if _, err := db.runQuery(ctx, Query{SQL: createMigrationsTable(table)}, runMode{}); err != nil {
		return nil, err
	}
	res, err := db.runQuery(ctx, Query{SQL: "SELECT * FROM " + quoteIdent(table) + " ORDER BY id"}, runMode{})
	if err != nil {
		return nil, err
	}
	var out []AppliedMigration
	for _, row := range res[0].Objects() {
		var a AppliedMigration
		a.ID, _ = row["id"].(int64)
		a.Name, _ = row["name"].(string)
		a.AppliedAt = fmt.Sprint(row["applied_at"])
		out = append(out, a)
	}
	return out, nil
}

// migrationFiles reads the database's migration files in order and the
// applied_at of each one already in its migrations table.
func (db *Database) migrationFiles(ctx context.Context) ([]Migration, map[string]string, error) {
	src := db.info.Migrations
	if src == nil {
		return nil, nil, ErrNoMigrations
	}
	files, err := ReadMigrations(src.FS)
	if err != nil {
		return nil, nil, err
	}
	applied, err := db.AppliedMigrations(ctx, src.table())
	if err != nil {
		return nil, nil, err
	}
	at := make(map[string]string, len(applied))
	for _, a := range applied {
		at[a.Name] = a.AppliedAt
	}
	return files, at, nil
}

// MigrationStates lists the migration files in order, each marked applied
// iff its name is in the migrations table.
func (db *Database) MigrationStates(ctx context.Context) ([]MigrationState, error) {
	files, at, err := db.migrationFiles(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationState, len(files))
	for i, f := range files {
		when, ok := at[f.Name]
		out[i] = MigrationState{Name: f.Name, Applied: ok, AppliedAt: when}
	}
	return out, nil
}

// ApplyMigrations applies every pending migration in order, each file and
// its INSERT INTO the migrations table as one transaction. It returns the
// names applied; the first failure stops the run (earlier files stay
// applied) with a *MigrationError. A fresh in-memory database gets the same
// result from its migrated template when one can be used (template.go).
func (db *Database) ApplyMigrations(ctx context.Context) ([]string, error) {
	if names, ok := db.fromTemplate(ctx); ok {
		return names, nil
	}
	return db.applyPending(ctx)
}

// applyPending applies the pending migrations one by one.
func (db *Database) applyPending(ctx context.Context) ([]string, error) {
	files, at, err := db.migrationFiles(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		if _, done := at[f.Name]; done {
			continue
		}
		if err := db.applyOne(ctx, db.info.Migrations.table(), f); err != nil {
			return names, err
		}
		names = append(names, f.Name)
	}
	return names, nil
}

// applyOne runs a file's statements and its bookkeeping INSERT in one
// transaction on the writer, statement by statement (a later statement may
// refer to what an earlier one created).
func (db *Database) applyOne(ctx context.Context, table string, m Migration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Differs from Cloudflare: applied_at comes from the emulator's clock.
	insert := fmt.Sprintf("INSERT INTO %s (name, applied_at)\nvalues (%s, %s);", quoteIdent(table),
		quoteString(m.Name), quoteString(db.svc.clock.Now().UTC().Format("2006-01-02 15:04:05")))
	text := strings.TrimLeft(m.SQL+"\n"+insert, " \t\r\n")
	return db.write(ctx, func(c *store.Conn) error {
		return db.inTx(c, func() error {
			rest := text
			for {
				st, tail, err := c.Prepare(rest, false)
				if err != nil {
					return &MigrationError{File: m.Name, Statement: firstStatement(rest), Err: db.sqliteErr(c, err)}
				}
				if st == nil {
					return nil
				}
				_, err = db.step(c, st, nil, true, runMode{})
				stmtSQL := st.SQL()
				st.Close()
				if err != nil {
					return &MigrationError{File: m.Name, Statement: stmtSQL, Err: err}
				}
				// Statements are sent one by one, trimmed, as local wrangler does.
				rest = strings.TrimLeft(tail, " \t\r\n")
			}
		})
	})
}

// firstStatement is the text up to the first ";" (for messages only).
func firstStatement(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ';'); i >= 0 {
		return s[:i+1]
	}
	return s
}
