package d1

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"jobmatch-edge/runtime"
)

func TestConcurrentWritersAndReaders(t *testing.T) {
	for _, tc := range []struct {
		name     string
		inMemory bool
	}{
		{"disk", false},
		{"in memory", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustOpen(t, func(o *Options) { o.InMemory = tc.inMemory })
			ctx := context.Background()
			mustExec(t, db, "CREATE TABLE hits (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, n INTEGER NOT NULL)",
				"CREATE TABLE counter (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)",
				"INSERT INTO counter VALUES (1, 0)")
			const writers, perWriter, readers, readsPerReader = 32, 60, 4, 300
			var wg sync.WaitGroup
			var failures atomic.Int64
			var firstErr atomic.Value
			fail := func(err error) {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
			done := make(chan struct{})
			var reads atomic.Int64
			for range readers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var last int64
					// A bounded number of reads, interleaved with the writes
					// (unbounded spinning would only starve the writers of CPU).
					for range readsPerReader {
						select {
						case <-done:
							return
						default:
						}
						v, err := db.Prepare("SELECT total FROM counter WHERE id = 1").FirstColumn(ctx, "total")
						if err != nil {
							fail(err)
							return
						}
						// Committed state only, and it never goes backwards.
						if n := v.(int64); n < last {
							fail(fmt.Errorf("counter went from %d to %d", last, n))
							return
						} else {
							last = n
						}
						reads.Add(1)
					}
				}()
			}
			var ww sync.WaitGroup
			for w := range writers {
				ww.Add(1)
				go func() {
					defer ww.Done()
					for i := range perWriter {
						var err error
						if i%2 == 0 {
							_, err = db.Prepare("INSERT INTO hits (writer, n) VALUES (?, ?)").Bind(w, i).Run(ctx)
						} else {
							_, err = db.Batch(ctx, []runtime.D1PreparedStatement{
								db.Prepare("INSERT INTO hits (writer, n) VALUES (?, ?)").Bind(w, i),
								db.Prepare("UPDATE counter SET total = total + 1 WHERE id = 1"),
							})
						}
						if err != nil {
							fail(err)
							return
						}
					}
				}()
			}
			ww.Wait()
			close(done)
			wg.Wait()
			if n := failures.Load(); n > 0 {
				t.Fatalf("%d failures, first: %v", n, firstErr.Load())
			}
			if n := mustCount(t, db, "hits"); n != writers*perWriter {
				t.Errorf("hits = %d, want %d", n, writers*perWriter)
			}
			v, err := db.Prepare("SELECT total FROM counter").FirstColumn(ctx, "total")
			if err != nil || v != int64(writers*perWriter/2) {
				t.Errorf("counter = %v, %v; want %d", v, err, writers*perWriter/2)
			}
			for w := range writers {
				if n := mustCount(t, db, "hits WHERE writer = "+strconv.Itoa(w)); n != perWriter {
					t.Errorf("writer %d rows = %d, want %d", w, n, perWriter)
				}
			}
			if reads.Load() == 0 {
				t.Error("no reads ran")
			}
		})
	}
}

func TestInMemoryIsSharedAndPrivate(t *testing.T) {
	db := mustOpen(t, func(o *Options) { o.InMemory = true; o.Readers = 2 })
	other := mustOpen(t, func(o *Options) { o.InMemory = true })
	ctx := context.Background()
	mustExec(t, db, "CREATE TABLE t (a)", "INSERT INTO t VALUES (1)")
	// Reads run on reader connections: they see the writer's data.
	for i := range 3 {
		if n := mustCount(t, db, "t"); n != 1 {
			t.Fatalf("read %d: rows = %d, want 1", i, n)
		}
	}
	// Another service with the same database id has its own memory.
	if _, err := other.Prepare("SELECT * FROM t").All(ctx); errText(err) != "D1_ERROR: no such table: t: SQLITE_ERROR" {
		t.Errorf("other service: err = %v", err)
	}
	if entries, _ := os.ReadDir(db.svc.opts.Dir); len(entries) != 0 {
		t.Errorf("in-memory service wrote %d files", len(entries))
	}
}

// TestKillNine checks that acknowledged writes survive kill -9: a child
// process (this test binary) writes rows and reports each acknowledged one;
// the parent kills it mid-stream, reopens the database and finds every
// acknowledged row.
func TestKillNine(t *testing.T) {
	if dir := os.Getenv("D1_KILL_CHILD_DIR"); dir != "" {
		killChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillNine$")
	cmd.Env = append(os.Environ(), "D1_KILL_CHILD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked, _ = strconv.Atoi(id)
			if acked >= 200 {
				break
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if acked < 200 {
		t.Fatalf("child acknowledged only %d writes", acked)
	}
	db := mustOpen(t, func(o *Options) { o.Dir = dir })
	v, err := db.Prepare("SELECT count(*) AS n, max(id) AS m FROM t").First(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v["n"].(int64) < int64(acked) || v["m"].(int64) < int64(acked) {
		t.Errorf("after kill -9: %v rows, want at least %d", v, acked)
	}
}

func killChild(dir string) {
	svc, err := Open(Options{Dir: dir})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	db, err := svc.EnsureDatabase(Info{UUID: "00000000-0000-4000-8000-000000000001", Name: "main"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ctx := context.Background()
	if _, err := db.Prepare("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").Run(ctx); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := 1; ; i++ {
		if _, err := db.Prepare("INSERT INTO t (id, v) VALUES (?, ?)").Bind(i, strings.Repeat("x", 100)).Run(ctx); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Printf("acked %d\n", i)
	}
}
