package d1

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

func TestBindTypes(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		value    any
		wantType string
		want     any
	}{
		{"int64", int64(1) << 60, "integer", int64(1) << 60},
		{"int", 42, "integer", int64(42)},
		{"int32", int32(-7), "integer", int64(-7)},
		{"uint8", uint8(255), "integer", int64(255)},
		{"uint64 max int64", uint64(math.MaxInt64), "integer", int64(math.MaxInt64)},
		{"float64", 1.5, "real", 1.5},
		{"float32", float32(0.25), "real", 0.25},
		{"true", true, "integer", int64(1)},
		{"false", false, "integer", int64(0)},
		{"string", "héllo", "text", "héllo"},
		{"empty string", "", "text", ""},
		{"blob", []byte{87, 97, 0, 255}, "blob", []byte{87, 97, 0, 255}},
		{"empty blob", []byte{}, "blob", []byte{}},
		{"nil", nil, "null", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row, err := db.Prepare("SELECT typeof(?1) AS t, ?1 AS v").Bind(tc.value).First(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]any{"t": tc.wantType, "v": tc.want}, row); diff != "" {
				t.Errorf("row (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBindTypeErrors(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		value any
		want  string
	}{
		{"time", testStart, "D1_TYPE_ERROR: Type 'time.Time' not supported for value '2030-01-01 00:00:00 +0000 UTC'"},
		{"uint64 beyond int64", uint64(math.MaxUint64), "D1_TYPE_ERROR: Type 'uint64' not supported for value '18446744073709551615'"},
		{"map", map[string]int{"a": 1}, "D1_TYPE_ERROR: Type 'map[string]int' not supported for value 'map[a:1]'"},
		{"slice of strings", []string{"a"}, "D1_TYPE_ERROR: Type '[]string' not supported for value '[a]'"},
		{"struct", struct{ A int }{1}, "D1_TYPE_ERROR: Type 'struct { A int }' not supported for value '{1}'"},
		{"duration", time.Second, "D1_TYPE_ERROR: Type 'time.Duration' not supported for value '1s'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Prepare("SELECT ?").Bind(tc.value).All(ctx)
			wantErr(t, err, tc.want)
		})
	}
}

func TestBindReturnsNewStatement(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	base := db.Prepare("SELECT ? AS v")
	one := base.Bind(1)
	two := one.Bind(2)
	for _, tc := range []struct {
		name string
		stmt runtime.D1PreparedStatement
		want any
		err  string
	}{
		{"unbound", base, nil, "D1_ERROR: Wrong number of parameter bindings for SQL query."},
		{"first bind", one, int64(1), ""},
		{"rebind", two, int64(2), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.stmt.FirstColumn(ctx, "v")
			wantErr(t, err, tc.err)
			if v != tc.want {
				t.Errorf("v = %v, want %v", v, tc.want)
			}
		})
	}
}

