package d1

import (
	"strings"

	lib "modernc.org/sqlite/lib"

	"jobmatch-edge/emulator/internal/store"
)

// policy is the per-connection state of D1's SQL rules, enforced by an
// SQLite authorizer while statements compile.
type policy struct {
	trusted bool   // our own statements (BEGIN, page_count, ...) pass
	denial  string // replaces SQLite's message for the last denial
	dirty   bool   // a connection-level PRAGMA was set; reset after the call
	call    *call  // the call holding the connection, nil between calls
}

func policyOf(c *store.Conn) *policy { return c.Data.(*policy) }

// setupConn applies D1's limits and authorizer to a new connection.
func setupConn(l Limits) func(*store.Conn) error {
	return func(c *store.Conn) error {
		for id, v := range l.sqliteLimits() {
			c.Limit(id, v)
		}
		p := &policy{}
		c.Data = p
		c.SetAuthorizer(p.authorize)
		c.SetInterruptCheck(p.interrupted)
		return nil
	}
}

// allowedPragmas is D1's PRAGMA allow-list (cloudflare-semantics.md §3.4).
// The value says whether the pragma may take an argument.
var allowedPragmas = map[string]bool{
	"table_list": true, "table_info": true, "table_xinfo": true,
	"index_list": true, "index_info": true, "index_xinfo": true,
	"foreign_key_check": true, "foreign_key_list": true,
	"quick_check": true, "optimize": true, "data_version": false,
	"page_size": false, // read only
	// Booleans.
	"case_sensitive_like": true, "foreign_keys": true, "defer_foreign_keys": true,
	"ignore_check_constraints": true, "legacy_alter_table": true,
	"recursive_triggers": true, "reverse_unordered_selects": true,
}

// settingPragmas change a connection setting that would outlive the call;
// they are reset to these values afterwards.
var settingPragmas = map[string]string{
	"case_sensitive_like":       "OFF",
	"defer_foreign_keys":        "OFF",
	"ignore_check_constraints":  "OFF",
	"legacy_alter_table":        "OFF",
	"recursive_triggers":        "OFF",
	"reverse_unordered_selects": "OFF",
}

// allowedFunctions: SQLite's core, date/time, aggregate, window, math and
// JSON functions, FTS5's auxiliary functions and rtree's helpers.
// sqlite_version(), sqlite_source_id(), sqlite_compileoption_*(),
// load_extension() and the like are left out, as D1 leaves them out.
var allowedFunctions = setOf(
	// Core scalar functions.
	"abs", "changes", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex",
	"if", "ifnull", "iif", "instr", "last_insert_rowid", "length", "like", "likelihood",
	"likely", "lower", "ltrim", "max", "min", "nullif", "octet_length", "printf", "quote",
	"random", "randomblob", "replace", "round", "rtrim", "sign", "soundex", "substr",
	"substring", "total_changes", "trim", "typeof", "unhex", "unicode", "unistr",
	"unistr_quote", "unlikely", "upper", "zeroblob", "->", "->>",
	// Date and time.
	"date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff",
	"current_date", "current_time", "current_timestamp",
	// Aggregates.
	"avg", "count", "group_concat", "string_agg", "sum", "total",
	// Window functions.
	"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag",
	"lead", "first_value", "last_value", "nth_value",
	// Math.
	"acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos",
	"cosh", "degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow",
	"power", "radians", "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
	// JSON.
	"json", "jsonb", "json_array", "jsonb_array", "json_array_length",
	"json_error_position", "json_extract", "jsonb_extract", "json_insert", "jsonb_insert",
	"json_object", "jsonb_object", "json_patch", "jsonb_patch", "json_pretty",
	"json_remove", "jsonb_remove", "json_replace", "jsonb_replace", "json_set",
	"jsonb_set", "json_type", "json_valid", "json_quote", "json_group_array",
	"jsonb_group_array", "json_group_object", "jsonb_group_object",
	// FTS5 auxiliary functions, rtree helpers.
	"match", "bm25", "highlight", "snippet", "rtreecheck", "rtreenode", "rtreedepth",
	// Used by SQLite itself while running ALTER TABLE.
	"sqlite_rename_column", "sqlite_rename_table", "sqlite_rename_test",
	"sqlite_drop_column", "sqlite_rename_quotefix",
)

// allowedModules are the virtual-table modules D1 allows.
var allowedModules = setOf("fts5", "fts5vocab", "rtree", "rtree_i32")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func reserved(name string) bool {
	return len(name) >= 4 && strings.EqualFold(name[:4], "_cf_")
}

