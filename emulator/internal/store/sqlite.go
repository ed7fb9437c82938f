package store

// SQLite: one writer connection plus a pool of readers per database file, on
// modernc.org/sqlite's C API (modernc.org/sqlite/lib) without database/sql,
// so callers get what database/sql hides: error offsets, extended result
// codes, statement tails, sqlite3_limit, an authorizer, per-statement
// counters, a progress check that interrupts statements. OpenDB gives
// database/sql users the same policy.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/sqlite"
	lib "modernc.org/sqlite/lib"
)

// SQLiteOptions configure OpenSQLite and OpenDB.
type SQLiteOptions struct {
	// InMemory keeps the database in memory (memdb VFS), shared by every
	// connection of this process that opens the same path; nothing touches
	// the disk. The path is then only a name.
	InMemory bool
	// Sync selects synchronous=FULL (an fsync per commit, durable across
	// power loss). Without it, synchronous=NORMAL in WAL mode: a commit has
	// reached the kernel before it returns, so it survives kill -9.
	Sync bool
	// Readers is the size of the reader pool (default 4).
	Readers int
	// BusyTimeoutMS is how long a connection waits for a lock (default
	// 5000). Writes never wait on each other: they share one connection.
	BusyTimeoutMS int
	// Defensive turns on SQLITE_DBCONFIG_DEFENSIVE: ordinary SQL cannot
	// corrupt the file (no writes to sqlite_dbpage or to virtual tables'
	// shadow tables, no writable_schema).
	Defensive bool
	// Setup runs on every new connection (limits, authorizer) before it is
	// used.
	Setup func(*Conn) error

	bare bool // OpenFileConn: the file's journal mode left as it is
}

// SQLite is one database: one writer connection, used by one goroutine at a
// time, and a pool of read-only connections that run concurrently with it
// (WAL).
type SQLite struct {
	path    string
	writing chan struct{} // holds a token while the writer is in use
	writer  *Conn
	readers chan *Conn
	all     []*Conn
	closed  atomic.Bool
	done    chan struct{} // closed by Close
}

// OpenSQLite opens (creating if needed) the database at path.
func OpenSQLite(path string, o SQLiteOptions) (*SQLite, error) {
	if o.Readers <= 0 {
		o.Readers = 4
	}
	if o.BusyTimeoutMS <= 0 {
		o.BusyTimeoutMS = 5000
	}
	if !o.InMemory {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("sqlite %s: %w", path, err)
		}
	}
	s := &SQLite{path: path, readers: make(chan *Conn, o.Readers), writing: make(chan struct{}, 1), done: make(chan struct{})}
	w, err := openConn(path, o, false)
	if err != nil {
		return nil, err
	}
	s.writer = w
	s.all = append(s.all, w)
	for range o.Readers {
		r, err := openConn(path, o, true)
		if err != nil {
			_ = s.Close()
			return nil, err
		}
		s.all = append(s.all, r)
		s.readers <- r
	}
	return s, nil
}

// Path is the file (or in-memory name) of the database.
func (s *SQLite) Path() string { return s.path }

// ErrClosed is returned after Close.
var ErrClosed = errors.New("sqlite: database is closed")

// Write runs fn on the writer connection; calls are serialised, so writers
// queue here instead of meeting SQLITE_BUSY. A call still queued when ctx
// ends returns ctx.Err() without running.
func (s *SQLite) Write(ctx context.Context, fn func(*Conn) error) error {
	select {
	case s.writing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrClosed
	}
	defer func() { <-s.writing }()
	if s.closed.Load() {
		return ErrClosed
	}
	return fn(s.writer)
}

// Read runs fn on a reader connection (query_only, a WAL snapshot per
// statement or per explicit read transaction). A call still waiting for a
// reader when ctx ends returns ctx.Err() without running.
func (s *SQLite) Read(ctx context.Context, fn func(*Conn) error) error {
	var c *Conn
	select {
	case c = <-s.readers:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrClosed
	}
	defer func() { s.readers <- c }()
	if s.closed.Load() {
		return ErrClosed
	}
	return fn(c)
}