func TestResultShapes(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	mustExec(t, db,
		"CREATE TABLE abc (a INTEGER, b TEXT, c REAL)",
		"CREATE TABLE cde (c TEXT, d BLOB, e TEXT)",
		"INSERT INTO abc VALUES (1, 'x', 1.5), (2, 'y', NULL)",
		"INSERT INTO cde VALUES ('c2', X'0102', NULL)",
	)
	t.Run("all", func(t *testing.T) {
		res, err := db.Prepare("SELECT a, b, c FROM abc ORDER BY a").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []map[string]any{{"a": int64(1), "b": "x", "c": 1.5}, {"a": int64(2), "b": "y", "c": nil}}
		if diff := cmp.Diff(want, res.Results); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
		if !res.Success || res.Meta.ServedBy != ServedBy || res.Meta.RowsRead < 2 {
			t.Errorf("meta = %+v success %v", res.Meta, res.Success)
		}
	})
	t.Run("run of a write has empty results", func(t *testing.T) {
		res, err := db.Prepare("INSERT INTO abc VALUES (3, 'z', 0)").Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Results == nil || len(res.Results) != 0 {
			t.Errorf("results = %#v, want []", res.Results)
		}
		want := runtime.D1Meta{Changes: 1, LastRowID: 3, ChangedDB: true, SizeAfter: db.Size(), RowsRead: 0, RowsWritten: 1, ServedBy: ServedBy}
		if diff := cmp.Diff(want, res.Meta); diff != "" {
			t.Errorf("meta (-want +got):\n%s", diff)
		}
		if res.Meta.SizeAfter < 4096 {
			t.Errorf("size_after = %d", res.Meta.SizeAfter)
		}
	})
	t.Run("raw keeps duplicate column names", func(t *testing.T) {
		rows, err := db.Prepare("SELECT * FROM abc, cde WHERE abc.a = 1").Raw(ctx, runtime.D1RawOptions{ColumnNames: true})
		if err != nil {
			t.Fatal(err)
		}
		want := [][]any{{"a", "b", "c", "c", "d", "e"}, {int64(1), "x", 1.5, "c2", []byte{1, 2}, nil}}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("raw (-want +got):\n%s", diff)
		}
	})
	t.Run("raw without names", func(t *testing.T) {
		rows, err := db.Prepare("SELECT a FROM abc ORDER BY a").Raw(ctx, runtime.D1RawOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]any{{int64(1)}, {int64(2)}, {int64(3)}}, rows); diff != "" {
			t.Errorf("raw (-want +got):\n%s", diff)
		}
	})
	t.Run("all with duplicates keeps the last", func(t *testing.T) {
		row, err := db.Prepare("SELECT * FROM abc, cde WHERE abc.a = 1").First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if row["c"] != "c2" {
			t.Errorf("c = %v, want c2 (the later column)", row["c"])
		}
	})
	t.Run("first with no rows is nil", func(t *testing.T) {
		row, err := db.Prepare("SELECT * FROM abc WHERE a = 99").First(ctx)
		if err != nil || row != nil {
			t.Errorf("First = %v, %v; want nil, nil", row, err)
		}
		v, err := db.Prepare("SELECT * FROM abc WHERE a = 99").FirstColumn(ctx, "nope")
		if err != nil || v != nil {
			t.Errorf("FirstColumn = %v, %v; want nil, nil", v, err)
		}
	})
	t.Run("first column not found", func(t *testing.T) {
		_, err := db.Prepare("SELECT a FROM abc").FirstColumn(ctx, "zzz")
		wantErr(t, err, "D1_COLUMN_NOTFOUND: Column not found (zzz)")
	})
	t.Run("first column", func(t *testing.T) {
		v, err := db.Prepare("SELECT b FROM abc WHERE a = ?").Bind(2).FirstColumn(ctx, "b")
		if err != nil || v != "y" {
			t.Errorf("FirstColumn = %v, %v; want y", v, err)
		}
	})
	t.Run("several statements return the last", func(t *testing.T) {
		res, err := db.Prepare("SELECT 1 AS x; SELECT 2 AS y").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]map[string]any{{"y": int64(2)}}, res.Results); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
	})
	t.Run("several statements, params on the last", func(t *testing.T) {
		res, err := db.Prepare("INSERT INTO abc VALUES (10, 'p', 0); SELECT b FROM abc WHERE a = ?").Bind(10).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]map[string]any{{"b": "p"}}, res.Results); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
	})
}

