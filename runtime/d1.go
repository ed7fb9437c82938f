package runtime

import (
	"context"
	"net/http"
)

// D1Database is a D1 binding (env.DB): prepared statements, batches and
// exec, with D1's result shapes and error texts.
type D1Database interface {
	// Prepare returns a statement for query. Nothing runs until a method
	// of the statement is called; errors surface there.
	Prepare(query string) D1PreparedStatement
	// Batch runs the statements in order in one transaction: all or
	// nothing. An empty batch is "D1_ERROR: No SQL statements detected.".
	Batch(ctx context.Context, stmts []D1PreparedStatement) ([]D1Result, error)
	// Exec runs query split on newlines, every line a statement, as one
	// atomic batch (D1's db.exec).
	Exec(ctx context.Context, query string) (D1ExecResult, error)
}

// D1PreparedStatement is a statement with its bound values. Bind returns a
// new statement and leaves the receiver unchanged.
type D1PreparedStatement interface {
	// Bind binds values to ?, ?NNN (and :name/@name/$name in order of first
	// appearance). Accepted: nil, bool (1/0), every Go integer type
	// (INTEGER), float32/float64 (REAL), string (TEXT), []byte (BLOB).
	// Anything else fails when the statement runs, with D1_TYPE_ERROR.
	Bind(values ...any) D1PreparedStatement
	// First returns the first row, or nil when there is none.
	First(ctx context.Context) (map[string]any, error)
	// FirstColumn returns column col of the first row (D1's first(col)):
	// nil when there is no row, D1_COLUMN_NOTFOUND when the row has no
	// such column.
	FirstColumn(ctx context.Context, col string) (any, error)
	// All returns every row with meta.
	All(ctx context.Context) (D1Result, error)
	// Run is All (D1's run returns the same result).
	Run(ctx context.Context) (D1Result, error)
	// Raw returns rows as arrays; with ColumnNames the first row is the
	// column names (duplicates kept).
	Raw(ctx context.Context, opts D1RawOptions) ([][]any, error)
}

// D1RawOptions are the options of D1PreparedStatement.Raw.
type D1RawOptions struct {
	ColumnNames bool
}

// D1Result is what all() and run() return, and each element of a batch.
// Values in rows are int64, float64, string, []byte or nil. Duplicate
// column names collapse, the last one winning, as in a JavaScript object.
type D1Result struct {
	Success bool             `json:"success"`
	Meta    D1Meta           `json:"meta"`
	Results []map[string]any `json:"results"`
}

// D1Meta is a result's meta object.
type D1Meta struct {
	Duration    float64 `json:"duration"` // ms of SQL execution
	Changes     int64   `json:"changes"`
	LastRowID   int64   `json:"last_row_id"`
	ChangedDB   bool    `json:"changed_db"`
	SizeAfter   int64   `json:"size_after"`
	RowsRead    int64   `json:"rows_read"`
	RowsWritten int64   `json:"rows_written"`
	ServedBy    string  `json:"served_by"`
}

// D1ExecResult is what exec() returns.
type D1ExecResult struct {
	Count    int     `json:"count"`
	Duration float64 `json:"duration"`
}

// D1 error kinds: the prefix of a D1 error message.
const (
	D1KindError          = "D1_ERROR"
	D1KindTypeError      = "D1_TYPE_ERROR"
	D1KindColumnNotFound = "D1_COLUMN_NOTFOUND"
	D1KindExecError      = "D1_EXEC_ERROR"
)

// D1Error is the error a D1 binding throws; Error() is the message a
// Worker's catch sees (e.g. "D1_ERROR: no such table: foo: SQLITE_ERROR").
// Through the REST API it becomes HTTP 400 with code 7500 and the message
// without its prefix (errors.As to *Error gives that form).
type D1Error struct {
	Kind    string // D1_ERROR, D1_TYPE_ERROR, ...
	Message string // the text after "<Kind>: "
	Err     error  // cause, if any
}

func (e *D1Error) Error() string { return e.Kind + ": " + e.Message }

// Unwrap returns the cause.
func (e *D1Error) Unwrap() error { return e.Err }

// Is matches another *D1Error of the same kind (and the same message when
// the target has one).
func (e *D1Error) Is(target error) bool {
	t, ok := target.(*D1Error)
	if !ok {
		return false
	}
	return t.Kind == e.Kind && (t.Message == "" || t.Message == e.Message)
}

// As gives the REST form of the error: errors.As(err, &cfErr) yields
// {Status: 400, Code: 7500, Message: e.Message}.
func (e *D1Error) As(target any) bool {
	p, ok := target.(**Error)
	if !ok {
		return false
	}
	*p = &Error{Status: http.StatusBadRequest, Code: CodeD1Error, Message: e.Message, Err: e}
	return true
}
