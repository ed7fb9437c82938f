package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

// failAfter bounds waits that should end at once (a hang guard only).
const failAfter = 20 * time.Second

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

// stepAll runs sql's first statement to its end.
func stepAll(c *Conn, sql string) error {
	st, _, err := c.Prepare(sql, false)
	if err != nil {
		return err
	}
	defer st.Close()
	for {
		more, err := st.Step()
		if err != nil || !more {
			return err
		}
	}
}

func mustOpenSQLite(t *testing.T, o SQLiteOptions) *SQLite {
	t.Helper()
	s, err := OpenSQLite(filepath.Join(t.TempDir(), "x.sqlite"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestInterruptCheck(t *testing.T) {
	s := mustOpenSQLite(t, SQLiteOptions{Readers: 1})
	ctx := context.Background()
	calls := 0
	err := s.Read(ctx, func(c *Conn) error {
		c.SetInterruptCheck(func() bool { calls++; return calls == 3 })
		defer c.SetInterruptCheck(nil)
		return stepAll(c, runaway)
	})
	var se *Error
	if !errors.As(err, &se) || se.Error() != "interrupted: SQLITE_INTERRUPT" || calls != 3 {
		t.Errorf("err = %v after %d checks, want interrupted after 3", err, calls)
	}
	// The connection runs the next statement normally.
	err = s.Read(ctx, func(c *Conn) error {
		return stepAll(c, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) SELECT count(*) FROM c")
	})
	if err != nil {
		t.Errorf("next statement: %v", err)
	}
}

func TestCloseInterruptsStatements(t *testing.T) {
	s := mustOpenSQLite(t, SQLiteOptions{Readers: 1})
	ctx := context.Background()
	running := make(chan struct{}, 2)
	var mu sync.Mutex
	signalled := map[*Conn]bool{}
	watch := func(c *Conn) error {
		c.SetInterruptCheck(func() bool {
			mu.Lock()
			defer mu.Unlock()
			if !signalled[c] {
				signalled[c] = true
				running <- struct{}{}
			}
			return false
		})
		return nil
	}
	if err := errors.Join(s.Read(ctx, watch), s.Write(ctx, watch)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- s.Read(ctx, func(c *Conn) error { return stepAll(c, runaway) }) }()
	go func() { done <- s.Write(ctx, func(c *Conn) error { return stepAll(c, runaway) }) }()
	await(t, "the reader's statement start", running)
	await(t, "the writer's statement start", running)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	if err := await(t, "Close", closed); err != nil {
		t.Errorf("Close: %v", err)
	}
	for range 2 {
		if err := await(t, "an interrupted statement", done); !errors.Is(err, ErrClosed) {
			t.Errorf("interrupted statement: err = %v, want ErrClosed", err)
		}
	}
	for name, err := range map[string]error{
		"read":  s.Read(ctx, func(*Conn) error { return nil }),
		"write": s.Write(ctx, func(*Conn) error { return nil }),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", name, err)
		}
	}
}

func TestQueuedCallLeavesWhenItsContextEnds(t *testing.T) {
	s := mustOpenSQLite(t, SQLiteOptions{Readers: 1})
	for name, use := range map[string]func(context.Context, func(*Conn) error) error{"read": s.Read, "write": s.Write} {
		t.Run(name, func(t *testing.T) {
			held, release := make(chan struct{}), make(chan struct{})
			first := make(chan error, 1)
			go func() {
				first <- use(context.Background(), func(*Conn) error { close(held); <-release; return nil })
			}()
			await(t, "the first call", held)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			ran := false
			if err := use(ctx, func(*Conn) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
				t.Errorf("queued call: err = %v ran %v, want context.Canceled without running", err, ran)
			}
			close(release)
			if err := await(t, "the first call", first); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDefensive(t *testing.T) {
	for _, tc := range []struct {
		name      string
		defensive bool
		want      string
	}{
		{"on", true, "read-only: SQLITE_ERROR"},
		{"off", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOpenSQLite(t, SQLiteOptions{Defensive: tc.defensive})
			err := s.Write(context.Background(), func(c *Conn) error {
				return c.Exec("CREATE TABLE t (a); UPDATE sqlite_dbpage SET data = data WHERE pgno = 1")
			})
			if got := errText(err); got != tc.want {
				t.Errorf("writing sqlite_dbpage: err = %q, want %q", got, tc.want)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