func TestErrors(t *testing.T) {
	db := mustOpen(t, func(o *Options) { o.Readers = 1 })
	ctx := context.Background()
	mustExec(t, db,
		"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)",
		"INSERT INTO t VALUES (1, 'a')",
	)
	params := func(n int) string { return "SELECT " + strings.TrimSuffix(strings.Repeat("?,", n), ",") }
	nthQ := func(s string, n int) int { // offset of the n-th '?'
		for i := range s {
			if s[i] == '?' {
				if n--; n == 0 {
					return i
				}
			}
		}
		return -1
	}
	nested := "SELECT " + strings.Repeat("abs(", 100) + "1" + strings.Repeat(")", 100)
	var cols []string
	for i := range 101 {
		cols = append(cols, fmt.Sprintf("c%d INTEGER", i))
	}
	for _, tc := range []struct {
		name string
		sql  string
		args []any
		want string
	}{
		{"syntax", "SELEC 1", nil, `D1_ERROR: near "SELEC": syntax error at offset 0: SQLITE_ERROR`},
		{"no such table", "SELECT * FROM foo", nil, "D1_ERROR: no such table: foo: SQLITE_ERROR"},
		{"primary key", "INSERT INTO t VALUES (1, 'b')", nil, "D1_ERROR: UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"},
		{"unique", "INSERT INTO t VALUES (2, 'a')", nil, "D1_ERROR: UNIQUE constraint failed: t.name: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)"},
		{"not null", "INSERT INTO t VALUES (3, NULL)", nil, "D1_ERROR: NOT NULL constraint failed: t.name: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_NOTNULL)"},
		{"table exists", "CREATE TABLE t (x)", nil, "D1_ERROR: table t already exists at offset 13: SQLITE_ERROR"},
		{"no statements", "", nil, "D1_ERROR: No SQL statements detected."},
		{"only comments", "-- nothing\n/* here */", nil, "D1_ERROR: No SQL statements detected."},
		{"too few bindings", "SELECT ?, ?", []any{1}, "D1_ERROR: Wrong number of parameter bindings for SQL query."},
		{"too many bindings", "SELECT 1", []any{1}, "D1_ERROR: Wrong number of parameter bindings for SQL query."},
		{"params before the last statement", "SELECT ?; SELECT 2", []any{1}, "D1_ERROR: When executing multiple SQL statements in a single call, only the last statement can have parameters."},
		{"100 parameters are fine", params(100), make([]any, 100), ""},
		{"101 parameters", params(101), make([]any, 101), fmt.Sprintf("D1_ERROR: too many SQL variables at offset %d: SQLITE_ERROR", nthQ(params(101), 101))},
		{"101 columns", "CREATE TABLE wide (" + strings.Join(cols, ", ") + ")", nil, "D1_ERROR: too many columns on wide: SQLITE_ERROR"},
		{"expression depth", nested, nil, "D1_ERROR: Expression tree is too large (maximum depth 100): SQLITE_ERROR"},
		{"6 compound terms", "SELECT 1 UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5 UNION SELECT 6", nil, "D1_ERROR: too many terms in compound SELECT: SQLITE_ERROR"},
		{"5 compound terms are fine", "SELECT 1 UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5", nil, ""},
		{"LIKE pattern of 51 bytes", "SELECT 'a' LIKE ?", []any{strings.Repeat("a", 51)}, "D1_ERROR: LIKE or GLOB pattern too complex: SQLITE_ERROR"},
		{"LIKE pattern of 50 bytes", "SELECT 'a' LIKE ?", []any{strings.Repeat("a", 50)}, ""},
		{"value over 2,000,000 bytes", "SELECT ?", []any{strings.Repeat("x", 2_000_001)}, "D1_ERROR: string or blob too big: SQLITE_TOOBIG"},
		{"value of 2,000,000 bytes", "SELECT length(?)", []any{strings.Repeat("x", 2_000_000)}, ""},
		{"statement over 100,000 bytes", "SELECT '" + strings.Repeat("x", 100_000) + "'", nil, "D1_ERROR: string or blob too big: SQLITE_TOOBIG"},
		{"statement of 100,000 bytes", "SELECT '" + strings.Repeat("x", 100_000-9) + "'", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Prepare(tc.sql).Bind(tc.args...).All(ctx)
			wantErr(t, err, tc.want)
		})
	}
}

