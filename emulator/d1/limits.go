package d1

import (
	"time"

	lib "modernc.org/sqlite/lib"
)

// Limits are D1's per-database limits, applied with sqlite3_limit on every
// connection (cloudflare-semantics.md §3.3), and its query duration limit.
// Tests shrink them through Options.Limits.
type Limits struct {
	// QueryDuration is D1's "Maximum SQL query duration" (30 s), which
	// applies to a whole call: a statement, a multi-statement query, a
	// batch, an exec or a migration file. Statements still running then
	// are interrupted and the call fails with msgQueryTimeout (a batch
	// rolls back). Measured on the service's Clock from the moment the
	// call has its connection; 0 means no limit.
	QueryDuration time.Duration

	BoundParameters int // SQLITE_LIMIT_VARIABLE_NUMBER: 100
	SQLLength       int // SQLITE_LIMIT_SQL_LENGTH, bytes per statement: 100,000
	Columns         int // SQLITE_LIMIT_COLUMN: 100
	ValueLength     int // SQLITE_LIMIT_LENGTH, bytes per string/BLOB/row: 2,000,000
	LikePattern     int // SQLITE_LIMIT_LIKE_PATTERN_LENGTH, bytes: 50
	ExprDepth       int // SQLITE_LIMIT_EXPR_DEPTH: 100
	CompoundSelect  int // SQLITE_LIMIT_COMPOUND_SELECT: 5
	FunctionArgs    int // SQLITE_LIMIT_FUNCTION_ARG: 32
	TriggerDepth    int // SQLITE_LIMIT_TRIGGER_DEPTH: 10
	Attached        int // SQLITE_LIMIT_ATTACHED: 0
}

// DefaultLimits are production D1's limits.
func DefaultLimits() Limits {
	return Limits{
		QueryDuration:   30 * time.Second,
		BoundParameters: 100,
		SQLLength:       100_000,
		Columns:         100,
		ValueLength:     2_000_000,
		LikePattern:     50,
		ExprDepth:       100,
		CompoundSelect:  5,
		FunctionArgs:    32,
		TriggerDepth:    10,
		Attached:        0,
	}
}

func (l Limits) sqliteLimits() map[int]int {
	return map[int]int{
		lib.SQLITE_LIMIT_VARIABLE_NUMBER:     l.BoundParameters,
		lib.SQLITE_LIMIT_SQL_LENGTH:          l.SQLLength,
		lib.SQLITE_LIMIT_COLUMN:              l.Columns,
		lib.SQLITE_LIMIT_LENGTH:              l.ValueLength,
		lib.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: l.LikePattern,
		lib.SQLITE_LIMIT_EXPR_DEPTH:          l.ExprDepth,
		lib.SQLITE_LIMIT_COMPOUND_SELECT:     l.CompoundSelect,
		lib.SQLITE_LIMIT_FUNCTION_ARG:        l.FunctionArgs,
		lib.SQLITE_LIMIT_TRIGGER_DEPTH:       l.TriggerDepth,
		lib.SQLITE_LIMIT_ATTACHED:            l.Attached,
	}
}

// ServedBy is meta.served_by.
const ServedBy = "edge.d1"

// HeaderD1 is the response header D1's REST API sets on a failed query
// ("cf-d1: err=7500").
const HeaderD1 = "cf-d1"

// DefaultMigrationsTable is wrangler's default migrations_table.
const DefaultMigrationsTable = "d1_migrations"

// Messages D1 prints, verbatim.
const (
	msgNoStatements   = "No SQL statements detected."
	msgWrongBindCount = "Wrong number of parameter bindings for SQL query."
	msgMultiParams    = "When executing multiple SQL statements in a single call, only the last statement can have parameters."
	msgNotAuthorized  = "not authorized: SQLITE_AUTH"
	// msgQueryTimeout is the D1_ERROR text of a call stopped at
	// Limits.QueryDuration: the documented error for a query that takes
	// too much CPU time (developers.cloudflare.com/d1/observability/debug-d1/,
	// "List of D1_ERRORs").
	msgQueryTimeout = "D1 DB exceeded its CPU time limit and was reset."
	msgTransaction  = "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic atomic write coalescing."
)
