package d1

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

// restQuery POSTs body to the database's REST /query (or /raw) endpoint,
// in process, and returns the status, the cf-d1 header and the envelope.
func restQuery(t testing.TB, db *testDB, ctx context.Context, endpoint, body string) (int, string, runtime.Envelope) {
	t.Helper()
	mux := http.NewServeMux()
	db.svc.Routes(mux)
	req := httptest.NewRequest("POST", "/client/v4/accounts/acct/d1/database/"+db.info.UUID+"/"+endpoint, strings.NewReader(body)).WithContext(ctx)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	var env runtime.Envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("POST %s %s: body %q: %v", endpoint, body, rec.Body.String(), err)
	}
	return rec.Code, rec.Header().Get(HeaderD1), env
}

// wantRESTError checks a REST answer is D1's 400 / 7500 with message.
func wantRESTError(t testing.TB, status int, header string, env runtime.Envelope, message string) {
	t.Helper()
	want := []runtime.ErrorItem{{Code: runtime.CodeD1Error, Message: message}}
	if status != http.StatusBadRequest || env.Success || header != "err=7500" {
		t.Errorf("status %d success %v cf-d1 %q, want 400 false err=7500", status, env.Success, header)
	}
	if diff := cmp.Diff(want, env.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// mustIntact checks the database file is sound: quick_check answers ok,
// and the service reopens it (what `edge serve` does at start) with the
// table t and its rows.
func mustIntact(t *testing.T, db *testDB) {
	t.Helper()
	v, err := db.Prepare("PRAGMA quick_check").FirstColumn(context.Background(), "quick_check")
	if err != nil || v != "ok" {
		t.Fatalf("quick_check = %v, %v", v, err)
	}
	if err := db.svc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	svc, err := Open(db.svc.opts)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer svc.Close()
	again, err := svc.Get(db.info.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, again, "t"); n != 2 {
		t.Errorf("rows of t after reopening = %d, want 2", n)
	}
}

func TestInternalTablesRefused(t *testing.T) {
	const notAuthorized = "not authorized: SQLITE_AUTH"
	cases := []struct {
		name, sql string
		want      string // "" for notAuthorized (the REST message; the binding's has D1_ERROR: before it)
	}{
		{"dbpage update (corrupts page 1)", "UPDATE sqlite_dbpage SET data = zeroblob(4096) WHERE pgno = 1", ""},
		{"dbpage insert", "INSERT INTO sqlite_dbpage (pgno, data) VALUES (1, zeroblob(4096))", ""},
		{"dbpage delete", "DELETE FROM sqlite_dbpage", ""},
		{"dbpage select", "SELECT * FROM sqlite_dbpage", ""},
		{"dbpage one column", "SELECT pgno FROM sqlite_dbpage", ""},
		{"dbpage count", "SELECT count(*) FROM sqlite_dbpage", ""},
		{"dbpage with schema argument", "SELECT count(*) FROM sqlite_dbpage('main')", ""},
		{"dbpage qualified, other case", "SELECT data FROM main.SQLITE_DBPAGE WHERE pgno = 1", ""},
		{"dbpage in a subquery", "SELECT (SELECT length(data) FROM sqlite_dbpage LIMIT 1)", ""},
		{"dbpage into a table", "INSERT INTO t (name) SELECT hex(data) FROM sqlite_dbpage", ""},
		{"dbstat select", "SELECT * FROM dbstat", ""},
		{"dbstat count", "SELECT count(*) FROM dbstat", ""},
		{"dbstat column", "SELECT name, pgsize FROM dbstat('main')", ""},
		{"pragma function, not allowed", "SELECT * FROM pragma_journal_mode", ""},
		{"pragma function, count", "SELECT count(*) FROM pragma_compile_options", ""},
		{"pragma function, user_version", "SELECT user_version FROM pragma_user_version", ""},
		{"pragma function, database_list", "SELECT * FROM pragma_database_list", ""},
		{"pragma function, function_list", "SELECT name FROM pragma_function_list", ""},
		{"pragma function, module_list", "SELECT name FROM pragma_module_list", ""},
		{"pragma function, upper case", "SELECT * FROM PRAGMA_PAGE_COUNT", ""},
		{"pragma function, integrity_check", "SELECT * FROM pragma_integrity_check", ""},
		// sqlite_dbpage is direct-only: SQLite itself refuses it in views
		// and triggers, before the authorizer sees it.
		{"view over dbpage", "SELECT * FROM v_pages", `unsafe use of virtual table "sqlite_dbpage": SQLITE_ERROR`},
		{"trigger writing dbpage", "INSERT INTO t (name) VALUES ('fires tr_pages')", `unsafe use of virtual table "sqlite_dbpage": SQLITE_ERROR`},
		{"view over dbstat", "SELECT * FROM v_stat", `unsafe use of virtual table "dbstat": SQLITE_ERROR`},
		{"view over a pragma function", "SELECT * FROM v_journal", ""},
	}
	for i := range cases {
		if cases[i].want == "" {
			cases[i].want = notAuthorized
		}
	}
	prepare := func(t *testing.T) *testDB {
		db := mustOpen(t)
		mustExec(t, db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
			"INSERT INTO t (name) VALUES ('a'), ('b')",
			// Creating them is harmless: what they read or write is refused
			// when they are used.
			"CREATE VIEW v_pages AS SELECT pgno, data FROM sqlite_dbpage",
			"CREATE VIEW v_stat AS SELECT name FROM dbstat",
			"CREATE VIEW v_journal AS SELECT * FROM pragma_journal_mode",
			"CREATE TRIGGER tr_pages AFTER INSERT ON t BEGIN UPDATE sqlite_dbpage SET data = zeroblob(4096) WHERE pgno = 1; END")
		return db
	}
	t.Run("binding", func(t *testing.T) {
		db := prepare(t)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := db.Prepare(tc.sql).All(context.Background())
				wantErr(t, err, "D1_ERROR: "+tc.want)
				_, err = db.Batch(context.Background(), []runtime.D1PreparedStatement{db.Prepare(tc.sql)})
				wantErr(t, err, "D1_ERROR: "+tc.want)
			})
		}
		mustIntact(t, db)
	})
	t.Run("REST", func(t *testing.T) {
		db := prepare(t)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				sql, _ := json.Marshal(tc.sql)
				for _, body := range []string{`{"sql":` + string(sql) + `}`, `{"batch":[{"sql":` + string(sql) + `}]}`} {
					status, h, env := restQuery(t, db, context.Background(), "query", body)
					wantRESTError(t, status, h, env, tc.want)
				}
			})
		}
		mustIntact(t, db)
	})
}