func TestForbidden(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	mustExec(t, db, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
	const notAuthorized = "D1_ERROR: not authorized: SQLITE_AUTH"
	const tx = "D1_ERROR: " + msgTransaction
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"attach", "ATTACH DATABASE 'other.db' AS other", notAuthorized},
		{"detach", "DETACH DATABASE other", notAuthorized},
		{"begin", "BEGIN", tx},
		{"begin transaction", "BEGIN TRANSACTION", tx},
		{"begin immediate", "BEGIN IMMEDIATE", tx},
		{"commit", "COMMIT", tx},
		{"end", "END", tx},
		{"rollback", "ROLLBACK", tx},
		{"savepoint", "SAVEPOINT s1", tx},
		{"release", "RELEASE s1", tx},
		{"journal_mode", "PRAGMA journal_mode", notAuthorized},
		{"journal_mode set", "PRAGMA journal_mode = DELETE", notAuthorized},
		{"user_version", "PRAGMA user_version", notAuthorized},
		{"compile_options", "PRAGMA compile_options", notAuthorized},
		{"synchronous", "PRAGMA synchronous = OFF", notAuthorized},
		{"writable_schema", "PRAGMA writable_schema = ON", notAuthorized},
		{"page_size set", "PRAGMA page_size = 8192", notAuthorized},
		{"pragma function", "SELECT * FROM pragma_compile_options", notAuthorized},
		{"temp table", "CREATE TEMP TABLE tt (a)", notAuthorized},
		{"temporary table", "CREATE TEMPORARY TABLE tt (a)", notAuthorized},
		{"temp schema table", "CREATE TABLE temp.tt (a)", notAuthorized},
		{"temp view", "CREATE TEMP VIEW tv AS SELECT 1", notAuthorized},
		{"temp trigger", "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END", notAuthorized},
		{"fts4", "CREATE VIRTUAL TABLE f4 USING fts4(a)", notAuthorized},
		{"fts3", "CREATE VIRTUAL TABLE f3 USING fts3(a)", notAuthorized},
		{"dbstat", "CREATE VIRTUAL TABLE ds USING dbstat", notAuthorized},
		{"_cf_ table", "CREATE TABLE _cf_x (a)", notAuthorized},
		{"_CF_ table", "CREATE TABLE _CF_KV (a)", notAuthorized},
		{"_cf_ index", "CREATE INDEX _cf_i ON t (id)", notAuthorized},
		{"_cf_ view", "CREATE VIEW _cf_v AS SELECT 1", notAuthorized},
		{"_cf_ fts5", "CREATE VIRTUAL TABLE _cf_f USING fts5(a)", notAuthorized},
		{"sqlite_version", "SELECT sqlite_version()", "D1_ERROR: not authorized to use function: sqlite_version at offset 7: SQLITE_ERROR"},
		{"sqlite_source_id", "SELECT sqlite_source_id()", "D1_ERROR: not authorized to use function: sqlite_source_id at offset 7: SQLITE_ERROR"},
		{"compileoption_used", "SELECT sqlite_compileoption_used('FTS5')", "D1_ERROR: not authorized to use function: sqlite_compileoption_used at offset 7: SQLITE_ERROR"},
		{"compileoption_get", "SELECT sqlite_compileoption_get(0)", "D1_ERROR: not authorized to use function: sqlite_compileoption_get at offset 7: SQLITE_ERROR"},
		{"load_extension", "SELECT load_extension('x')", "D1_ERROR: not authorized to use function: load_extension at offset 7: SQLITE_ERROR"},
		{"fts5_source_id", "SELECT fts5_source_id()", "D1_ERROR: not authorized to use function: fts5_source_id at offset 7: SQLITE_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Prepare(tc.sql).All(ctx)
			wantErr(t, err, tc.want)
		})
	}
	t.Run("forbidden statement in a batch writes nothing", func(t *testing.T) {
		_, err := db.Batch(ctx, []runtime.D1PreparedStatement{
			db.Prepare("INSERT INTO t VALUES (100)"),
			db.Prepare("BEGIN"),
		})
		wantErr(t, err, tx)
		if n := mustCount(t, db, "t WHERE id = 100"); n != 0 {
			t.Errorf("rows = %d, want 0", n)
		}
	})
}