// Close closes every connection. Statements still running are interrupted
// (they fail with ErrClosed), so Close does not wait on a runaway query;
// calls queued for a connection return ErrClosed.
func (s *SQLite) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.done)
	for _, c := range s.all {
		c.interrupt()
	}
	s.writing <- struct{}{}
	var errs []error
	// Readers first (they may be in use: take them back from the pool).
	for range len(s.all) - 1 {
		c := <-s.readers
		errs = append(errs, c.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	return errors.Join(errs...)
}

// Conn is one SQLite connection on the C API. It is not safe for concurrent
// use: SQLite hands it to one goroutine at a time.
type Conn struct {
	tls      *libc.TLS
	db       uintptr
	id       uintptr // this connection's key in conns, for C callbacks
	readOnly bool
	auth     func(action int, arg1, arg2, db, trigger string) int
	check    func() bool // SetInterruptCheck's function
	closing  atomic.Bool // set by SQLite.Close: every statement stops
	cache    map[string]*Stmt
	order    []string

	scratch    uintptr // C buffer values are copied through when bound
	scratchLen int

	// Data is the owner's per-connection state (e.g. an authorizer policy's).
	Data any
}

const stmtCacheSize = 256

// progressOps is how many virtual-machine steps run between two calls of the
// progress handler (the interrupt check): a fraction of a millisecond.
const progressOps = 1000

func openConn(path string, o SQLiteOptions, readOnly bool) (*Conn, error) {
	tls := libc.NewTLS()
	name, vfs := path, ""
	flags := int32(lib.SQLITE_OPEN_READWRITE | lib.SQLITE_OPEN_CREATE | lib.SQLITE_OPEN_NOMUTEX | lib.SQLITE_OPEN_URI)
	if o.InMemory {
		// memdb: a name starting with "/" is shared by all connections of
		// the process that use it.
		name, vfs = "/"+strings.TrimLeft(path, "/"), "memdb"
	}
	cname, err := libc.CString(name)
	if err != nil {
		tls.Close()
		return nil, err
	}
	defer libc.Xfree(tls, cname)
	var cvfs uintptr
	if vfs != "" {
		if cvfs, err = libc.CString(vfs); err != nil {
			tls.Close()
			return nil, err
		}
		defer libc.Xfree(tls, cvfs)
	}
	pdb := libc.Xmalloc(tls, 8)
	if pdb == 0 {
		tls.Close()
		return nil, errors.New("sqlite: out of memory")
	}
	defer libc.Xfree(tls, pdb)
	rc := lib.Xsqlite3_open_v2(tls, cname, pdb, flags, cvfs)
	db := *cword(pdb)
	c := &Conn{tls: tls, db: db, readOnly: readOnly, cache: map[string]*Stmt{}, id: connIDs.Add(1)}
	if rc != lib.SQLITE_OK {
		err := c.lastError(rc)
		c.Close()
		return nil, fmt.Errorf("sqlite open %s: %w", path, err)
	}
	conns.Store(c.id, c)
	lib.Xsqlite3_progress_handler(tls, db, progressOps, funcPointer(progressTrampoline), c.id)
	lib.Xsqlite3_extended_result_codes(tls, db, 1)
	lib.Xsqlite3_busy_timeout(tls, db, int32(o.BusyTimeoutMS))
	// The query planner stability guarantee. Without it, SQLite tunes a
	// plan to some bound values and marks those parameters "re-prepare on
	// bind": a bound LIMIT (every `LIMIT ?` since SQLite 3.47), a LIKE/GLOB
	// pattern, and with STAT4 any value compared to an ANALYZEd index. Then
	// every execution of a cached statement (bind, step) compiles it again
	// from its text, authorizer and all: for a paged list query that was
	// ~50 us of a 1 us lookup. With QPSG the plan is chosen once, as for
	// unknown values, and the cached statement is reused as compiled;
	// results are the same, only the plan's tuning to values is lost.
	if rc := dbConfigBool(tls, db, lib.SQLITE_DBCONFIG_ENABLE_QPSG, true); rc != lib.SQLITE_OK {
		err := c.lastError(rc)
		c.Close()
		return nil, fmt.Errorf("sqlite %s: SQLITE_DBCONFIG_ENABLE_QPSG: %w", path, err)
	}
	if o.Defensive {
		if rc := dbConfigBool(tls, db, lib.SQLITE_DBCONFIG_DEFENSIVE, true); rc != lib.SQLITE_OK {
			err := c.lastError(rc)
			c.Close()
			return nil, fmt.Errorf("sqlite %s: SQLITE_DBCONFIG_DEFENSIVE: %w", path, err)
		}
	}
	pragmas := []string{"PRAGMA foreign_keys=ON"}
	if !o.InMemory && !o.bare {
		if !readOnly {
			pragmas = append(pragmas, "PRAGMA journal_mode=WAL")
		}
		if o.Sync {
			pragmas = append(pragmas, "PRAGMA synchronous=FULL")
		} else {
			pragmas = append(pragmas, "PRAGMA synchronous=NORMAL")
		}
	}
	if readOnly {
		pragmas = append(pragmas, "PRAGMA query_only=ON")
	}
	for _, p := range pragmas {
		if err := c.Exec(p); err != nil {
			c.Close()
			return nil, fmt.Errorf("sqlite %s: %s: %w", path, p, err)
		}
	}
	if o.Setup != nil {
		if err := o.Setup(c); err != nil {
			c.Close()
			return nil, fmt.Errorf("sqlite %s: %w", path, err)
		}
	}
	return c, nil
}

// ReadOnly reports whether this is a reader connection.
func (c *Conn) ReadOnly() bool { return c.readOnly }

// dbConfigBool is sqlite3_db_config(db, op, onoff, NULL) for a boolean op.
func dbConfigBool(tls *libc.TLS, db uintptr, op int32, on bool) int32 {
	var v int32
	if on {
		v = 1
	}
	const vaSlot = 8 // a libc.VaList argument slot, on every target
	bp := libc.Xmalloc(tls, libc.Tsize_t(2*vaSlot))
	if bp == 0 {
		return lib.SQLITE_NOMEM
	}
	defer libc.Xfree(tls, bp)
	return lib.Xsqlite3_db_config(tls, db, op, libc.VaList(bp, v, uintptr(0)))
}

// Close finalizes cached statements and closes the connection.
func (c *Conn) Close() error {
	if c.tls == nil {
		return nil
	}
	for _, s := range c.cache {
		lib.Xsqlite3_finalize(c.tls, s.p)
	}
	c.cache, c.order = nil, nil
	c.SetAuthorizer(nil)
	conns.Delete(c.id)
	if c.scratch != 0 {
		libc.Xfree(c.tls, c.scratch)
		c.scratch, c.scratchLen = 0, 0
	}
	var err error
	if c.db != 0 {
		if rc := lib.Xsqlite3_close_v2(c.tls, c.db); rc != lib.SQLITE_OK {
			err = fmt.Errorf("sqlite close: rc %d", rc)
		}
	}
	c.db = 0
	c.tls.Close()
	c.tls = nil
	return err
}

// Limit calls sqlite3_limit(id, v) and returns the previous value.
func (c *Conn) Limit(id, v int) int {
	return int(lib.Xsqlite3_limit(c.tls, c.db, int32(id), int32(v)))
}

// Changes is sqlite3_changes64; TotalChanges sqlite3_total_changes64;
// LastInsertRowID sqlite3_last_insert_rowid.
func (c *Conn) Changes() int64 { return lib.Xsqlite3_changes64(c.tls, c.db) }

// TotalChanges is sqlite3_total_changes64.
func (c *Conn) TotalChanges() int64 { return lib.Xsqlite3_total_changes64(c.tls, c.db) }

// LastInsertRowID is sqlite3_last_insert_rowid.
func (c *Conn) LastInsertRowID() int64 { return lib.Xsqlite3_last_insert_rowid(c.tls, c.db) }

// InTransaction reports whether a transaction is open (not autocommit).
func (c *Conn) InTransaction() bool { return lib.Xsqlite3_get_autocommit(c.tls, c.db) == 0 }

// Error is an SQLite error with everything SQLite reports about it.
type Error struct {
	Code     int    // extended result code
	Message  string // sqlite3_errmsg
	Offset   int    // sqlite3_error_offset, -1 when none
	Denied   bool   // an authorizer denial (SQLITE_AUTH)
	Internal bool   // raised by this package, not SQLite
}

func (e *Error) Error() string {
	s := e.Message
	if e.Offset >= 0 {
		s += fmt.Sprintf(" at offset %d", e.Offset)
	}
	return s + ": " + CodeName(e.Code&0xff)
}

// Primary is the primary result code.
func (e *Error) Primary() int { return e.Code & 0xff }

func (c *Conn) lastError(rc int32) *Error {
	if c.db == 0 {
		return &Error{Code: int(rc), Message: libc.GoString(lib.Xsqlite3_errstr(c.tls, rc)), Offset: -1}
	}
	code := int(lib.Xsqlite3_extended_errcode(c.tls, c.db))
	if code&0xff != int(rc)&0xff {
		code = int(rc)
	}
	return &Error{
		Code:    code,
		Message: libc.GoString(lib.Xsqlite3_errmsg(c.tls, c.db)),
		Offset:  int(lib.Xsqlite3_error_offset(c.tls, c.db)),
	}
}

// Exec runs every statement of sql without parameters, discarding rows.
func (c *Conn) Exec(sql string) error {
	rest := sql
	for {
		st, tail, err := c.Prepare(rest, false)
		if err != nil {
			return err
		}
		if st == nil {
			return nil
		}
		for {
			more, err := st.Step()
			if err != nil {
				st.Close()
				return err
			}
			if !more {
				break
			}
		}
		st.Close()
		rest = tail
	}
}

// Stmt is a prepared statement.
type Stmt struct {
	c      *Conn
	p      uintptr
	sql    string
	cached bool
}

// Prepare compiles the first statement of sql and returns it with the
// unparsed rest. A nil Stmt with a nil error means sql holds no statement
// (only whitespace or comments). With cache, single-statement texts are kept
// compiled on the connection and reused; Close then resets instead of
// finalizing.
func (c *Conn) Prepare(sql string, cache bool) (*Stmt, string, error) {
	if c.closing.Load() {
		return nil, "", ErrClosed
	}
	if cache {
		if s, ok := c.cache[sql]; ok {
			return s, "", nil
		}
	}
	if sql == "" {
		return nil, "", nil
	}
	n := len(sql)
	// One C block: two out-pointers, then the NUL-terminated text.
	out := libc.Xmalloc(c.tls, libc.Tsize_t(16+n+1))
	if out == 0 {
		return nil, "", errors.New("sqlite: out of memory")
	}
	defer libc.Xfree(c.tls, out)
	buf := out + 16
	mem := cbytes(buf, n+1)
	copy(mem, sql)
	mem[n] = 0
	var flags uint32
	if cache {
		flags = lib.SQLITE_PREPARE_PERSISTENT
	}
	rc := lib.Xsqlite3_prepare_v3(c.tls, c.db, buf, int32(n+1), flags, out, out+8)
	if rc != lib.SQLITE_OK {
		if c.closing.Load() && rc&0xff == lib.SQLITE_INTERRUPT {
			return nil, "", ErrClosed
		}
		return nil, "", c.lastError(rc)
	}
	p := *cword(out)
	tailPtr := *cword(out + 8)
	consumed := int(tailPtr - buf)
	if consumed > n {
		consumed = n
	}
	tail := sql[consumed:]
	if p == 0 {
		// Only comments or whitespace up to the tail: skip to the next one.
		if tail == "" || consumed == 0 {
			return nil, "", nil
		}
		return c.Prepare(tail, false)
	}
	s := &Stmt{c: c, p: p, sql: sql[:consumed]}
	if cache && IsTrivia(tail) {
		s.cached = true
		if len(c.order) >= stmtCacheSize {
			old := c.order[0]
			c.order = c.order[1:]
			if o := c.cache[old]; o != nil {
				lib.Xsqlite3_finalize(c.tls, o.p)
			}
			delete(c.cache, old)
		}
		c.cache[sql] = s
		c.order = append(c.order, sql)
	}
	return s, tail, nil
}

// SQL is the text of this statement.
func (s *Stmt) SQL() string { return s.sql }

// Close resets a cached statement or finalizes another.
func (s *Stmt) Close() {
	if s.cached {
		lib.Xsqlite3_reset(s.c.tls, s.p)
		lib.Xsqlite3_clear_bindings(s.c.tls, s.p)
		return
	}
	lib.Xsqlite3_finalize(s.c.tls, s.p)
	s.p = 0
}

// ParamCount is sqlite3_bind_parameter_count.
func (s *Stmt) ParamCount() int { return int(lib.Xsqlite3_bind_parameter_count(s.c.tls, s.p)) }

// ReadOnly is sqlite3_stmt_readonly.
func (s *Stmt) ReadOnly() bool { return lib.Xsqlite3_stmt_readonly(s.c.tls, s.p) != 0 }

// FullScanSteps is SQLITE_STMTSTATUS_FULLSCAN_STEP since the last reset.
func (s *Stmt) FullScanSteps() int64 {
	return int64(lib.Xsqlite3_stmt_status(s.c.tls, s.p, lib.SQLITE_STMTSTATUS_FULLSCAN_STEP, 1))
}

const transient = ^uintptr(0) // SQLITE_TRANSIENT: SQLite copies the value during the call

func (s *Stmt) bindErr(rc int32) error {
	if rc == lib.SQLITE_OK {
		return nil
	}
	return s.c.lastError(rc)
}

// BindNull, BindInt64, BindFloat64, BindText and BindBlob bind parameter i
// (1-based).
func (s *Stmt) BindNull(i int) error {
	return s.bindErr(lib.Xsqlite3_bind_null(s.c.tls, s.p, int32(i)))
}

// BindInt64 binds an INTEGER.
func (s *Stmt) BindInt64(i int, v int64) error {
	return s.bindErr(lib.Xsqlite3_bind_int64(s.c.tls, s.p, int32(i), v))
}

// BindFloat64 binds a REAL.
func (s *Stmt) BindFloat64(i int, v float64) error {
	return s.bindErr(lib.Xsqlite3_bind_double(s.c.tls, s.p, int32(i), v))
}

// BindText binds TEXT (copied by SQLite during the call).
func (s *Stmt) BindText(i int, v string) error {
	p, err := s.c.scratchCopy(len(v))
	if err != nil {
		return err
	}
	copy(cbytes(p, len(v)), v)
	rc := lib.Xsqlite3_bind_text64(s.c.tls, s.p, int32(i), p, uint64(len(v)), transient, lib.SQLITE_UTF8)
	return s.bindErr(rc)
}

// BindBlob binds a BLOB (copied by SQLite during the call).
func (s *Stmt) BindBlob(i int, v []byte) error {
	p, err := s.c.scratchCopy(len(v))
	if err != nil {
		return err
	}
	copy(cbytes(p, len(v)), v)
	rc := lib.Xsqlite3_bind_blob64(s.c.tls, s.p, int32(i), p, uint64(len(v)), transient)
	return s.bindErr(rc)
}

// scratchCopy returns the connection's C scratch buffer, at least n bytes
// (and never empty, so a zero-length value still has a non-NULL pointer).
// Values are copied there from Go memory, never handed to C as Go pointers.
func (c *Conn) scratchCopy(n int) (uintptr, error) {
	if n < 1 {
		n = 1
	}
	if n > c.scratchLen {
		if c.scratch != 0 {
			libc.Xfree(c.tls, c.scratch)
			c.scratch, c.scratchLen = 0, 0
		}
		size := max(n, 4096)
		p := libc.Xmalloc(c.tls, libc.Tsize_t(size))
		if p == 0 {
			return 0, errors.New("sqlite: out of memory")
		}
		c.scratch, c.scratchLen = p, size
	}
	return c.scratch, nil
}

// cbytes views n bytes of C memory at p as a Go slice.
func cbytes(p uintptr, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), p)), n)
}