// The pragma functions of allowed pragmas are read-only views D1 keeps.
func TestAllowedPragmaFunctions(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	mustExec(t, db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", "CREATE INDEX t_name ON t (name)")
	for _, tc := range []struct {
		name, sql string
		want      []any
	}{
		{"table_info", "SELECT group_concat(name) FROM pragma_table_info('t')", []any{"id,name"}},
		{"table_xinfo", "SELECT count(*) FROM pragma_table_xinfo('t')", []any{int64(2)}},
		{"index_list", "SELECT name FROM pragma_index_list('t')", []any{"t_name"}},
		{"index_info", "SELECT name FROM pragma_index_info('t_name')", []any{"name"}},
		{"table_list", "SELECT count(*) > 0 FROM pragma_table_list", []any{int64(1)}},
		{"foreign_keys", "SELECT * FROM pragma_foreign_keys", []any{int64(1)}},
		{"page_size", "SELECT * FROM pragma_page_size", []any{int64(4096)}},
		{"quick_check", "SELECT * FROM pragma_quick_check", []any{"ok"}},
		{"json_each", "SELECT group_concat(value) FROM json_each('[1,2,3]')", []any{"1,2,3"}},
		{"json_tree", "SELECT count(*) FROM json_tree('{\"a\":[1]}')", []any{int64(3)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := db.Prepare(tc.sql).Raw(ctx, runtime.D1RawOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([][]any{tc.want}, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}