func TestAllowed(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	mustExec(t, db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", "CREATE INDEX t_name ON t (name)")
	for _, tc := range []struct {
		name, sql string
	}{
		{"table_list", "PRAGMA table_list"},
		{"table_info", "PRAGMA table_info(t)"},
		{"table_xinfo", "PRAGMA table_xinfo(t)"},
		{"index_list", "PRAGMA index_list(t)"},
		{"index_info", "PRAGMA index_info(t_name)"},
		{"index_xinfo", "PRAGMA index_xinfo(t_name)"},
		{"foreign_key_check", "PRAGMA foreign_key_check"},
		{"foreign_key_check table", "PRAGMA foreign_key_check(t)"},
		{"foreign_key_list", "PRAGMA foreign_key_list(t)"},
		{"quick_check", "PRAGMA quick_check"},
		{"optimize", "PRAGMA optimize"},
		{"data_version", "PRAGMA data_version"},
		{"page_size read", "PRAGMA page_size"},
		{"case_sensitive_like", "PRAGMA case_sensitive_like = ON"},
		{"defer_foreign_keys", "PRAGMA defer_foreign_keys = ON"},
		{"ignore_check_constraints", "PRAGMA ignore_check_constraints = OFF"},
		{"legacy_alter_table", "PRAGMA legacy_alter_table = OFF"},
		{"recursive_triggers", "PRAGMA recursive_triggers = ON"},
		{"reverse_unordered_selects", "PRAGMA reverse_unordered_selects = ON"},
		{"pragma_table_info function", "SELECT name FROM pragma_table_info('t')"},
		{"sqlite_schema", "SELECT name FROM sqlite_schema"},
		{"sqlite_master", "SELECT name FROM sqlite_master"},
		{"fts5", "CREATE VIRTUAL TABLE docs USING fts5(body)"},
		{"fts5vocab", "CREATE VIRTUAL TABLE docs_v USING fts5vocab(docs, 'row')"},
		{"rtree", "CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1)"},
		{"fts5 match", "SELECT highlight(docs, 0, '[', ']'), snippet(docs, 0, '[', ']', '...', 5), bm25(docs) FROM docs WHERE docs MATCH 'x'"},
		{"strict table", "CREATE TABLE s (a INTEGER) STRICT"},
		{"json", `SELECT json_extract('{"a":1}', '$.a'), '{"a":[1]}' ->> '$.a[0]', json_group_array(1), json_object('k', 1)`},
		{"math", "SELECT sqrt(4), pow(2, 3), ln(1), pi(), ceil(1.2), floor(1.8), mod(7, 3)"},
		{"dates", "SELECT date('2030-01-01'), datetime(0, 'unixepoch'), unixepoch('2030-01-01'), strftime('%Y', '2030-01-01'), julianday('2030-01-01')"},
		{"window", "SELECT id, row_number() OVER (ORDER BY id), lag(id) OVER (ORDER BY id) FROM t"},
		{"core", "SELECT lower(hex(randomblob(4))), upper('a'), coalesce(NULL, 1), iif(1, 2, 3), printf('%d', 1), length('abc'), typeof(1), instr('ab', 'b'), replace('a', 'a', 'b'), trim(' a ')"},
		{"alter rename", "ALTER TABLE t RENAME TO t2"},
		{"alter rename column", "ALTER TABLE t2 RENAME COLUMN name TO label"},
		{"alter add column", "ALTER TABLE t2 ADD COLUMN extra TEXT"},
		{"alter drop column", "ALTER TABLE t2 DROP COLUMN extra"},
		{"recursive cte", "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT n FROM c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.Prepare(tc.sql).All(ctx); err != nil {
				t.Fatalf("%s: %v", tc.sql, err)
			}
		})
	}
}