// cword views the pointer-sized word of C memory at p.
func cword(p uintptr) *uintptr {
	return (*uintptr)(unsafe.Add(unsafe.Pointer(nil), p))
}

// Step advances to the next row; false means done.
func (s *Stmt) Step() (bool, error) {
	switch rc := lib.Xsqlite3_step(s.c.tls, s.p); rc {
	case lib.SQLITE_ROW:
		return true, nil
	case lib.SQLITE_DONE:
		return false, nil
	default:
		if s.c.closing.Load() && rc&0xff == lib.SQLITE_INTERRUPT {
			return false, ErrClosed
		}
		err := s.c.lastError(rc)
		err.Offset = -1 // runtime errors carry no parse offset
		return false, err
	}
}

// ColumnCount is sqlite3_column_count.
func (s *Stmt) ColumnCount() int { return int(lib.Xsqlite3_column_count(s.c.tls, s.p)) }

// ColumnName is sqlite3_column_name.
func (s *Stmt) ColumnName(i int) string {
	return libc.GoString(lib.Xsqlite3_column_name(s.c.tls, s.p, int32(i)))
}

// Column returns column i of the current row as int64, float64, string,
// []byte or nil.
func (s *Stmt) Column(i int) any {
	tls, p, col := s.c.tls, s.p, int32(i)
	switch lib.Xsqlite3_column_type(tls, p, col) {
	case lib.SQLITE_INTEGER:
		return lib.Xsqlite3_column_int64(tls, p, col)
	case lib.SQLITE_FLOAT:
		return lib.Xsqlite3_column_double(tls, p, col)
	case lib.SQLITE_TEXT:
		ptr := lib.Xsqlite3_column_text(tls, p, col)
		n := int(lib.Xsqlite3_column_bytes(tls, p, col))
		if n == 0 {
			return ""
		}
		return string(cbytes(ptr, n))
	case lib.SQLITE_BLOB:
		ptr := lib.Xsqlite3_column_blob(tls, p, col)
		n := int(lib.Xsqlite3_column_bytes(tls, p, col))
		if n == 0 {
			return []byte{}
		}
		return append([]byte(nil), cbytes(ptr, n)...)
	default:
		return nil
	}
}

