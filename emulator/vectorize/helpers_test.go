package vectorize_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"jobmatch-edge/emulator/vectorize"
	"jobmatch-edge/runtime"
)

var start = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// mustOpen opens a service on a temp dir (or dir, when given) with a fake clock.
func mustOpen(t testing.TB, dir string, clock *runtime.FakeClock, limits vectorize.Limits) *vectorize.Service {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	if clock == nil {
		clock = runtime.NewFakeClock(start)
	}
	svc, err := vectorize.Open(vectorize.Options{Dir: dir, Clock: clock, Limits: limits})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	return svc
}

// mustIndex creates an index.
func mustIndex(t testing.TB, svc *vectorize.Service, name string, dims int, metric string) *vectorize.Index {
	t.Helper()
	x, err := svc.CreateIndex(context.Background(), name, "", vectorize.IndexConfig{Dimensions: dims, Metric: metric})
	if err != nil {
		t.Fatalf("CreateIndex(%s): %v", name, err)
	}
	return x
}

func mustUpsert(t testing.TB, x runtime.VectorizeIndex, vs ...runtime.VectorizeVector) runtime.VectorizeMutation {
	t.Helper()
	m, err := x.Upsert(context.Background(), vs)
	if err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	return m
}

func mustInsert(t testing.TB, x runtime.VectorizeIndex, vs ...runtime.VectorizeVector) runtime.VectorizeMutation {
	t.Helper()
	m, err := x.Insert(context.Background(), vs)
	if err != nil {
		t.Fatalf("Insert: %v", err)
	}
	return m
}

func mustQuery(t testing.TB, x runtime.VectorizeIndex, q []float32, o runtime.VectorizeQueryOptions) runtime.VectorizeMatches {
	t.Helper()
	res, err := x.Query(context.Background(), q, o)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	return res
}

func vec(id string, values ...float32) runtime.VectorizeVector {
	return runtime.VectorizeVector{ID: id, Values: values}
}

func ids(res runtime.VectorizeMatches) []string {
	out := []string{}
	for _, m := range res.Matches {
		out = append(out, m.ID)
	}
	return out
}

// wantError checks err is a *runtime.Error with exactly this status, code
// and message.
func wantError(t testing.TB, err error, status, code int, message string) {
	t.Helper()
	var e *runtime.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *runtime.Error %d %q", err, code, message)
	}
	if e.Status != status || e.Code != code || e.Message != message {
		t.Fatalf("err = {%d %d %q}, want {%d %d %q}", e.Status, e.Code, e.Message, status, code, message)
	}
}
