package r2

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"jobmatch-edge/runtime"
)

// start is the fake clock's start in every test.
var start = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

const testBucket = "jobmatch-ai-dev-avatars"

type fixture struct {
	svc   *Service
	b     *Bucket
	clock *runtime.FakeClock
	dir   string
}

// mustOpen opens a service (on t.TempDir() unless inMemory) with one bucket.
func mustOpen(t testing.TB, inMemory bool, limits *Limits) *fixture {
	t.Helper()
	f := &fixture{clock: runtime.NewFakeClock(start)}
	if !inMemory {
		f.dir = t.TempDir()
	}
	f.reopen(t, inMemory, limits)
	return f
}

func (f *fixture) reopen(t testing.TB, inMemory bool, limits *Limits) {
	t.Helper()
	opts := Options{Dir: f.dir, InMemory: inMemory, Clock: f.clock, Limits: limits}
	if os.Getenv("EDGE_TEST_LOG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	svc, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	b, err := svc.EnsureBucket(context.Background(), testBucket)
	if err != nil {
		t.Fatalf("EnsureBucket: %v", err)
	}
	f.svc, f.b = svc, b
}

// backends runs fn against the disk and the in-memory store.
func backends(t *testing.T, limits *Limits, fn func(t *testing.T, f *fixture)) {
	for _, mem := range []bool{false, true} {
		name := "disk"
		if mem {
			name = "memory"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, mustOpen(t, mem, limits))
		})
	}
}

func mustPut(t testing.TB, b runtime.R2Bucket, key, value string, o runtime.R2PutOptions) *runtime.R2Object {
	t.Helper()
	obj, err := b.Put(context.Background(), key, strings.NewReader(value), o)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	if obj == nil {
		t.Fatalf("Put(%q) = nil", key)
	}
	return obj
}

func mustGetText(t testing.TB, b runtime.R2Bucket, key string, o runtime.R2GetOptions) (*runtime.R2ObjectBody, string) {
	t.Helper()
	obj, err := b.Get(context.Background(), key, o)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if obj == nil {
		t.Fatalf("Get(%q) = nil", key)
	}
	s, err := obj.Text()
	if err != nil {
		t.Fatalf("Get(%q) body: %v", key, err)
	}
	return obj, s
}

// wantErr checks an error's exact text and, for R2 errors, its code.
func wantErr(t testing.TB, err error, text string, is error) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %q", text)
	}
	if err.Error() != text {
		t.Fatalf("err = %q, want %q", err.Error(), text)
	}
	if is != nil && !errors.Is(err, is) {
		t.Fatalf("errors.Is(%v, %v) = false", err, is)
	}
}

func ptr(n int64) *int64 { return &n }
