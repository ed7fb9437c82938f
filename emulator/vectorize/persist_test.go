package vectorize_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/vectorize"
	"jobmatch-edge/runtime"
)

func TestPersistence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := runtime.NewFakeClock(start)
	svc, err := vectorize.Open(vectorize.Options{Dir: dir, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	x, err := svc.CreateIndex(ctx, "keep", "kept across restarts", vectorize.IndexConfig{Dimensions: 3, Metric: "dot-product"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.CreateMetadataIndex(ctx, "kind", "string"); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, x,
		runtime.VectorizeVector{ID: "a", Values: []float32{58.8, 1, 2}, Namespace: "ns", Metadata: map[string]any{"kind": "job", "n": 1.5}},
		vec("b", 1, 2, 3), vec("c", 3, 2, 1), vec("d", 0, 0, 1))
	last, err := x.DeleteByIDs(ctx, []string{"b"}) // moves the last slot into b's
	if err != nil {
		t.Fatal(err)
	}
	gone, _ := svc.CreateIndex(ctx, "gone", "", vectorize.IndexConfig{Dimensions: 2, Metric: "cosine"})
	mustUpsert(t, gone, vec("g", 1, 1))
	if err := svc.DeleteIndex(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "gone.sqlite")); !os.IsNotExist(err) {
		t.Fatalf("gone.sqlite still there: %v", err)
	}
	q := []float32{1, 1, 1}
	opts := runtime.VectorizeQueryOptions{TopK: 10, ReturnValues: true, ReturnMetadata: "all"}
	before := mustQuery(t, x, q, opts)
	filtered := runtime.VectorizeQueryOptions{Filter: map[string]any{"kind": "job"}, ReturnMetadata: "indexed"}
	beforeFiltered := mustQuery(t, x, q, filtered)
	info, _ := x.Describe(ctx)
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}

	clock.Advance(3600e9)
	svc2 := mustOpen(t, dir, clock, vectorize.Limits{})
	x2, err := svc2.Index("keep")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc2.Index("gone"); err == nil {
		t.Fatal("deleted index came back")
	}
	if diff := cmp.Diff(before, mustQuery(t, x2, q, opts)); diff != "" {
		t.Fatalf("query after restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(beforeFiltered, mustQuery(t, x2, q, filtered)); diff != "" {
		t.Fatalf("filtered query after restart (-before +after):\n%s", diff)
	}
	info2, _ := x2.Describe(ctx)
	if diff := cmp.Diff(info, info2); diff != "" || info2.ProcessedUpToMutation != last.MutationID {
		t.Fatalf("describe after restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(x.Info(), x2.Info()); diff != "" {
		t.Fatalf("index info after restart (-before +after):\n%s", diff)
	}
	list, _ := x2.ListMetadataIndexes(ctx)
	if diff := cmp.Diff([]runtime.VectorizeMetadataIndex{{PropertyName: "kind", IndexType: "string"}}, list); diff != "" {
		t.Fatalf("metadata indexes after restart (-want +got):\n%s", diff)
	}
	// Insert still keeps the first write after a restart.
	mustInsert(t, x2, vec("a", 9, 9, 9))
	got, _ := x2.GetByIDs(ctx, []string{"a"})
	if got[0].Values[0] != 58.8 {
		t.Fatalf("a = %v after insert over it, want the first write", got[0].Values)
	}
}

func TestInMemory(t *testing.T) {
	svc, err := vectorize.Open(vectorize.Options{InMemory: true, Clock: runtime.NewFakeClock(start)})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	x := mustIndex(t, svc, "mem", 2, "cosine")
	mustUpsert(t, x, vec("a", 1, 0), vec("b", 0, 1))
	if got := ids(mustQuery(t, x, []float32{1, 0}, runtime.VectorizeQueryOptions{TopK: 1})); len(got) != 1 || got[0] != "a" {
		t.Fatalf("in-memory query = %v, want [a]", got)
	}
}

func TestEnsure(t *testing.T) {
	ctx := context.Background()
	svc := mustOpen(t, "", nil, vectorize.Limits{})
	if _, err := svc.Ensure(ctx, "cfg", vectorize.IndexConfig{Dimensions: 768, Metric: "cosine"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		idx  string
		cfg  vectorize.IndexConfig
		want string
	}{
		{"existing, no shape given", "cfg", vectorize.IndexConfig{}, ""},
		{"existing, same shape", "cfg", vectorize.IndexConfig{Dimensions: 768, Metric: "cosine"}, ""},
		{"existing, other shape", "cfg", vectorize.IndexConfig{Dimensions: 384, Metric: "cosine"},
			`index "cfg" exists with 768 dimensions and metric cosine, but the config says 384 dimensions and metric cosine; delete it (edge state dir) or fix the config`},
		{"missing, no dimensions", "absent", vectorize.IndexConfig{},
			`index "absent" does not exist and the config gives no dimensions: add dimensions and metric to its [[vectorize]] entry, or create it over REST (POST /client/v4/accounts/{account_id}/vectorize/v2/indexes) and restart`},
		{"missing, no metric", "absent", vectorize.IndexConfig{Dimensions: 3},
			`index "absent": the config gives dimensions but no metric (cosine, euclidean or dot-product)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Ensure(ctx, tc.idx, tc.cfg)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("Ensure err = %q, want %q", got, tc.want)
			}
		})
	}
}
