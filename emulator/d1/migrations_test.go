package d1

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

func migrationsDB(t *testing.T, files fstest.MapFS, table string) *testDB {
	t.Helper()
	db := mustOpen(t)
	db.info.Migrations = &MigrationSource{FS: files, Dir: "test", Table: table}
	return db
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestMigrationOrder(t *testing.T) {
	files := fstest.MapFS{
		"10_c.sql":          file("SELECT 1;"),
		"9_b.sql":           file("SELECT 1;"),
		"1_a.sql":           file("SELECT 1;"),
		"0002_x.sql":        file("SELECT 1;"),
		"0002_a.sql":        file("SELECT 1;"),
		"readme.sql":        file("SELECT 1;"),
		"another.sql":       file("SELECT 1;"),
		"0003_notes.txt":    file("not sql"),
		"sub/0001_deep.sql": file("SELECT 1;"),
	}
	ms, err := ReadMigrations(files)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name)
	}
	want := []string{"1_a.sql", "0002_a.sql", "0002_x.sql", "9_b.sql", "10_c.sql", "another.sql", "readme.sql"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

var okMigrations = fstest.MapFS{
	"0001_init.sql": file(`-- Migration number: 0001 	 2030-01-01T00:00:00.000Z
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE INDEX users_email ON users (email);
`),
	"0002_posts.sql": file(`CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  body TEXT -- a comment; with a semicolon
);
INSERT INTO users (id, email) VALUES (1, 'a@example.com');
INSERT INTO posts (user_id, body) VALUES (1, 'hello; world');
`),
}

func TestMigrationsFreshAndReapply(t *testing.T) {
	db := migrationsDB(t, okMigrations, "")
	ctx := context.Background()
	names, err := db.ApplyMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"0001_init.sql", "0002_posts.sql"}, names); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	applied, err := db.AppliedMigrations(ctx, DefaultMigrationsTable)
	if err != nil {
		t.Fatal(err)
	}
	want := []AppliedMigration{
		{ID: 1, Name: "0001_init.sql", AppliedAt: "2030-01-01 00:00:00"},
		{ID: 2, Name: "0002_posts.sql", AppliedAt: "2030-01-01 00:00:00"},
	}
	if diff := cmp.Diff(want, applied); diff != "" {
		t.Errorf("d1_migrations (-want +got):\n%s", diff)
	}
	if v, err := db.Prepare("SELECT body FROM posts").FirstColumn(ctx, "body"); err != nil || v != "hello; world" {
		t.Errorf("body = %v, %v", v, err)
	}

	db.clock.Advance(time.Hour)
	names, err = db.ApplyMigrations(ctx)
	if err != nil || len(names) != 0 {
		t.Errorf("re-apply = %v, %v; want nothing applied", names, err)
	}
	if n := mustCount(t, db, "d1_migrations"); n != 2 {
		t.Errorf("d1_migrations rows = %d, want 2", n)
	}
	states, err := db.MigrationStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantStates := []MigrationState{
		{Name: "0001_init.sql", Applied: true, AppliedAt: "2030-01-01 00:00:00"},
		{Name: "0002_posts.sql", Applied: true, AppliedAt: "2030-01-01 00:00:00"},
	}
	if diff := cmp.Diff(wantStates, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}