func TestPragmasApplyToOneCall(t *testing.T) {
	db := mustOpen(t, func(o *Options) { o.Readers = 1 })
	ctx := context.Background()
	for _, tc := range []struct {
		name, set, read string
		want            int64
	}{
		{"foreign_keys OFF is ignored", "PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys", 1},
		{"case_sensitive_like resets", "PRAGMA case_sensitive_like = ON", "SELECT 'a' LIKE 'A'", 1},
		{"recursive_triggers resets", "PRAGMA recursive_triggers = ON", "PRAGMA recursive_triggers", 0},
		{"reverse_unordered_selects resets", "PRAGMA reverse_unordered_selects = ON", "PRAGMA reverse_unordered_selects", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.Prepare(tc.set).Run(ctx); err != nil {
				t.Fatal(err)
			}
			// Reads go to the one reader and writes to the writer: check both.
			rows, err := db.Prepare(tc.read).Raw(ctx, runtime.D1RawOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rows[0][0] != tc.want {
				t.Errorf("%s = %v, want %d", tc.read, rows[0][0], tc.want)
			}
			res, err := db.Batch(ctx, []runtime.D1PreparedStatement{db.Prepare(tc.read)})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range res[0].Results[0] {
				if v != tc.want {
					t.Errorf("on the writer: %s = %v, want %d", tc.read, v, tc.want)
				}
			}
		})
	}
	t.Run("case_sensitive_like holds within the call", func(t *testing.T) {
		v, err := db.Prepare("PRAGMA case_sensitive_like = ON; SELECT 'a' LIKE 'A' AS m").FirstColumn(ctx, "m")
		if err != nil || v != int64(0) {
			t.Errorf("m = %v, %v; want 0", v, err)
		}
	})
}

func TestForeignKeys(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	mustExec(t, db,
		"CREATE TABLE parent (id INTEGER PRIMARY KEY)",
		"CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE)",
	)
	const fkFailed = "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"
	for _, tc := range []struct {
		name      string
		stmts     []string
		want      string
		wantChild int64
	}{
		{"enforced", []string{"INSERT INTO child VALUES (1, 1)"}, fkFailed, 0},
		{"enforced after foreign_keys=OFF", []string{"PRAGMA foreign_keys = OFF", "INSERT INTO child VALUES (1, 1)"}, fkFailed, 0},
		{"immediate order fails", []string{"INSERT INTO child VALUES (1, 1)", "INSERT INTO parent VALUES (1)"}, fkFailed, 0},
		{"deferred order succeeds", []string{"PRAGMA defer_foreign_keys = ON", "INSERT INTO child VALUES (1, 1)", "INSERT INTO parent VALUES (1)"}, "", 1},
		{"deferred still checked at commit", []string{"PRAGMA defer_foreign_keys = ON", "INSERT INTO child VALUES (2, 2)"}, fkFailed, 1},
		{"cascade", []string{"DELETE FROM parent WHERE id = 1"}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stmts []runtime.D1PreparedStatement
			for _, s := range tc.stmts {
				stmts = append(stmts, db.Prepare(s))
			}
			_, err := db.Batch(ctx, stmts)
			wantErr(t, err, tc.want)
			if n := mustCount(t, db, "child"); n != tc.wantChild {
				t.Errorf("child rows = %d, want %d", n, tc.wantChild)
			}
		})
	}
	t.Run("defer_foreign_keys does not outlive the call", func(t *testing.T) {
		mustExec(t, db, "PRAGMA defer_foreign_keys = ON")
		_, err := db.Batch(ctx, []runtime.D1PreparedStatement{db.Prepare("INSERT INTO child VALUES (5, 5)"), db.Prepare("INSERT INTO parent VALUES (5)")})
		wantErr(t, err, fkFailed)
	})
}

