package d1

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"jobmatch-edge/emulator/internal/store"
)

// Migrated templates. Applying the JobMatch migrations to a fresh database
// takes ~30 ms of CPU (SQLite parsing and building each table, index,
// trigger and FTS table), most of an in-memory server's start. So a fresh
// in-memory database whose migrations leave no rows behind starts as a
// page-for-page copy of one that already ran them, kept as a file in
// Options.TemplateDir under a name that hashes everything its pages depend
// on (the migration files and their order, the migrations table, the
// limits, the SQLite build). The template is built by this same code the
// first time (applyOne on a scratch database), checked again each time it
// is used, and the migrations table's applied_at is set from the clock
// afterwards, so the database and what the caller is told are those of
// applying the files now. Anything unexpected (no dir, a file that fails
// its check, a migration that writes rows, which could depend on the time
// it ran) takes the ordinary path.

// templateFormat changes when the way templates are built or checked does.
const templateFormat = "d1-template-1"

// fromTemplate applies every migration of a fresh in-memory database by
// copying its template; ok is false when the ordinary path must run.
func (db *Database) fromTemplate(ctx context.Context) (names []string, ok bool) {
	src := db.info.Migrations
	dir := db.svc.opts.TemplateDir
	if src == nil || dir == "" || !db.svc.opts.InMemory || ctx.Err() != nil || !db.isEmpty(ctx) {
		return nil, false
	}
	files, err := ReadMigrations(src.FS)
	if err != nil || len(files) == 0 {
		return nil, false
	}
	want := make([]string, len(files))
	for i, f := range files {
		want[i] = f.Name
	}
	path := filepath.Join(dir, templateKey(db.svc.limits, src.table(), files)+".sqlite")
	tc, err := openTemplate(path, src.table(), want)
	if err != nil {
		if tc, err = db.svc.buildTemplate(ctx, src, path, want); err != nil {
			db.svc.log.Debug("d1 template not used", "err", err)
			return nil, false
		}
	}
	defer tc.Close()
	now := db.svc.clock.Now().UTC().Format("2006-01-02 15:04:05")
	err = db.write(ctx, func(c *store.Conn) error {
		if err := store.CopyDatabase(c, tc); err != nil {
			return err
		}
		err := trusted(c, "UPDATE "+quoteIdent(src.table())+" SET applied_at = "+quoteString(now))
		db.refreshSize(c)
		return err
	})
	if err != nil {
		db.svc.log.Warn("d1 template copy failed; applying migrations one by one", "database", db.info.Name, "err", err)
		return nil, false
	}
	return want, true
}

// isEmpty reports whether the database has no schema at all.
func (db *Database) isEmpty(ctx context.Context) bool {
	n := int64(-1)
	_ = db.write(ctx, func(c *store.Conn) error {
		p := policyOf(c)
		p.trusted = true
		defer func() { p.trusted = false }()
		n = pragmaInt(c, "SELECT count(*) FROM sqlite_master")
		return nil
	})
	return n == 0
}

// templateKey names the template of applying files (in this order) with
// the migrations table table under limits l on this SQLite build.
func templateKey(l Limits, table string, files []Migration) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%q\x00%+v\x00", templateFormat, store.SQLiteSourceID(), table, l)
	for _, f := range files {
		fmt.Fprintf(h, "%d:%s\x00%d:%s\x00", len(f.Name), f.Name, len(f.SQL), f.SQL)
	}
	return "d1-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// buildTemplate applies the migrations to a scratch in-memory database the
// ordinary way, writes it to path (through a temporary file renamed into
// place, so a concurrent reader sees all of it or nothing) and returns it
// opened. When path cannot be written it returns an error: without a
// template file this start gains nothing, and the ordinary path runs.
func (s *Service) buildTemplate(ctx context.Context, src *MigrationSource, path string, want []string) (*store.Conn, error) {
	sq, err := store.OpenSQLite("d1-template-"+randomHex(8), store.SQLiteOptions{InMemory: true, Readers: 1, Setup: setupConn(s.limits)})
	if err != nil {
		return nil, err
	}
	scratch := &Database{svc: s, info: Info{Name: "template", Migrations: src}, sq: sq}
	defer scratch.close()
	names, err := scratch.applyPending(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(names, want) {
		return nil, fmt.Errorf("template applied %v, want %v", names, want)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".d1-template-*")
	if err != nil {
		return nil, err
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // gone once renamed; a leftover otherwise
	out, err := store.OpenFileConn(tmpName, true)
	if err != nil {
		return nil, err
	}
	err = scratch.write(ctx, func(c *store.Conn) error { return store.CopyDatabase(out, c) })
	if err == nil {
		err = checkTemplate(out, src.table(), want)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return nil, err
	}
	return openTemplate(path, src.table(), want)
}

// openTemplate opens the template at path, read-only, once it passes
// checkTemplate.
func openTemplate(path, table string, want []string) (*store.Conn, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	c, err := store.OpenFileConn(path, false)
	if err != nil {
		return nil, err
	}
	if err := checkTemplate(c, table, want); err != nil {
		c.Close()
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	return c, nil
}

var errTemplateRows = errors.New("the migrations leave rows behind")

// checkTemplate checks a template: an intact file whose migrations table
// lists exactly want, in order, and whose tables hold no rows (rows a
// migration wrote might depend on when it ran: datetime('now'), random()).
func checkTemplate(c *store.Conn, table string, want []string) error {
	ok, err := queryStrings(c, "PRAGMA quick_check")
	if err != nil {
		return err
	}
	if !slices.Equal(ok, []string{"ok"}) {
		return fmt.Errorf("quick_check: %v", ok)
	}
	names, err := queryStrings(c, "SELECT name FROM "+quoteIdent(table)+" ORDER BY id")
	if err != nil {
		return err
	}
	if !slices.Equal(names, want) {
		return fmt.Errorf("applied %v, want %v", names, want)
	}
	tables, err := queryStrings(c, "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> "+quoteString(table))
	if err != nil {
		return err
	}
	for _, t := range tables {
		n, err := queryStrings(c, "SELECT count(*) > 0 FROM "+quoteIdent(t))
		if err != nil {
			return err
		}
		if !slices.Equal(n, []string{"0"}) {
			return fmt.Errorf("table %s: %w", t, errTemplateRows)
		}
	}
	return nil
}

// queryStrings returns the first column of every row of sql, as text.
func queryStrings(c *store.Conn, sql string) ([]string, error) {
	st, _, err := c.Prepare(sql, false)
	if err != nil || st == nil {
		return nil, err
	}
	defer st.Close()
	var out []string
	for {
		more, err := st.Step()
		if err != nil {
			return nil, err
		}
		if !more {
			return out, nil
		}
		out = append(out, fmt.Sprint(st.Column(0)))
	}
}
