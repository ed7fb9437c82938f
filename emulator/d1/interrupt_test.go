package d1

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"jobmatch-edge/emulator/internal/store"
	"jobmatch-edge/runtime"
)

// runaway never ends on its own.
const runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c"

// failAfter bounds a wait that should end at once: a guard against a hang,
// never a way to wait for something.
const failAfter = 20 * time.Second

// tickClock is a Clock that moves on by one second each time it is read, so
// a statement's interrupt check sees time pass without anyone waiting.
type tickClock struct{ n atomic.Int64 }

func (c *tickClock) Now() time.Time { return testStart.Add(time.Duration(c.n.Add(1)) * time.Second) }

// onRunning wraps the interrupt check of the reader (Readers must be 1) and
// of the writer: the returned channel is closed the first time a statement
// of a call runs long enough to be checked.
func onRunning(t *testing.T, db *testDB) <-chan struct{} {
	t.Helper()
	running := make(chan struct{})
	var once sync.Once
	wrap := func(c *store.Conn) error {
		p := policyOf(c)
		c.SetInterruptCheck(func() bool {
			if p.call != nil && !p.trusted {
				once.Do(func() { close(running) })
			}
			return p.interrupted()
		})
		return nil
	}
	if err := errors.Join(db.sq.Read(context.Background(), wrap), db.sq.Write(context.Background(), wrap)); err != nil {
		t.Fatal(err)
	}
	return running
}

// restAnswer is what restQuery returns.
type restAnswer struct {
	status int
	header string
	env    runtime.Envelope
}

// goREST runs restQuery in a goroutine; the channel delivers its answer.
func goREST(t *testing.T, db *testDB, ctx context.Context, body string) <-chan restAnswer {
	out := make(chan restAnswer, 1)
	go func() {
		var a restAnswer
		a.status, a.header, a.env = restQuery(t, db, ctx, "query", body)
		out <- a
	}()
	return out
}

// await returns what done delivers, failing the test after failAfter.
func await[T any](t *testing.T, what string, done <-chan T) T {
	t.Helper()
	select {
	case v := <-done:
		return v
	case <-time.After(failAfter):
		t.Fatalf("%s still running after %v", what, failAfter)
		panic("unreachable")
	}
}

func TestRunawayQueryStopsAtQueryDuration(t *testing.T) {
	const want = "D1_ERROR: " + msgQueryTimeout
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func(db *testDB) error
	}{
		{"all", func(db *testDB) error { _, err := db.Prepare(runaway).All(ctx); return err }},
		{"first", func(db *testDB) error { _, err := db.Prepare(runaway).First(ctx); return err }},
		{"several statements (writer)", func(db *testDB) error {
			_, err := db.Prepare("INSERT INTO t (id) VALUES (1); " + runaway).All(ctx)
			return err
		}},
		{"batch", func(db *testDB) error {
			_, err := db.Batch(ctx, []runtime.D1PreparedStatement{db.Prepare("INSERT INTO t (id) VALUES (1)"), db.Prepare(runaway)})
			return err
		}},
		{"runaway write", func(db *testDB) error {
			_, err := db.Prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) INSERT INTO t (id) SELECT x FROM c").Run(ctx)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The default limit, 30 s, on a clock that ticks a second a read.
			db := mustOpen(t, func(o *Options) { o.Clock = &tickClock{}; o.Readers = 1 })
			mustExec(t, db, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
			done := make(chan error, 1)
			go func() { done <- tc.run(db) }()
			wantErr(t, await(t, "the runaway query", done), want)
			// Nothing of the call was kept, and both connections work.
			if n := mustCount(t, db, "t"); n != 0 {
				t.Errorf("rows of t = %d, want 0 (the call rolls back)", n)
			}
			if _, err := db.Batch(ctx, []runtime.D1PreparedStatement{db.Prepare("INSERT INTO t (id) VALUES (2)")}); err != nil {
				t.Errorf("the writer after the timeout: %v", err)
			}
		})
	}
	t.Run("REST", func(t *testing.T) {
		db := mustOpen(t, func(o *Options) { o.Clock = &tickClock{}; o.Readers = 1 })
		for _, body := range []string{`{"sql":"` + runaway + `"}`, `{"batch":[{"sql":"SELECT 1"},{"sql":"` + runaway + `"}]}`} {
			a := await(t, "the runaway REST query", goREST(t, db, ctx, body))
			wantRESTError(t, a.status, a.header, a.env, msgQueryTimeout)
		}
	})
	t.Run("a bounded query under the limit", func(t *testing.T) {
		db := mustOpen(t, func(o *Options) { o.Clock = &tickClock{} })
		v, err := db.Prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT count(*) AS n FROM c").FirstColumn(ctx, "n")
		if err != nil || v != int64(1000) {
			t.Errorf("count = %v, %v; want 1000", v, err)
		}
	})
	t.Run("no limit", func(t *testing.T) {
		l := DefaultLimits()
		l.QueryDuration = 0
		db := mustOpen(t, func(o *Options) { o.Clock = &tickClock{}; o.Limits = &l })
		v, err := db.Prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) SELECT count(*) AS n FROM c").FirstColumn(ctx, "n")
		if err != nil || v != int64(10000) {
			t.Errorf("count = %v, %v; want 10000", v, err)
		}
	})
}