func TestBatch(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	mustExec(t, db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
	t.Run("results in order", func(t *testing.T) {
		res, err := db.Batch(ctx, []runtime.D1PreparedStatement{
			db.Prepare("INSERT INTO t VALUES (?, ?)").Bind(1, "a"),
			db.Prepare("INSERT INTO t VALUES (?, ?)").Bind(2, "b"),
			db.Prepare("SELECT v FROM t ORDER BY id"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 3 || res[0].Meta.LastRowID != 1 || res[1].Meta.LastRowID != 2 {
			t.Fatalf("results = %+v", res)
		}
		if diff := cmp.Diff([]map[string]any{{"v": "a"}, {"v": "b"}}, res[2].Results); diff != "" {
			t.Errorf("select (-want +got):\n%s", diff)
		}
	})
	t.Run("a failing middle statement rolls back all", func(t *testing.T) {
		_, err := db.Batch(ctx, []runtime.D1PreparedStatement{
			db.Prepare("INSERT INTO t VALUES (10, 'x')"),
			db.Prepare("INSERT INTO t VALUES (1, 'dup')"),
			db.Prepare("INSERT INTO t VALUES (11, 'y')"),
		})
		wantErr(t, err, "D1_ERROR: UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)")
		if n := mustCount(t, db, "t"); n != 2 {
			t.Errorf("rows = %d, want 2", n)
		}
	})
	t.Run("a type error writes nothing", func(t *testing.T) {
		_, err := db.Batch(ctx, []runtime.D1PreparedStatement{
			db.Prepare("INSERT INTO t VALUES (20, 'x')"),
			db.Prepare("INSERT INTO t VALUES (?, 'y')").Bind(struct{}{}),
		})
		wantErr(t, err, "D1_TYPE_ERROR: Type 'struct {}' not supported for value '{}'")
		if n := mustCount(t, db, "t"); n != 2 {
			t.Errorf("rows = %d, want 2", n)
		}
	})
	t.Run("empty", func(t *testing.T) {
		_, err := db.Batch(ctx, nil)
		wantErr(t, err, "D1_ERROR: No SQL statements detected.")
	})
	t.Run("several statements in one prepare are atomic", func(t *testing.T) {
		_, err := db.Prepare("INSERT INTO t VALUES (30, 'x'); INSERT INTO t VALUES (1, 'dup')").Run(ctx)
		wantErr(t, err, "D1_ERROR: UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)")
		if n := mustCount(t, db, "t"); n != 2 {
			t.Errorf("rows = %d, want 2", n)
		}
	})
}

func TestExec(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		sql       string
		want      string
		wantCount int
		wantRows  int64
	}{
		{"lines", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t VALUES (1, 'a');\n\n-- comment\nINSERT INTO t VALUES (2, 'b');", "", 3, 2},
		{"failure rolls back and names line 1", "INSERT INTO t VALUES (3, 'c');\nBOGUS STATEMENT;",
			`D1_EXEC_ERROR: Error in line 1: INSERT INTO t VALUES (3, 'c');: near "BOGUS": syntax error at offset 0: SQLITE_ERROR`, 0, 2},
		{"statement over two lines", "INSERT INTO t\nVALUES (4, 'd');",
			`D1_EXEC_ERROR: Error in line 1: INSERT INTO t: incomplete input: SQLITE_ERROR`, 0, 2},
		{"docs example", "INSERTZ INTO my_table (name, employees) VALUES ()",
			`D1_EXEC_ERROR: Error in line 1: INSERTZ INTO my_table (name, employees) VALUES (): near "INSERTZ": syntax error at offset 0: SQLITE_ERROR`, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := db.Exec(ctx, tc.sql)
			wantErr(t, err, tc.want)
			if res.Count != tc.wantCount {
				t.Errorf("count = %d, want %d", res.Count, tc.wantCount)
			}
			if n := mustCount(t, db, "t"); n != tc.wantRows {
				t.Errorf("rows = %d, want %d", n, tc.wantRows)
			}
		})
	}
}

func TestMetaDuration(t *testing.T) {
	db := mustOpen(t)
	res, err := db.Prepare("SELECT 1").All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Duration != 0 {
		t.Errorf("duration under a fake clock = %v, want 0", res.Meta.Duration)
	}
}

func TestContextCanceled(t *testing.T) {
	db := mustOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Prepare("SELECT 1").All(ctx); err != context.Canceled {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
