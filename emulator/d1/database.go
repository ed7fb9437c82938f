package d1

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lib "modernc.org/sqlite/lib"

	"jobmatch-edge/emulator/internal/store"
	"jobmatch-edge/runtime"
)

// Database is one D1 database. It implements runtime.D1Database.
type Database struct {
	svc      *Service
	info     Info
	sq       *store.SQLite
	size     atomic.Int64 // bytes, after the last write
	pageSize int64        // read once, on the writer

	routes  sync.Map // SQL text -> true when it must run on the writer
	nroutes atomic.Int64
}

var _ runtime.D1Database = (*Database)(nil)

// Info describes a database: its id and name, when it was created, the
// binding that names it in wrangler.toml (if any) and its migrations.
type Info struct {
	UUID       string
	Name       string
	CreatedAt  time.Time
	Binding    string
	Migrations *MigrationSource // nil when the database has none
}

// Info returns the database's description.
func (db *Database) Info() Info { return db.info }

// Query is one statement text with its bound values.
type Query struct {
	SQL  string
	Args []any
}

// Result is the outcome of one statement: its columns in order
// (duplicates kept), rows, and meta.
type Result struct {
	Columns []string
	Rows    [][]any
	Meta    runtime.D1Meta
}

// Objects turns rows into objects, a later duplicate column overwriting an
// earlier one, as a JavaScript object would.
func (r *Result) Objects() []map[string]any {
	out := make([]map[string]any, len(r.Rows))
	for i, row := range r.Rows {
		m := make(map[string]any, len(r.Columns))
		for j, c := range r.Columns {
			m[c] = row[j]
		}
		out[i] = m
	}
	return out
}

// D1Result converts r to the binding's result shape.
func (r *Result) D1Result() runtime.D1Result {
	return runtime.D1Result{Success: true, Meta: r.Meta, Results: r.Objects()}
}

func d1Err(format string, args ...any) *runtime.D1Error {
	return &runtime.D1Error{Kind: runtime.D1KindError, Message: fmt.Sprintf(format, args...)}
}

// sqliteErr turns an SQLite failure into D1's text:
// "<message>[ at offset N]: SQLITE_<CODE>[ (extended: SQLITE_<CODE>_<X>)]".
func (db *Database) sqliteErr(c *store.Conn, err error) error {
	var se *store.Error
	if !errors.As(err, &se) {
		return db.closedErr(err)
	}
	p := policyOf(c)
	if se.Primary() == lib.SQLITE_INTERRUPT {
		if e := interruptErr(p, se); e != nil {
			return e
		}
	}
	if se.Primary() == lib.SQLITE_AUTH && p.denial != "" {
		msg := p.denial
		p.denial = ""
		return &runtime.D1Error{Kind: runtime.D1KindError, Message: msg, Err: err}
	}
	p.denial = ""
	msg := se.Error()
	if se.Code != se.Primary() {
		msg += " (extended: " + store.CodeName(se.Code) + ")"
	}
	return &runtime.D1Error{Kind: runtime.D1KindError, Message: msg, Err: err}
}

// checkArgs validates bound values the way D1's bind does and normalises
// them to int64, float64, string, []byte or nil.
func checkArgs(args []any) ([]any, error) {
	out := make([]any, len(args))
	for i, v := range args {
		switch x := v.(type) {
		case nil:
			out[i] = nil
		case bool:
			if x {
				out[i] = int64(1)
			} else {
				out[i] = int64(0)
			}
		case int:
			out[i] = int64(x)
		case int8:
			out[i] = int64(x)
		case int16:
			out[i] = int64(x)
		case int32:
			out[i] = int64(x)
		case int64:
			out[i] = x
		case uint:
			if uint64(x) > math.MaxInt64 {
				return nil, typeErr(v)
			}
			out[i] = int64(x)
		case uint8:
			out[i] = int64(x)
		case uint16:
			out[i] = int64(x)
		case uint32:
			out[i] = int64(x)
		case uint64:
			if x > math.MaxInt64 {
				return nil, typeErr(v)
			}
			out[i] = int64(x)
		case float32:
			out[i] = float64(x)
		case float64:
			out[i] = x
		case string:
			out[i] = x
		case []byte:
			if x == nil {
				x = []byte{}
			}
			out[i] = x
		default:
			return nil, typeErr(v)
		}
	}
	return out, nil
}