// Authorizer action codes and answers (sqlite3_set_authorizer).
const (
	AuthOK     = lib.SQLITE_OK
	AuthDeny   = lib.SQLITE_DENY
	AuthIgnore = lib.SQLITE_IGNORE
)

// The callback bridge: SQLite calls the trampolines below with the id
// registered for the connection, which finds the connection (and its Go
// functions) here. This map is the one piece of package state: C callbacks
// cannot carry Go closures.
var conns sync.Map // uintptr -> *Conn
var connIDs atomic.Uintptr

// SetAuthorizer installs fn as the connection's authorizer (nil removes it).
// fn receives the action code and its four string arguments and answers
// AuthOK, AuthDeny or AuthIgnore. It must not use the connection.
func (c *Conn) SetAuthorizer(fn func(action int, arg1, arg2, db, trigger string) int) {
	c.auth = fn
	if c.db == 0 {
		return
	}
	if fn == nil {
		lib.Xsqlite3_set_authorizer(c.tls, c.db, 0, 0)
		return
	}
	lib.Xsqlite3_set_authorizer(c.tls, c.db, funcPointer(authorizerTrampoline), c.id)
}

func authorizerTrampoline(_ *libc.TLS, id uintptr, action int32, z1, z2, z3, z4 uintptr) int32 {
	v, ok := conns.Load(id)
	if !ok || v.(*Conn).auth == nil {
		return lib.SQLITE_DENY
	}
	c := v.(*Conn)
	return int32(c.auth(int(action), cstr(z1), cstr(z2), cstr(z3), cstr(z4)))
}

