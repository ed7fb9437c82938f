package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyDatabaseThroughAFile copies an in-memory database to a file (a
// name with URI characters in it) and from the file into another in-memory
// database that other connections share: they see the copy.
func TestCopyDatabaseThroughAFile(t *testing.T) {
	ctx := context.Background()
	src, err := OpenSQLite("copy-src", SQLiteOptions{InMemory: true, Readers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := OpenSQLite("copy-dst", SQLiteOptions{InMemory: true, Readers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := src.Write(ctx, func(c *Conn) error {
		return c.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (7, 'seven');")
	}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "odd ?#% name.sqlite")
	file, err := OpenFileConn(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Write(ctx, func(c *Conn) error { return CopyDatabase(file, c) }); err != nil {
		t.Fatal(err)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the copy is not at its path: %v", err)
	}
	ro, err := OpenFileConn(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.Exec("CREATE TABLE nope (x)"); err == nil {
		t.Fatal("a read-only file connection accepted a write")
	}
	if err := dst.Write(ctx, func(c *Conn) error { return CopyDatabase(c, ro) }); err != nil {
		t.Fatal(err)
	}
	var got any
	if err := dst.Read(ctx, func(c *Conn) error {
		st, _, err := c.Prepare("SELECT v FROM t WHERE id = 7", false)
		if err != nil {
			return err
		}
		defer st.Close()
		if _, err := st.Step(); err != nil {
			return err
		}
		got = st.Column(0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != "seven" {
		t.Fatalf("reader of the copy: v = %v, want seven", got)
	}
}
