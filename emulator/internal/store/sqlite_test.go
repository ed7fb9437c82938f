package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

func TestIsTrivia(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want bool
	}{
		{"empty", "", true},
		{"space and semicolons", " \n\t;; ", true},
		{"line comment", "-- hi\n", true},
		{"line comment at end", "-- hi", true},
		{"block comment", "/* a; b */", true},
		{"unterminated block comment", "/* a", true},
		{"statement", " SELECT 1", false},
		{"after comment", "-- x\nSELECT 1", false},
		{"minus alone", "- 1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsTrivia(tc.in); got != tc.want {
				t.Errorf("IsTrivia(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestSQLiteWriteRead(t *testing.T) {
	for _, tc := range []struct {
		name     string
		inMemory bool
	}{{"disk", false}, {"memory", true}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.sqlite")
			if tc.inMemory {
				path = t.Name()
			}
			s, err := OpenSQLite(path, SQLiteOptions{InMemory: tc.inMemory, Readers: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = s.Write(context.Background(), func(c *Conn) error {
				return c.Exec("CREATE TABLE t (a INTEGER, b TEXT, c BLOB); INSERT INTO t VALUES (1, 'x', X'00FF')")
			})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := s.Read(context.Background(), func(c *Conn) error {
						st, _, err := c.Prepare("SELECT a, b, c FROM t", true)
						if err != nil {
							return err
						}
						defer st.Close()
						if more, err := st.Step(); err != nil || !more {
							return errors.Join(err, errors.New("no row"))
						}
						if st.Column(0) != int64(1) || st.Column(1) != "x" || string(st.Column(2).([]byte)) != "\x00\xff" {
							return errors.New("wrong row")
						}
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			err = s.Read(context.Background(), func(c *Conn) error { return c.Exec("INSERT INTO t VALUES (2, 'y', NULL)") })
			var se *Error
			if !errors.As(err, &se) || se.Error() != "attempt to write a readonly database: SQLITE_READONLY" {
				t.Errorf("write on a reader: %v", err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	s, err := OpenSQLite(t.Name(), SQLiteOptions{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Write(context.Background(), func(c *Conn) error { return c.Exec("SELECT * FORM t") })
	var se *Error
	if !errors.As(err, &se) || se.Error() != `near "FORM": syntax error at offset 9: SQLITE_ERROR` || se.Code != 1 {
		t.Errorf("err = %v", err)
	}
}

func TestOpenDB(t *testing.T) {
	db, err := OpenDB(filepath.Join(t.TempDir(), "d.sqlite"), SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
	var fk int
	if err := db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v", fk, err)
	}
}