// SetInterruptCheck installs fn as the connection's interrupt check (nil
// removes it). While a statement runs, SQLite calls fn every progressOps
// virtual-machine steps on the goroutine running the statement; when fn
// returns true the statement stops with SQLITE_INTERRUPT ("interrupted"),
// and an open transaction may have been rolled back. fn must not use the
// connection.
func (c *Conn) SetInterruptCheck(fn func() bool) { c.check = fn }

// interrupt stops whatever runs on c, for good: c is being closed. It is
// the one Conn method safe to call from another goroutine.
func (c *Conn) interrupt() {
	c.closing.Store(true)
	if c.db != 0 {
		// sqlite3_interrupt is safe from any thread; it also reaches work the
		// progress handler does not see (a parse, a long single step).
		lib.Xsqlite3_interrupt(c.tls, c.db)
	}
}

func progressTrampoline(_ *libc.TLS, id uintptr) int32 {
	v, ok := conns.Load(id)
	if !ok {
		return 1
	}
	c := v.(*Conn)
	if c.closing.Load() || (c.check != nil && c.check()) {
		return 1
	}
	return 0
}

func cstr(p uintptr) string {
	if p == 0 {
		return ""
	}
	return libc.GoString(p)
}

// funcPointer turns a top-level Go function into the function-pointer value
// the transpiled SQLite calls through (a pointer to the func value).
func funcPointer[T any](f T) uintptr {
	return *(*uintptr)(unsafe.Pointer(&struct{ f T }{f}))
}