func TestMigrationsTableIsWranglers(t *testing.T) {
	db := migrationsDB(t, okMigrations, "")
	ctx := context.Background()
	if _, err := db.ApplyMigrations(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Prepare("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('d1_migrations')").Raw(ctx, runtime.D1RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{"id", "INTEGER", int64(0), nil, int64(1)},
		{"name", "TEXT", int64(0), nil, int64(0)},
		{"applied_at", "TIMESTAMP", int64(1), "CURRENT_TIMESTAMP", int64(0)},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("d1_migrations columns (-want +got):\n%s", diff)
	}
	v, err := db.Prepare("SELECT sql FROM sqlite_schema WHERE name = 'd1_migrations'").FirstColumn(ctx, "sql")
	if err != nil {
		t.Fatal(err)
	}
	const wantSQL = "CREATE TABLE \"d1_migrations\"(\n\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n\t\tname       TEXT UNIQUE,\n\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n)"
	if v != wantSQL {
		t.Errorf("schema = %q\nwant     %q", v, wantSQL)
	}
}

func TestMigrationsFailingFile(t *testing.T) {
	files := fstest.MapFS{
		"0001_init.sql": okMigrations["0001_init.sql"],
		"0002_bad.sql": file(`CREATE TABLE half (id INTEGER PRIMARY KEY);
INSERT INTO half VALUES (1);
INSERT INTO nowhere VALUES (1);
`),
		"0003_later.sql": file("CREATE TABLE later (id INTEGER);"),
	}
	db := migrationsDB(t, files, "")
	ctx := context.Background()
	names, err := db.ApplyMigrations(ctx)
	if diff := cmp.Diff([]string{"0001_init.sql"}, names); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	var me *MigrationError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a *MigrationError", err)
	}
	const want = `migration 0002_bad.sql failed at statement "INSERT INTO nowhere VALUES (1);": no such table: nowhere: SQLITE_ERROR`
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err.Error(), want)
	}
	if me.File != "0002_bad.sql" {
		t.Errorf("File = %q", me.File)
	}
	// Nothing of 0002 remains, 0003 did not run, and 0001 stays applied.
	for _, tc := range []struct {
		name, sql string
		want      int64
	}{
		{"no half table", "SELECT count(*) FROM sqlite_schema WHERE name IN ('half', 'later')", 0},
		{"0001 recorded", "SELECT count(*) FROM d1_migrations WHERE name = '0001_init.sql'", 1},
		{"0002 not recorded", "SELECT count(*) FROM d1_migrations WHERE name = '0002_bad.sql'", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := db.Prepare(tc.sql).Raw(ctx, runtime.D1RawOptions{})
			if err != nil || rows[0][0] != tc.want {
				t.Errorf("%s = %v, %v; want %d", tc.sql, rows, err, tc.want)
			}
		})
	}
	t.Run("syntax error names the statement", func(t *testing.T) {
		db := migrationsDB(t, fstest.MapFS{"0001_x.sql": file("CREATE TABLE ok (a);\nCREAT TABLE bad (a);\n")}, "")
		_, err := db.ApplyMigrations(ctx)
		const want = `migration 0001_x.sql failed at statement "CREAT TABLE bad (a);": near "CREAT": syntax error at offset 0: SQLITE_ERROR`
		if errText(err) != want {
			t.Errorf("err = %q\nwant  %q", errText(err), want)
		}
	})
}

func TestMigrationsPrepopulatedByWrangler(t *testing.T) {
	db := migrationsDB(t, okMigrations, "")
	ctx := context.Background()
	// What `wrangler d1 migrations apply` leaves behind after 0001.
	mustExec(t, db,
		createMigrationsTable("d1_migrations"),
		"CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)",
		"INSERT INTO \"d1_migrations\" (name)\nvalues ('0001_init.sql');",
	)
	names, err := db.ApplyMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"0002_posts.sql"}, names); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	states, err := db.MigrationStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || !states[0].Applied || !states[1].Applied {
		t.Errorf("states = %+v", states)
	}
}

func TestMigrationsCustomTable(t *testing.T) {
	db := migrationsDB(t, okMigrations, `my "migrations"`)
	ctx := context.Background()
	if _, err := db.ApplyMigrations(ctx); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db, `"my ""migrations"""`); n != 2 {
		t.Errorf("rows = %d, want 2", n)
	}
	if n := mustCount(t, db, "sqlite_schema WHERE name = 'd1_migrations'"); n != 0 {
		t.Errorf("d1_migrations exists, want only the custom table")
	}
}

func TestMigrationsNone(t *testing.T) {
	db := mustOpen(t)
	if _, err := db.ApplyMigrations(context.Background()); !errors.Is(err, ErrNoMigrations) {
		t.Errorf("err = %v, want ErrNoMigrations", err)
	}
}