// cancelMidway starts a call through start, cancels its context once one of
// its statements runs, and returns what the call answers.
func cancelMidway[T any](t *testing.T, db *testDB, start func(context.Context) <-chan T) T {
	t.Helper()
	running := onRunning(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := start(ctx)
	await(t, "the query's start", running)
	cancel()
	return await(t, "the cancelled query", done)
}

func TestCancelledCallFreesItsConnection(t *testing.T) {
	const want = "D1_ERROR: interrupted: SQLITE_INTERRUPT"
	for _, tc := range []struct {
		name string
		sql  string
	}{
		{"reader", runaway},
		{"writer", "INSERT INTO t (id) VALUES (1); " + runaway},
	} {
		t.Run(tc.name+", binding", func(t *testing.T) {
			db := mustOpen(t, func(o *Options) { o.Readers = 1 })
			mustExec(t, db, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
			err := cancelMidway(t, db, func(ctx context.Context) <-chan error {
				done := make(chan error, 1)
				go func() { _, err := db.Prepare(tc.sql).All(ctx); done <- err }()
				return done
			})
			wantErr(t, err, want)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("errors.Is(%v, context.Canceled) = false", err)
			}
			// The same connections serve the next calls.
			mustExec(t, db, "INSERT INTO t (id) VALUES (2)")
			if n := mustCount(t, db, "t"); n != 1 {
				t.Errorf("rows of t = %d, want 1", n)
			}
		})
		t.Run(tc.name+", REST", func(t *testing.T) {
			db := mustOpen(t, func(o *Options) { o.Readers = 1 })
			mustExec(t, db, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
			a := cancelMidway(t, db, func(ctx context.Context) <-chan restAnswer {
				return goREST(t, db, ctx, `{"sql":"`+tc.sql+`"}`)
			})
			wantRESTError(t, a.status, a.header, a.env, "interrupted: SQLITE_INTERRUPT")
			if status, _, env := restQuery(t, db, context.Background(), "query", `{"sql":"SELECT count(*) AS n FROM t"}`); status != http.StatusOK || !env.Success {
				t.Errorf("next query: %d %+v", status, env)
			}
		})
	}
	t.Run("queued for the writer", func(t *testing.T) {
		db := mustOpen(t)
		running := onRunning(t, db)
		hold, stop := context.WithCancel(context.Background())
		defer stop()
		first := make(chan error, 1)
		go func() { _, err := db.Prepare("SELECT 1; " + runaway).All(hold); first <- err }()
		await(t, "the first query's start", running)
		ctx, cancel := context.WithCancel(context.Background())
		queued := make(chan error, 1)
		go func() { _, err := db.Batch(ctx, []runtime.D1PreparedStatement{db.Prepare("SELECT 1")}); queued <- err }()
		cancel()
		if err := await(t, "the queued call", queued); !errors.Is(err, context.Canceled) {
			t.Errorf("queued call: err = %v, want context.Canceled", err)
		}
		stop()
		await(t, "the first query", first)
	})
}

func TestCloseInterruptsRunningCalls(t *testing.T) {
	for _, tc := range []struct {
		name string
		sql  string
	}{
		{"reader", runaway},
		{"writer", "SELECT 1; " + runaway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustOpen(t, func(o *Options) { o.Readers = 1 })
			closed := "D1_ERROR: Database " + db.info.UUID + " is closed"
			running := onRunning(t, db)
			done := make(chan error, 1)
			go func() { _, err := db.Prepare(tc.sql).All(context.Background()); done <- err }()
			await(t, "the query's start", running)
			closing := make(chan error, 1)
			go func() { closing <- db.svc.Close() }()
			if err := await(t, "Close", closing); err != nil {
				t.Errorf("Close: %v", err)
			}
			wantErr(t, await(t, "the interrupted query", done), closed)
			// Calls after Close get the same answer.
			_, err := db.Prepare("SELECT 1").All(context.Background())
			wantErr(t, err, closed)
			_, err = db.Batch(context.Background(), []runtime.D1PreparedStatement{db.Prepare("SELECT 1")})
			wantErr(t, err, closed)
		})
	}
}