// IsTrivia reports whether s holds only whitespace, semicolons and SQL
// comments (nothing SQLite would compile).
func IsTrivia(s string) bool {
	for i := 0; i < len(s); {
		switch ch := s[i]; {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v' || ch == ';':
			i++
		case ch == '-' && i+1 < len(s) && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return true
			}
			i += j + 1
		case ch == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return true
			}
			i += j + 4
		default:
			return false
		}
	}
	return true
}

// CodeName is the SQLITE_* name of a result code (primary or extended).
func CodeName(code int) string {
	if n, ok := codeNames[code]; ok {
		return n
	}
	if n, ok := codeNames[code&0xff]; ok {
		return n
	}
	return fmt.Sprintf("SQLITE_ERROR_%d", code)
}

var codeNames = map[int]string{
	lib.SQLITE_ERROR: "SQLITE_ERROR", lib.SQLITE_INTERNAL: "SQLITE_INTERNAL", lib.SQLITE_PERM: "SQLITE_PERM",
	lib.SQLITE_ABORT: "SQLITE_ABORT", lib.SQLITE_BUSY: "SQLITE_BUSY", lib.SQLITE_LOCKED: "SQLITE_LOCKED",
	lib.SQLITE_NOMEM: "SQLITE_NOMEM", lib.SQLITE_READONLY: "SQLITE_READONLY", lib.SQLITE_INTERRUPT: "SQLITE_INTERRUPT",
	lib.SQLITE_IOERR: "SQLITE_IOERR", lib.SQLITE_CORRUPT: "SQLITE_CORRUPT", lib.SQLITE_NOTFOUND: "SQLITE_NOTFOUND",
	lib.SQLITE_FULL: "SQLITE_FULL", lib.SQLITE_CANTOPEN: "SQLITE_CANTOPEN", lib.SQLITE_PROTOCOL: "SQLITE_PROTOCOL",
	lib.SQLITE_EMPTY: "SQLITE_EMPTY", lib.SQLITE_SCHEMA: "SQLITE_SCHEMA", lib.SQLITE_TOOBIG: "SQLITE_TOOBIG",
	lib.SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT", lib.SQLITE_MISMATCH: "SQLITE_MISMATCH", lib.SQLITE_MISUSE: "SQLITE_MISUSE",
	lib.SQLITE_NOLFS: "SQLITE_NOLFS", lib.SQLITE_AUTH: "SQLITE_AUTH", lib.SQLITE_FORMAT: "SQLITE_FORMAT",
	lib.SQLITE_RANGE: "SQLITE_RANGE", lib.SQLITE_NOTADB: "SQLITE_NOTADB",

	lib.SQLITE_CONSTRAINT_CHECK:      "SQLITE_CONSTRAINT_CHECK",
	lib.SQLITE_CONSTRAINT_COMMITHOOK: "SQLITE_CONSTRAINT_COMMITHOOK",
	lib.SQLITE_CONSTRAINT_FOREIGNKEY: "SQLITE_CONSTRAINT_FOREIGNKEY",
	lib.SQLITE_CONSTRAINT_FUNCTION:   "SQLITE_CONSTRAINT_FUNCTION",
	lib.SQLITE_CONSTRAINT_NOTNULL:    "SQLITE_CONSTRAINT_NOTNULL",
	lib.SQLITE_CONSTRAINT_PRIMARYKEY: "SQLITE_CONSTRAINT_PRIMARYKEY",
	lib.SQLITE_CONSTRAINT_TRIGGER:    "SQLITE_CONSTRAINT_TRIGGER",
	lib.SQLITE_CONSTRAINT_UNIQUE:     "SQLITE_CONSTRAINT_UNIQUE",
	lib.SQLITE_CONSTRAINT_VTAB:       "SQLITE_CONSTRAINT_VTAB",
	lib.SQLITE_CONSTRAINT_ROWID:      "SQLITE_CONSTRAINT_ROWID",
	lib.SQLITE_CONSTRAINT_PINNED:     "SQLITE_CONSTRAINT_PINNED",
	lib.SQLITE_CONSTRAINT_DATATYPE:   "SQLITE_CONSTRAINT_DATATYPE",
	lib.SQLITE_READONLY_DBMOVED:      "SQLITE_READONLY_DBMOVED",
	lib.SQLITE_BUSY_SNAPSHOT:         "SQLITE_BUSY_SNAPSHOT",
	lib.SQLITE_BUSY_RECOVERY:         "SQLITE_BUSY_RECOVERY",
	lib.SQLITE_ERROR_MISSING_COLLSEQ: "SQLITE_ERROR_MISSING_COLLSEQ",
	lib.SQLITE_ERROR_RETRY:           "SQLITE_ERROR_RETRY",
	lib.SQLITE_ERROR_SNAPSHOT:        "SQLITE_ERROR_SNAPSHOT",
}

// OpenDB opens path through database/sql with the same policy as
// OpenSQLite (WAL, busy timeout, foreign keys, synchronous NORMAL/FULL,
// memdb when InMemory), for services that prefer database/sql. Limit the
// returned pool to one connection (SetMaxOpenConns(1)) for a writer.
func OpenDB(path string, o SQLiteOptions) (*sql.DB, error) {
	if o.BusyTimeoutMS <= 0 {
		o.BusyTimeoutMS = 5000
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.BusyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	sync := "NORMAL"
	if o.Sync {
		sync = "FULL"
	}
	dsn := ""
	if o.InMemory {
		q.Set("vfs", "memdb")
		dsn = "file:/" + strings.TrimLeft(path, "/") + "?" + q.Encode()
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+sync+")")
		dsn = "file:" + path + "?" + q.Encode()
	}
	return sql.Open("sqlite", dsn)
}

var _ = sqlite.Limit // OpenDB relies on the driver's registration