// internalTable reports whether name is one of SQLite's eponymous virtual
// tables D1 does not have: sqlite_dbpage (the raw pages, writable: one
// UPDATE makes the file unreadable), dbstat (page-level statistics), and
// the pragma_* table-valued functions of pragmas outside the allow-list
// (their PRAGMA is refused anyway when they run; this refuses them when
// they compile). json_each and json_tree stay; the emulator's SQLite has no
// sqlite_stmt, bytecode or generate_series, and fts5vocab tables must be
// created, through the module allow-list.
func internalTable(name string) bool {
	if strings.EqualFold(name, "sqlite_dbpage") || strings.EqualFold(name, "dbstat") {
		return true
	}
	const prefix = "pragma_"
	if len(name) > len(prefix) && strings.EqualFold(name[:len(prefix)], prefix) {
		_, ok := allowedPragmas[strings.ToLower(name[len(prefix):])]
		return !ok
	}
	return false
}

// authorize is the SQLite authorizer callback.
func (p *policy) authorize(action int, a1, a2, dbName, _ string) int {
	if p.trusted {
		return store.AuthOK
	}
	switch action {
	case lib.SQLITE_ATTACH, lib.SQLITE_DETACH:
		return store.AuthDeny
	case lib.SQLITE_TRANSACTION, lib.SQLITE_SAVEPOINT:
		// Differs from Cloudflare: the Durable Object text (production D1's is unverified).
		p.denial = msgTransaction
		return store.AuthDeny
	case lib.SQLITE_CREATE_TEMP_INDEX, lib.SQLITE_CREATE_TEMP_TABLE, lib.SQLITE_CREATE_TEMP_TRIGGER,
		lib.SQLITE_CREATE_TEMP_VIEW, lib.SQLITE_DROP_TEMP_INDEX, lib.SQLITE_DROP_TEMP_TABLE,
		lib.SQLITE_DROP_TEMP_TRIGGER, lib.SQLITE_DROP_TEMP_VIEW:
		return store.AuthDeny
	case lib.SQLITE_CREATE_TABLE, lib.SQLITE_CREATE_INDEX, lib.SQLITE_CREATE_VIEW, lib.SQLITE_CREATE_TRIGGER,
		lib.SQLITE_DROP_TABLE, lib.SQLITE_DROP_INDEX, lib.SQLITE_DROP_VIEW, lib.SQLITE_DROP_TRIGGER:
		if reserved(a1) || strings.EqualFold(dbName, "temp") {
			return store.AuthDeny
		}
	case lib.SQLITE_READ:
		if internalTable(a1) {
			// Differs from Cloudflare: D1 has no such tables ("no such
			// table"); SQLite would say "access to <t>.<col> is prohibited".
			p.denial = msgNotAuthorized
			return store.AuthDeny
		}
	case lib.SQLITE_INSERT, lib.SQLITE_UPDATE, lib.SQLITE_DELETE:
		// (ALTER TABLE updates temp.sqlite_master itself: no temp check.)
		if reserved(a1) || internalTable(a1) {
			return store.AuthDeny
		}
	case lib.SQLITE_CREATE_VTABLE, lib.SQLITE_DROP_VTABLE:
		if reserved(a1) || !allowedModules[strings.ToLower(a2)] {
			return store.AuthDeny
		}
	case lib.SQLITE_FUNCTION:
		if !allowedFunctions[strings.ToLower(a2)] {
			return store.AuthDeny
		}
	case lib.SQLITE_PRAGMA:
		name := strings.ToLower(a1)
		takesArg, ok := allowedPragmas[name]
		if !ok || (a2 != "" && !takesArg) {
			return store.AuthDeny
		}
		if a2 != "" {
			if name == "foreign_keys" {
				// Foreign keys stay on: setting the pragma has no effect.
				return store.AuthIgnore
			}
			if _, ok := settingPragmas[name]; ok {
				p.dirty = true
			}
		}
	}
	return store.AuthOK
}

// interrupted is the connection's interrupt check (store.SetInterruptCheck):
// it stops the call's statements once the call's context has ended or the
// call has run past its deadline, and keeps stopping them for the rest of
// the call. Our own statements (the ROLLBACK after it) are left alone.
func (p *policy) interrupted() bool {
	k := p.call
	if k == nil || p.trusted {
		return false
	}
	if k.stopped == nil {
		switch {
		case k.ended.Load():
			k.stopped = errCallEnded
		case !k.deadline.IsZero() && !k.clock.Now().Before(k.deadline):
			k.stopped = errCallTimeout
		default:
			return false
		}
	}
	return true
}
