package store

import (
	"context"
	"testing"

	lib "modernc.org/sqlite/lib"
)

// TestCachedStatementNotReprepared: a cached statement whose plan SQLite
// would like to tune to its bound values (LIMIT ? with ORDER BY: since
// SQLite 3.47 the planner reads a bound LIMIT and marks the parameter
// "re-prepare on bind") must run as compiled, not be compiled again on
// every execution (the query planner stability guarantee, QPSG).
func TestCachedStatementNotReprepared(t *testing.T) {
	s, err := OpenSQLite(t.Name(), SQLiteOptions{InMemory: true, Readers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Write(context.Background(), func(c *Conn) error {
		return c.Exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, user_id TEXT, is_archived INTEGER, created_at TEXT);
			CREATE INDEX jobs_user ON jobs (user_id, is_archived, created_at);
			INSERT INTO jobs VALUES ('a', 'u1', 0, '2030-01-01'), ('b', 'u1', 0, '2030-01-02'), ('c', 'u2', 0, '2030-01-03');
			ANALYZE`)
	})
	if err != nil {
		t.Fatal(err)
	}
	const q = "SELECT id FROM jobs WHERE user_id = ? AND is_archived = ? ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?"
	for _, tc := range []struct {
		name string
		like bool
		sql  string
		args []any
		want []string
	}{
		{"order by with limit", false, q, []any{"u1", int64(0), int64(20), int64(0)}, []string{"b", "a"}},
		{"limit 1 offset 1", false, q, []any{"u1", int64(0), int64(1), int64(1)}, []string{"a"}},
		{"like", true, "SELECT id FROM jobs WHERE id LIKE ? ORDER BY id LIMIT ?", []any{"b%", int64(5)}, []string{"b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Read(context.Background(), func(c *Conn) error {
				var st *Stmt
				for run := range 5 {
					var err error
					st, _, err = c.Prepare(tc.sql, true)
					if err != nil {
						return err
					}
					args := append([]any(nil), tc.args...)
					if run%2 == 1 && !tc.like {
						args[2] = int64(20 + run) // another LIMIT, same rows
						if tc.args[2] == int64(1) {
							args[2] = int64(1)
						}
					}
					for i, a := range args {
						switch x := a.(type) {
						case string:
							err = st.BindText(i+1, x)
						case int64:
							err = st.BindInt64(i+1, x)
						}
						if err != nil {
							return err
						}
					}
					var got []string
					for {
						more, err := st.Step()
						if err != nil {
							return err
						}
						if !more {
							break
						}
						got = append(got, st.Column(0).(string))
					}
					if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
						t.Errorf("run %d: rows %v, want %v", run, got, tc.want)
					}
					st.Close()
				}
				if n := lib.Xsqlite3_stmt_status(c.tls, st.p, lib.SQLITE_STMTSTATUS_REPREPARE, 0); n != 0 {
					t.Errorf("re-prepared %d times in 5 runs", n)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
