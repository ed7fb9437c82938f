package store

// Whole-database copies with sqlite3_backup: D1 keeps its migrated schema
// as a template file and copies it into fresh in-memory databases instead
// of running every migration again (emulator/d1/template.go).

import (
	"errors"
	"net/url"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// OpenFileConn opens the database file at path as a connection for
// CopyDatabase, with no Setup (no authorizer). Read-only, the
// file is opened immutable (no locks, no journal), so it must not change
// while open: write such files elsewhere and rename them into place.
// Writable, it is created when missing, in rollback-journal mode. Either
// way OpenSQLite's journal and sync pragmas are left out.
func OpenFileConn(path string, writable bool) (*Conn, error) {
	mode := "mode=ro&immutable=1"
	if writable {
		mode = "mode=rwc"
	}
	uri := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + mode
	return openConn(uri, SQLiteOptions{BusyTimeoutMS: 5000, bare: true}, !writable)
}

// CopyDatabase replaces the main database of dst with a page-for-page copy
// of the main database of src, in one step: on error dst is left as it was.
func CopyDatabase(dst, src *Conn) error {
	if dst.db == 0 || src.db == 0 {
		return errors.New("sqlite: copy on a closed connection")
	}
	name, err := libc.CString("main")
	if err != nil {
		return err
	}
	defer libc.Xfree(dst.tls, name)
	b := lib.Xsqlite3_backup_init(dst.tls, dst.db, name, src.db, name)
	if b == 0 {
		return dst.lastError(lib.Xsqlite3_errcode(dst.tls, dst.db))
	}
	rc := lib.Xsqlite3_backup_step(dst.tls, b, -1)
	if frc := lib.Xsqlite3_backup_finish(dst.tls, b); rc == lib.SQLITE_DONE && frc != lib.SQLITE_OK {
		rc = frc
	}
	if rc != lib.SQLITE_DONE && rc != lib.SQLITE_OK {
		return dst.lastError(rc)
	}
	return nil
}

// SQLiteSourceID is sqlite3_sourceid(): the exact SQLite build, for keys of
// files that hold its pages.
func SQLiteSourceID() string {
	tls := libc.NewTLS()
	defer tls.Close()
	return libc.GoString(lib.Xsqlite3_sourceid(tls))
}