// typeErr is D1_TYPE_ERROR for an unsupported value.
//
// Differs from Cloudflare: the type is Go's (%T), where JavaScript names typeof.
func typeErr(v any) error {
	return &runtime.D1Error{Kind: runtime.D1KindTypeError,
		Message: fmt.Sprintf("Type '%T' not supported for value '%v'", v, v)}
}

func bind(st *store.Stmt, args []any) error {
	for i, v := range args {
		var err error
		switch x := v.(type) {
		case nil:
			err = st.BindNull(i + 1)
		case int64:
			err = st.BindInt64(i+1, x)
		case float64:
			err = st.BindFloat64(i+1, x)
		case string:
			err = st.BindText(i+1, x)
		case []byte:
			err = st.BindBlob(i+1, x)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// runMode says how runSQL reports.
type runMode struct {
	each      bool // a result per statement (REST), else only the last (binding)
	firstOnly bool // stop a read-only last statement after its first row
}

// runSQL runs every statement of q on c, in order. Only the last statement
// may take parameters. The caller owns the transaction.
func (db *Database) runSQL(c *store.Conn, q Query, mode runMode) ([]Result, error) {
	var out []Result
	rest := q.SQL
	first := true
	for {
		st, tail, err := c.Prepare(rest, first)
		if err != nil {
			return nil, db.sqliteErr(c, err)
		}
		if st == nil {
			if first {
				return nil, d1Err(msgNoStatements)
			}
			return out, nil
		}
		first = false
		last := store.IsTrivia(tail)
		res, err := db.step(c, st, q.Args, last, mode)
		st.Close()
		if err != nil {
			return nil, err
		}
		if mode.each || last {
			out = append(out, res)
		}
		if last {
			return out, nil
		}
		rest = tail
	}
}

// step runs one prepared statement to completion and measures it.
func (db *Database) step(c *store.Conn, st *store.Stmt, args []any, last bool, mode runMode) (Result, error) {
	n := st.ParamCount()
	switch {
	case !last && n > 0:
		return Result{}, d1Err(msgMultiParams)
	case !last && len(args) > 0:
		// Parameters belong to the last statement; this one takes none.
	case last && n != len(args):
		return Result{}, d1Err(msgWrongBindCount)
	case last:
		if err := bind(st, args); err != nil {
			return Result{}, db.sqliteErr(c, err)
		}
	}
	start := db.svc.clock.Now()
	before := c.TotalChanges()
	rowid := c.LastInsertRowID()
	cols := make([]string, st.ColumnCount())
	for i := range cols {
		cols[i] = st.ColumnName(i)
	}
	rows := [][]any{}
	stopEarly := last && mode.firstOnly && st.ReadOnly()
	for {
		more, err := st.Step()
		if err != nil {
			return Result{}, db.sqliteErr(c, err)
		}
		if !more {
			break
		}
		row := make([]any, len(cols))
		for i := range row {
			row[i] = st.Column(i)
		}
		rows = append(rows, row)
		if stopEarly {
			break
		}
	}
	changes := c.TotalChanges() - before
	// Differs from Cloudflare: rows_read/rows_written leave out index
	// reads and writes, and served_by names the emulator.
	m := runtime.D1Meta{
		Duration:    float64(db.svc.clock.Now().Sub(start).Microseconds()) / 1000,
		Changes:     changes,
		LastRowID:   c.LastInsertRowID(),
		RowsRead:    int64(len(rows)) + st.FullScanSteps(),
		RowsWritten: changes,
		ServedBy:    ServedBy,
	}
	sizeBefore := db.size.Load()
	if !c.ReadOnly() && !st.ReadOnly() {
		db.refreshSize(c)
	}
	m.SizeAfter = db.size.Load()
	m.ChangedDB = changes > 0 || m.LastRowID != rowid || m.SizeAfter != sizeBefore
	return Result{Columns: cols, Rows: rows, Meta: m}, nil
}

// refreshSize reads page_count * page_size on c.
func (db *Database) refreshSize(c *store.Conn) {
	p := policyOf(c)
	p.trusted = true
	defer func() { p.trusted = false }()
	if db.pageSize == 0 {
		db.pageSize = pragmaInt(c, "PRAGMA page_size")
	}
	if n := pragmaInt(c, "PRAGMA page_count"); n > 0 {
		db.size.Store(n * db.pageSize)
	}
}

// pragmaInt reads a one-value PRAGMA (trusted callers only).
func pragmaInt(c *store.Conn, sql string) int64 {
	st, _, err := c.Prepare(sql, true)
	if err != nil || st == nil {
		return 0
	}
	defer st.Close()
	if more, err := st.Step(); err == nil && more {
		if v, ok := st.Column(0).(int64); ok {
			return v
		}
	}
	return 0
}

// trusted runs our own statement (transaction control, resets) past the
// authorizer.
func trusted(c *store.Conn, sql string) error {
	p := policyOf(c)
	p.trusted = true
	defer func() { p.trusted = false }()
	return c.Exec(sql)
}

// afterCall resets connection-level PRAGMAs a call may have set (db.on
// calls it).
func afterCall(c *store.Conn) {
	p := policyOf(c)
	p.denial = ""
	if !p.dirty {
		return
	}
	p.dirty = false
	var b strings.Builder
	for name, v := range settingPragmas {
		fmt.Fprintf(&b, "PRAGMA %s=%s;", name, v)
	}
	_ = trusted(c, b.String())
}

// inTx runs fn inside BEGIN IMMEDIATE ... COMMIT on the writer, rolling
// back when fn or the commit fails.
func (db *Database) inTx(c *store.Conn, fn func() error) error {
	if err := trusted(c, "BEGIN IMMEDIATE"); err != nil {
		return db.sqliteErr(c, err)
	}
	if err := fn(); err != nil {
		if c.InTransaction() {
			_ = trusted(c, "ROLLBACK")
		}
		return err
	}
	if err := trusted(c, "COMMIT"); err != nil {
		err = db.sqliteErr(c, err)
		if c.InTransaction() {
			_ = trusted(c, "ROLLBACK")
		}
		return err
	}
	return nil
}

// runQuery runs one Query the way a prepared statement does: on a reader when
// it is a single read-only statement, else on the writer (several
// statements in one transaction).
func (db *Database) runQuery(ctx context.Context, q Query, mode runMode) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	args, err := checkArgs(q.Args)
	if err != nil {
		return nil, err
	}
	q.Args = args
	var out []Result
	handled := false
	if r, ok := db.routes.Load(q.SQL); ok && r.(bool) {
		goto write
	}
	err = db.read(ctx, func(c *store.Conn) error {
		st, tail, err := c.Prepare(q.SQL, true)
		if err != nil {
			return db.sqliteErr(c, err)
		}
		if st == nil {
			return d1Err(msgNoStatements)
		}
		if !store.IsTrivia(tail) || !st.ReadOnly() {
			st.Close()
			db.remember(q.SQL, true)
			return nil
		}
		handled = true
		res, err := db.step(c, st, q.Args, true, mode)
		st.Close()
		if err != nil {
			return err
		}
		out = []Result{res}
		return nil
	})
	if err != nil || handled {
		return out, err
	}
write:
	err = db.write(ctx, func(c *store.Conn) error {
		if single(c, q.SQL) {
			out, err = db.runSQL(c, q, mode)
			return err
		}
		return db.inTx(c, func() error {
			out, err = db.runSQL(c, q, mode)
			return err
		})
	})
	return out, err
}

// remember records that sql goes to the writer, so later calls skip the
// reader. The cache is dropped when it grows past maxRoutes texts.
func (db *Database) remember(sql string, write bool) {
	if db.nroutes.Add(1) > maxRoutes {
		db.routes.Clear()
		db.nroutes.Store(0)
	}
	db.routes.Store(sql, write)
}

const maxRoutes = 4096

// single reports whether sql is one statement (then autocommit suffices).
func single(c *store.Conn, sql string) bool {
	st, tail, err := c.Prepare(sql, true)
	if err != nil || st == nil {
		return true // runSQL reports the error
	}
	st.Close()
	return store.IsTrivia(tail)
}

// runBatch runs queries in order in one transaction on the writer and
// returns the last result of each; any failure rolls everything back.
func (db *Database) runBatch(ctx context.Context, qs []Query, mode runMode) ([][]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, d1Err(msgNoStatements)
	}
	for i := range qs {
		args, err := checkArgs(qs[i].Args)
		if err != nil {
			return nil, err
		}
		qs[i].Args = args
	}
	var out [][]Result
	err := db.write(ctx, func(c *store.Conn) error {
		return db.inTx(c, func() error {
			out = out[:0]
			for _, q := range qs {
				res, err := db.runSQL(c, q, mode)
				if err != nil {
					return err
				}
				out = append(out, res)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Prepare implements runtime.D1Database.
func (db *Database) Prepare(query string) runtime.D1PreparedStatement {
	return &Statement{db: db, sql: query}
}

// Batch implements runtime.D1Database.
func (db *Database) Batch(ctx context.Context, stmts []runtime.D1PreparedStatement) ([]runtime.D1Result, error) {
	qs := make([]Query, len(stmts))
	for i, s := range stmts {
		st, ok := s.(*Statement)
		if !ok || st.db != db {
			return nil, d1Err("Batch statements must be prepared on the same database")
		}
		qs[i] = Query{SQL: st.sql, Args: st.args}
	}
	res, err := db.runBatch(ctx, qs, runMode{})
	if err != nil {
		return nil, err
	}
	out := make([]runtime.D1Result, len(res))
	for i, r := range res {
		out[i] = r[len(r)-1].D1Result()
	}
	return out, nil
}

// Exec implements runtime.D1Database: query is trimmed and split on "\n",
// each line runs as its own statement text, all in one transaction. A
// failure is reported as D1 (through Miniflare) reports it: line 1, with
// the first line's text.
func (db *Database) Exec(ctx context.Context, query string) (runtime.D1ExecResult, error) {
	lines := strings.Split(strings.TrimSpace(query), "\n")
	var qs []Query
	for _, l := range lines {
		// Lines with nothing to run are dropped, as D1's backend drops them.
		if !store.IsTrivia(l) {
			qs = append(qs, Query{SQL: l})
		}
	}
	res, err := db.runBatch(ctx, qs, runMode{})
	if err != nil {
		msg := err.Error()
		var de *runtime.D1Error
		if errors.As(err, &de) {
			msg = de.Message
		}
		// Differs from Cloudflare: always line 1 and the first line (Miniflare's report).
		return runtime.D1ExecResult{}, &runtime.D1Error{Kind: runtime.D1KindExecError,
			Message: fmt.Sprintf("Error in line 1: %s: %s", lines[0], msg), Err: err}
	}
	var total float64
	for _, r := range res {
		total += r[len(r)-1].Meta.Duration
	}
	return runtime.D1ExecResult{Count: len(qs), Duration: total}, nil
}

// Size is the database size in bytes after the last write.
func (db *Database) Size() int64 { return db.size.Load() }

// NumTables counts the user's tables (FTS shadow tables included, as
// D1 counts them).
func (db *Database) NumTables() int {
	n := 0
	_ = db.sq.Read(context.Background(), func(c *store.Conn) error {
		p := policyOf(c)
		p.trusted = true
		defer func() { p.trusted = false }()
		st, _, err := c.Prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'", true)
		if err != nil || st == nil {
			return err
		}
		defer st.Close()
		if more, err := st.Step(); err == nil && more {
			if v, ok := st.Column(0).(int64); ok {
				n = int(v)
			}
		}
		return nil
	})
	return n
}

func (db *Database) close() error { return db.sq.Close() }
