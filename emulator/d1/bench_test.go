package d1

import (
	"context"
	"testing"

	"jobmatch-edge/runtime"
)

func benchDB(b *testing.B) *testDB {
	db := mustOpen(b, func(o *Options) { o.Clock = runtime.SystemClock{} })
	mustExec(b, db, "CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
	return db
}

// BenchmarkInsert: single-statement inserts through the binding.
func BenchmarkInsert(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	stmt := db.Prepare("INSERT INTO kv (v) VALUES (?)")
	b.ResetTimer()
	for b.Loop() {
		if _, err := stmt.Bind("value").Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
}

// BenchmarkPointSelect: SELECT by primary key through the binding, from
// parallel goroutines.
func BenchmarkPointSelect(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	const rows = 10_000
	var stmts []runtime.D1PreparedStatement
	for i := range rows {
		stmts = append(stmts, db.Prepare("INSERT INTO kv (id, v) VALUES (?, ?)").Bind(i, "value"))
	}
	if _, err := db.Batch(ctx, stmts); err != nil {
		b.Fatal(err)
	}
	stmt := db.Prepare("SELECT id, v FROM kv WHERE id = ?")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i = (i + 7919) % rows
			row, err := stmt.Bind(i).First(ctx)
			if err != nil || row == nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "selects/s")
}

// BenchmarkBatch1000: one batch of 1,000 inserts.
func BenchmarkBatch1000(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	stmts := make([]runtime.D1PreparedStatement, 1000)
	for i := range stmts {
		stmts[i] = db.Prepare("INSERT INTO kv (v) VALUES (?)").Bind("value")
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.Batch(ctx, stmts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/batch")
}

// BenchmarkPagedList: the API's job list query (ORDER BY with a bound
// LIMIT and OFFSET) on an indexed table, through the binding, from
// parallel goroutines. Each run must use the cached statement as compiled
// (no re-preparation on bind: store enables QPSG).
func BenchmarkPagedList(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	mustExec(b, db, "CREATE TABLE jobs (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, title TEXT, is_archived INTEGER DEFAULT 0, created_at TEXT)")
	mustExec(b, db, "CREATE INDEX idx_jobs_user ON jobs (user_id, is_archived, created_at)")
	const users = 1000
	var stmts []runtime.D1PreparedStatement
	for i := range 5 * users {
		stmts = append(stmts, db.Prepare("INSERT INTO jobs (id, user_id, title, created_at) VALUES (?, ?, 'Engineer', ?)").
			Bind(i, i%users, i))
	}
	if _, err := db.Batch(ctx, stmts); err != nil {
		b.Fatal(err)
	}
	stmt := db.Prepare("SELECT * FROM jobs WHERE user_id = ? AND is_archived = ? ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i = (i + 7919) % users
			res, err := stmt.Bind(i, 0, 20, 0).All(ctx)
			if err != nil || len(res.Results) != 5 {
				b.Fatal(err, len(res.Results))
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}
