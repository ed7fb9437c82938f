package d1

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/migrations"
	"jobmatch-edge/runtime"
)

// memDB opens a fresh in-memory database with the given migrations and
// template dir ("" for none).
func memDB(t *testing.T, files fstest.MapFS, templates string) *testDB {
	t.Helper()
	db := mustOpen(t, func(o *Options) { o.InMemory, o.Dir, o.TemplateDir = true, "", templates })
	db.info.Migrations = &MigrationSource{FS: files, Dir: "test"}
	return db
}

// jobmatchFS is the embedded JobMatch schema as a MapFS.
func jobmatchFS(t *testing.T) fstest.MapFS {
	t.Helper()
	ms, err := ReadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, m := range ms {
		out[m.Name] = file(m.SQL)
	}
	return out
}

// shape is what a migrated database holds: its whole schema, the migrations
// table and its AUTOINCREMENT counter.
type shape struct {
	Schema  [][]any
	Applied []AppliedMigration
	Seq     [][]any
	Size    int64
}

func shapeOf(t *testing.T, db *testDB) shape {
	t.Helper()
	ctx := context.Background()
	rows := func(sql string) [][]any {
		res, err := db.runQuery(ctx, Query{SQL: sql}, runMode{})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return res[0].Rows
	}
	applied, err := db.AppliedMigrations(ctx, DefaultMigrationsTable)
	if err != nil {
		t.Fatal(err)
	}
	return shape{
		Schema:  rows("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"),
		Applied: applied,
		Seq:     rows("SELECT name, seq FROM sqlite_sequence ORDER BY name"),
		Size:    db.Size(),
	}
}

func TestTemplateGivesWhatMigratingGives(t *testing.T) {
	files := jobmatchFS(t)
	ctx := context.Background()
	dir := t.TempDir()

	plain := memDB(t, files, "")
	plain.clock.Advance(90 * time.Minute)
	want, err := plain.ApplyMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantShape := shapeOf(t, plain)
	if len(want) != len(files) || wantShape.Applied[0].AppliedAt != "2030-01-01 01:30:00" {
		t.Fatalf("plain migration: applied %v, rows %+v", want, wantShape.Applied)
	}

	// The first database builds the template, the second copies it; both
	// are what migrating gives, applied_at from their own clock.
	for i, name := range []string{"builds the template", "copies the template"} {
		t.Run(name, func(t *testing.T) {
			db := memDB(t, files, dir)
			db.clock.Advance(90 * time.Minute)
			got, err := db.ApplyMigrations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("applied (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantShape, shapeOf(t, db)); diff != "" {
				t.Errorf("database (-migrated +from template):\n%s", diff)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 || filepath.Ext(entries[0].Name()) != ".sqlite" {
				t.Fatalf("template dir after start %d: %v, want one template file", i+1, entries)
			}
			// Nothing is pending afterwards, and the tables work.
			if again, err := db.ApplyMigrations(ctx); err != nil || len(again) != 0 {
				t.Fatalf("reapply: %v, %v; want nothing pending", again, err)
			}
			mustExec(t, db, "INSERT INTO users (id, email) VALUES ('u1', 'a@example.com')")
			if n := mustCount(t, db, "users"); n != 1 {
				t.Fatalf("users = %d, want 1", n)
			}
		})
	}
}

func TestTemplateNotUsedWhenMigrationsWriteRows(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	files := fstest.MapFS{"0001_seed.sql": file("CREATE TABLE seeds (v TEXT); INSERT INTO seeds VALUES (datetime('now'));")}
	db := memDB(t, files, dir)
	names, err := db.ApplyMigrations(ctx)
	if err != nil || len(names) != 1 {
		t.Fatalf("ApplyMigrations = %v, %v", names, err)
	}
	if n := mustCount(t, db, "seeds"); n != 1 {
		t.Fatalf("seeds = %d, want 1", n)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("template dir = %v, want empty (no template of a migration that writes rows)", entries)
	}
}

func TestTemplateDamagedFileIsRebuilt(t *testing.T) {
	files := fstest.MapFS{"0001_init.sql": file("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);")}
	dir := t.TempDir()
	ctx := context.Background()
	if _, err := memDB(t, files, dir).ApplyMigrations(ctx); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("template dir = %v, want one file", entries)
	}
	path := filepath.Join(dir, entries[0].Name())
	if err := os.WriteFile(path, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := memDB(t, files, dir)
	names, err := db.ApplyMigrations(ctx)
	if err != nil || len(names) != 1 {
		t.Fatalf("ApplyMigrations over a damaged template = %v, %v", names, err)
	}
	mustExec(t, db, "INSERT INTO notes (body) VALUES ('x')")
	if data, _ := os.ReadFile(path); string(data[:15]) != "SQLite format 3" {
		t.Fatalf("template not rebuilt: starts %q", data[:15])
	}
}

func TestTemplateFailingMigrationReportsTheSame(t *testing.T) {
	files := fstest.MapFS{
		"0001_ok.sql":  file("CREATE TABLE a (x);"),
		"0002_bad.sql": file("CREATE TABLE b (x);\nCREATE TABLE a (y);"),
	}
	ctx := context.Background()
	_, want := memDB(t, files, "").ApplyMigrations(ctx)
	db := memDB(t, files, t.TempDir())
	names, err := db.ApplyMigrations(ctx)
	if errText(err) != errText(want) || want == nil {
		t.Fatalf("error = %v\nwant    %v", err, want)
	}
	if diff := cmp.Diff([]string{"0001_ok.sql"}, names); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	var de *runtime.D1Error
	if !errors.As(err, &de) {
		t.Fatalf("error %T does not wrap a *runtime.D1Error", err)
	}
}
