// Package d1 emulates Cloudflare D1 (https://developers.cloudflare.com/d1/)
// on SQLite (modernc.org/sqlite, through its C API): the Worker binding
// (runtime.D1Database: prepare/bind/first/all/run/raw, batch, exec), the
// REST API under /client/v4/accounts/{account_id}/d1/database, and
// wrangler-compatible migrations (the d1_migrations table, NNNN_name.sql
// files, one atomic batch per file).
//
// Each database is one SQLite file, <state>/d1/<database_id>.sqlite, in WAL
// mode with one writer connection (writes queue on it, so concurrent
// writers never see SQLITE_BUSY) and a pool of read-only connections.
// What D1 forbids is refused by an SQLite authorizer and sqlite3_limit, with
// D1's messages: ATTACH/DETACH, BEGIN/COMMIT/SAVEPOINT, PRAGMAs outside D1's
// allow-list, TEMP objects, virtual tables other than fts5/fts5vocab/rtree,
// names starting with _cf_, and functions outside an allow-list.
//
// # Differences from Cloudflare
//
//   - meta.rows_read is the rows returned plus SQLite's full-scan steps, and
//     meta.rows_written the rows changed (total_changes, triggers included);
//     D1 counts index reads and writes too.
//   - meta.served_by is "edge.d1"; there are no served_by_region,
//     served_by_colo, served_by_primary, timings or total_attempts fields.
//   - meta.duration is measured with the emulator's Clock (0 under a fake
//     clock).
//   - BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE fail with the Durable Object
//     SQL text ("To execute a transaction, please use the
//     state.storage.transaction() ..."), which Miniflare prints; production
//     D1's exact text is unverified.
//   - exec() reports any failure as line 1 with the first line's text, as
//     Miniflare does (Appendix M), not the failing line.
//   - Go values bind natively: int64 and the other integer types as
//     INTEGER (JavaScript binds every number as REAL), float64 as REAL,
//     bool as 1/0, []byte as BLOB. D1_TYPE_ERROR names the Go type
//     (Type 'time.Time' ...) where JavaScript names typeof.
//   - Allowed PRAGMAs that change a connection setting
//     (case_sensitive_like, recursive_triggers, ...) are reset after each
//     call, which is what "PRAGMA statements only apply to the current
//     transaction" means for a call; PRAGMA foreign_keys=OFF is ignored.
//   - Migrations record applied_at from the emulator's Clock (UTC,
//     "YYYY-MM-DD HH:MM:SS", the CURRENT_TIMESTAMP format) instead of
//     letting SQLite read the wall clock.
//   - Databases declared in wrangler.toml cannot be deleted over REST
//     while they are bound.
//   - No read replication, sessions/bookmarks, Time Travel, export or
//     import.
//   - SQLite's sqlite_dbpage and dbstat tables and the pragma_* functions
//     of pragmas off the allow-list exist but are refused ("not
//     authorized"); D1 has none of them.
//   - A call running past Limits.QueryDuration (30 s, on the Clock) fails
//     alone with "D1 DB exceeded its CPU time limit and was reset."; D1
//     resets the database object and fails every pending query. A call
//     whose context ends mid-statement fails with SQLite's "interrupted".
package d1
