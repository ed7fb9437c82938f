package vectorize_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/vectorize"
	"jobmatch-edge/runtime"
)

func TestInsertKeepsFirstUpsertKeepsLast(t *testing.T) {
	ctx := context.Background()
	svc := mustOpen(t, "", nil, vectorize.Limits{})
	x := mustIndex(t, svc, "writes", 2, "cosine")

	mustInsert(t, x, vec("a", 1, 0), vec("dup", 1, 1), vec("dup", 2, 2))
	mustInsert(t, x, vec("a", 5, 5)) // an existing id keeps its first write
	mustUpsert(t, x, vec("u", 1, 2), vec("u", 3, 4))
	got, err := x.GetByIDs(ctx, []string{"a", "dup", "u", "missing", "a"})
	if err != nil {
		t.Fatal(err)
	}
	want := []runtime.VectorizeVector{vec("a", 1, 0), vec("dup", 1, 1), vec("u", 3, 4)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("after insert/upsert (-want +got):\n%s", diff)
	}

	mustUpsert(t, x, vec("a", 0, 7)) // upsert replaces
	got, _ = x.GetByIDs(ctx, []string{"a"})
	if diff := cmp.Diff([]runtime.VectorizeVector{vec("a", 0, 7)}, got); diff != "" {
		t.Fatalf("after upsert (-want +got):\n%s", diff)
	}
	info, _ := x.Describe(ctx)
	if info.VectorCount != 3 {
		t.Fatalf("vectorCount = %d, want 3", info.VectorCount)
	}
}

func TestMetrics(t *testing.T) {
	q := []float32{1, 2}
	vectors := []runtime.VectorizeVector{vec("x", 1, 0), vec("y", 0, 3), vec("z", -1, -1), vec("same", 1, 2)}
	for _, tc := range []struct {
		metric string
		want   []runtime.VectorizeMatch
	}{
		{"cosine", []runtime.VectorizeMatch{
			{ID: "same", Score: 1},
			{ID: "y", Score: 2 / math.Sqrt(5)},
			{ID: "x", Score: 1 / math.Sqrt(5)},
			{ID: "z", Score: -3 / (math.Sqrt(5) * math.Sqrt(2))},
		}},
		{"euclidean", []runtime.VectorizeMatch{ // distance, lower is better
			{ID: "same", Score: 0},
			{ID: "y", Score: math.Sqrt(2)},
			{ID: "x", Score: 2},
			{ID: "z", Score: math.Sqrt(13)},
		}},
		{"dot-product", []runtime.VectorizeMatch{ // negative dot product, lower is better
			{ID: "y", Score: -6},
			{ID: "same", Score: -5},
			{ID: "x", Score: -1},
			{ID: "z", Score: 3},
		}},
	} {
		t.Run(tc.metric, func(t *testing.T) {
			svc := mustOpen(t, "", nil, vectorize.Limits{})
			x := mustIndex(t, svc, "m", 2, tc.metric)
			mustUpsert(t, x, vectors...)
			res := mustQuery(t, x, q, runtime.VectorizeQueryOptions{TopK: 10})
			want := runtime.VectorizeMatches{Count: len(tc.want), Matches: tc.want}
			if diff := cmp.Diff(want, res, cmpScores); diff != "" {
				t.Fatalf("query (-want +got):\n%s", diff)
			}
			byID, err := x.QueryByID(context.Background(), "same", runtime.VectorizeQueryOptions{TopK: 1})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Matches[:1], byID.Matches, cmpScores); diff != "" && tc.metric != "dot-product" {
				t.Fatalf("queryById (-want +got):\n%s", diff)
			}
		})
	}
}

var cmpScores = cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })

func TestQueryOptions(t *testing.T) {
	ctx := context.Background()
	svc := mustOpen(t, "", nil, vectorize.Limits{})
	x := mustIndex(t, svc, "opts", 2, "cosine")
	if _, err := x.CreateMetadataIndex(ctx, "kind", "string"); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		v := vec(string(rune('a'+i)), 1, float32(i)/10)
		v.Metadata = map[string]any{"kind": "k" + string(rune('a'+i)), "n": i}
		if i%2 == 1 {
			v.Namespace = "odd"
		}
		mustUpsert(t, x, v)
	}
	q := []float32{1, 0}
	for _, tc := range []struct {
		name string
		o    runtime.VectorizeQueryOptions
		want []string
	}{
		{"default topK is 5", runtime.VectorizeQueryOptions{}, []string{"a", "b", "c", "d", "e"}},
		{"topK", runtime.VectorizeQueryOptions{TopK: 2}, []string{"a", "b"}},
		{"namespace", runtime.VectorizeQueryOptions{Namespace: "odd", TopK: 10}, []string{"b", "d", "f", "h"}},
		{"namespace then filter", runtime.VectorizeQueryOptions{Namespace: "odd", Filter: map[string]any{"kind": map[string]any{"$in": []any{"kb", "kc", "kh"}}}}, []string{"b", "h"}},
		{"filter before topK", runtime.VectorizeQueryOptions{TopK: 1, Filter: map[string]any{"kind": map[string]any{"$gte": "kg"}}}, []string{"g"}},
		{"unknown namespace", runtime.VectorizeQueryOptions{Namespace: "none"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustQuery(t, x, q, tc.o)
			if diff := cmp.Diff(tc.want, ids(res)); diff != "" {
				t.Fatalf("ids (-want +got):\n%s", diff)
			}
			if res.Count != len(tc.want) {
				t.Fatalf("count = %d, want %d", res.Count, len(tc.want))
			}
		})
	}

	t.Run("returnValues and returnMetadata", func(t *testing.T) {
		mustUpsert(t, x, runtime.VectorizeVector{ID: "f32", Values: []float32{58.8, 0}, Namespace: "ns",
			Metadata: map[string]any{"kind": strings.Repeat("é", 40), "other": true, "nested": map[string]any{"a": 1}}})
		o := runtime.VectorizeQueryOptions{TopK: 1, Namespace: "ns", ReturnValues: true, ReturnMetadata: "all"}
		res := mustQuery(t, x, q, o)
		raw, _ := json.Marshal(res)
		want := `{"count":1,"matches":[{"id":"f32","score":1,"values":[58.79999923706055,0],"metadata":{"kind":"` + strings.Repeat("é", 40) + `","nested":{"a":1},"other":true},"namespace":"ns"}]}`
		if string(raw) != want {
			t.Fatalf("all:\n got %s\nwant %s", raw, want)
		}
		o = runtime.VectorizeQueryOptions{TopK: 1, Namespace: "ns", ReturnMetadata: "indexed"}
		res = mustQuery(t, x, q, o)
		raw, _ = json.Marshal(res)
		// Only indexed properties, strings cut to 64 bytes on a rune boundary.
		want = `{"count":1,"matches":[{"id":"f32","score":1,"metadata":{"kind":"` + strings.Repeat("é", 32) + `"},"namespace":"ns"}]}`
		if string(raw) != want {
			t.Fatalf("indexed:\n got %s\nwant %s", raw, want)
		}
		res = mustQuery(t, x, q, runtime.VectorizeQueryOptions{TopK: 1, Namespace: "ns", ReturnMetadata: "none"})
		raw, _ = json.Marshal(res)
		if want := `{"count":1,"matches":[{"id":"f32","score":1,"namespace":"ns"}]}`; string(raw) != want {
			t.Fatalf("none:\n got %s\nwant %s", raw, want)
		}
	})

	t.Run("queryById of a missing id", func(t *testing.T) {
		res, err := x.QueryByID(ctx, "nope", runtime.VectorizeQueryOptions{})
		if err != nil || res.Count != 0 || len(res.Matches) != 0 {
			t.Fatalf("QueryByID(nope) = %+v, %v; want no matches", res, err)
		}
	})
}

func TestTopKLimits(t *testing.T) {
	svc := mustOpen(t, "", nil, vectorize.Limits{})
	x := mustIndex(t, svc, "topk", 2, "cosine")
	for i := range 120 {
		mustUpsert(t, x, vec("v"+string(rune(0x100+i)), 1, float32(i)))
	}
	const msg50 = "VECTOR_QUERY_ERROR (code = 40025): with returnValues=true or returnMetadata=all, max top K is 50, but got %d; for a top K up to 100, retry with returnValues=false and returnMetadata=indexed"
	for _, tc := range []struct {
		name    string
		o       runtime.VectorizeQueryOptions
		count   int
		wantErr string
	}{
		{"100 without values", runtime.VectorizeQueryOptions{TopK: 100}, 100, ""},
		{"100 with indexed metadata", runtime.VectorizeQueryOptions{TopK: 100, ReturnMetadata: "indexed"}, 100, ""},
		{"101 without values", runtime.VectorizeQueryOptions{TopK: 101}, 0, "VECTOR_QUERY_ERROR (code = 40025): max top K is 100, but got 101"},
		{"50 with values", runtime.VectorizeQueryOptions{TopK: 50, ReturnValues: true}, 50, ""},
		{"50 with all metadata", runtime.VectorizeQueryOptions{TopK: 50, ReturnMetadata: "all"}, 50, ""},
		{"51 with values", runtime.VectorizeQueryOptions{TopK: 51, ReturnValues: true}, 0, strings.Replace(msg50, "%d", "51", 1)},
		{"100 with all metadata", runtime.VectorizeQueryOptions{TopK: 100, ReturnMetadata: "all"}, 0, strings.Replace(msg50, "%d", "100", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := x.Query(context.Background(), []float32{1, 1}, tc.o)
			if tc.wantErr != "" {
				wantError(t, err, 400, 40025, tc.wantErr)
				return
			}
			if err != nil || res.Count != tc.count {
				t.Fatalf("Query = %d matches, %v; want %d", res.Count, err, tc.count)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	svc := mustOpen(t, "", nil, vectorize.Limits{})
	x := mustIndex(t, svc, "errs", 3, "cosine")
	long := strings.Repeat("x", 65)
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "id" + string(rune('a'+i%26)) + strings.Repeat("z", i/26)
		}
		return out
	}
	manyVecs := make([]runtime.VectorizeVector, 1001)
	for i := range manyVecs {
		manyVecs[i] = vec("v", 1, 2, 3)
	}
	for _, tc := range []struct {
		name   string
		call   func() error
		status int
		code   int
		msg    string
	}{
		{"query dimensions", func() error {
			_, err := x.Query(ctx, []float32{1}, runtime.VectorizeQueryOptions{})
			return err
		}, 400, 40006, "VECTOR_QUERY_ERROR (code = 40006): invalid query vector, expected 3 dimensions, and got 1 dimensions"},
		{"query with no vector", func() error {
			_, err := x.Query(ctx, nil, runtime.VectorizeQueryOptions{})
			return err
		}, 400, 40006, "VECTOR_QUERY_ERROR (code = 40006): invalid query vector, expected 3 dimensions, and got 0 dimensions"},
		{"query NaN", func() error {
			_, err := x.Query(ctx, []float32{float32(math.NaN()), 0, 0}, runtime.VectorizeQueryOptions{})
			return err
		}, 400, 40026, "VECTOR_QUERY_ERROR (code = 40026): invalid query vector: values must be finite numbers"},
		{"bad returnMetadata", func() error {
			_, err := x.Query(ctx, []float32{1, 2, 3}, runtime.VectorizeQueryOptions{ReturnMetadata: "some"})
			return err
		}, 400, 40026, `Invalid returnMetadata option. Expected: true, false, "none", "indexed" or "all"; got: some`},
		{"query topK -1", func() error {
			_, err := x.Query(ctx, []float32{1, 2, 3}, runtime.VectorizeQueryOptions{TopK: -1})
			return err
		}, 400, 40025, "VECTOR_QUERY_ERROR (code = 40025): min top K is 1, but got -1"},
		{"queryById topK -1", func() error {
			_, err := x.QueryByID(ctx, "job:1", runtime.VectorizeQueryOptions{TopK: -1})
			return err
		}, 400, 40025, "VECTOR_QUERY_ERROR (code = 40025): min top K is 1, but got -1"},
		{"insert nothing", func() error {
			_, err := x.Insert(ctx, nil)
			return err
		}, 400, 40023, "VECTOR_INSERT_ERROR (code = 40023): failed to parse insert vectors request in json format"},
		{"upsert nothing", func() error {
			_, err := x.Upsert(ctx, []runtime.VectorizeVector{})
			return err
		}, 400, 40023, "VECTOR_UPSERT_ERROR (code = 40023): failed to parse upsert vectors request in json format"},
		{"insert dimensions", func() error {
			_, err := x.Insert(ctx, []runtime.VectorizeVector{vec("ok", 1, 2, 3), vec("job:1", 1, 2)})
			return err
		}, 400, 40012, `VECTOR_INSERT_ERROR (code = 40012): invalid vector for id="job:1", expected 3 dimensions, and got 2 dimensions`},
		{"upsert dimensions", func() error {
			_, err := x.Upsert(ctx, []runtime.VectorizeVector{vec("u", 1, 2, 3, 4)})
			return err
		}, 400, 40012, `VECTOR_UPSERT_ERROR (code = 40012): invalid vector for id="u", expected 3 dimensions, and got 4 dimensions`},
		{"id too long", func() error {
			_, err := x.Upsert(ctx, []runtime.VectorizeVector{vec(long, 1, 2, 3)})
			return err
		}, 400, 40008, "VECTOR_UPSERT_ERROR (code = 40008): id too long; max is 64 bytes, got 65 bytes"},
		{"id of 64 multi-byte bytes plus one", func() error {
			_, err := x.Insert(ctx, []runtime.VectorizeVector{vec(strings.Repeat("é", 32)+"x", 1, 2, 3)})
			return err
		}, 400, 40008, "VECTOR_INSERT_ERROR (code = 40008): id too long; max is 64 bytes, got 65 bytes"},
		{"empty id", func() error {
			_, err := x.Insert(ctx, []runtime.VectorizeVector{vec("", 1, 2, 3)})
			return err
		}, 400, 40008, "VECTOR_INSERT_ERROR (code = 40008): id must not be empty"},
		{"namespace too long", func() error {
			v := vec("n", 1, 2, 3)
			v.Namespace = long
			_, err := x.Insert(ctx, []runtime.VectorizeVector{v})
			return err
		}, 400, 40009, "VECTOR_INSERT_ERROR (code = 40009): namespace too long; max is 64 bytes, got 65 bytes"},
		{"metadata too large", func() error {
			v := vec("m", 1, 2, 3)
			v.Metadata = map[string]any{"t": strings.Repeat("a", 10240-8+1)} // {"t":"…"} is 8 bytes + content
			_, err := x.Upsert(ctx, []runtime.VectorizeVector{v})
			return err
		}, 400, 40010, `VECTOR_UPSERT_ERROR (code = 40010): metadata too large for id="m"; max is 10240 bytes, got 10241 bytes`},
		{"metadata key with a dot", func() error {
			v := vec("k", 1, 2, 3)
			v.Metadata = map[string]any{"a.b": 1}
			_, err := x.Insert(ctx, []runtime.VectorizeVector{v})
			return err
		}, 400, 40011, `VECTOR_INSERT_ERROR (code = 40011): invalid metadata for id="k": key "a.b" is not allowed; metadata keys cannot be empty, contain '.' or '"', or start with '$'`},
		{"nested metadata key starting with $", func() error {
			v := vec("k", 1, 2, 3)
			v.Metadata = map[string]any{"a": map[string]any{"$b": 1}}
			_, err := x.Insert(ctx, []runtime.VectorizeVector{v})
			return err
		}, 400, 40011, `VECTOR_INSERT_ERROR (code = 40011): invalid metadata for id="k": key "$b" is not allowed; metadata keys cannot be empty, contain '.' or '"', or start with '$'`},
		{"empty metadata key", func() error {
			v := vec("k", 1, 2, 3)
			v.Metadata = map[string]any{"": 1}
			_, err := x.Upsert(ctx, []runtime.VectorizeVector{v})
			return err
		}, 400, 40011, `VECTOR_UPSERT_ERROR (code = 40011): invalid metadata for id="k": key "" is not allowed; metadata keys cannot be empty, contain '.' or '"', or start with '$'`},
		{"infinite value", func() error {
			_, err := x.Upsert(ctx, []runtime.VectorizeVector{vec("inf", float32(math.Inf(1)), 0, 0)})
			return err
		}, 400, 40023, "VECTOR_UPSERT_ERROR (code = 40023): failed to parse upsert vectors request in json format"},
		{"too many vectors", func() error {
			_, err := x.Upsert(ctx, manyVecs)
			return err
		}, 400, 40007, "VECTOR_UPSERT_ERROR (code = 40007): too many vectors in payload; max count is 1000, got 1001"},
		{"getByIds over 20", func() error {
			_, err := x.GetByIDs(ctx, many(21))
			return err
		}, 400, 40007, "VECTOR_GET_ERROR (code = 40007): too many ids in payload; max id count is 20, got 21"},
		{"deleteByIds over 100", func() error {
			_, err := x.DeleteByIDs(ctx, many(101))
			return err
		}, 400, 40007, "VECTOR_DELETE_ERROR (code = 40007): too many ids in payload; max id count is 100, got 101"},
		{"missing index", func() error {
			_, err := svc.Binding("nope").Describe(ctx)
			return err
		}, 400, 3000, `vectorize.index.not_found - Index name "nope"`},
		{"duplicate index", func() error {
			_, err := svc.CreateIndex(ctx, "errs", "", vectorize.IndexConfig{Dimensions: 3, Metric: "cosine"})
			return err
		}, 400, 3002, `vectorize.index.duplicate_name - Index name "errs"`},
		{"bad index name", func() error {
			_, err := svc.CreateIndex(ctx, "Bad_Name", "", vectorize.IndexConfig{Dimensions: 3, Metric: "cosine"})
			return err
		}, 400, 10001, `invalid index name "Bad_Name": it must start with a lowercase letter, contain only lowercase letters, digits and dashes, and be at most 64 characters`},
		{"too many dimensions", func() error {
			_, err := svc.CreateIndex(ctx, "big", "", vectorize.IndexConfig{Dimensions: 1537, Metric: "cosine"})
			return err
		}, 400, 10001, "invalid dimensions 1537: must be between 1 and 1536"},
		{"bad metric", func() error {
			_, err := svc.CreateIndex(ctx, "met", "", vectorize.IndexConfig{Dimensions: 3, Metric: "manhattan"})
			return err
		}, 400, 10001, `invalid metric "manhattan": expected one of "cosine", "euclidean", "dot-product"`},
		{"delete missing index", func() error {
			return svc.DeleteIndex(ctx, "gone")
		}, 400, 3000, `vectorize.index.not_found - Index name "gone"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, tc.call(), tc.status, tc.code, tc.msg)
		})
	}
	// Nothing of the refused writes was stored.
	if info, _ := x.Describe(ctx); info.VectorCount != 0 {
		t.Fatalf("vectorCount after refused writes = %d, want 0", info.VectorCount)
	}
}

func TestDescribeAndMutations(t *testing.T) {
	ctx := context.Background()
	clock := runtime.NewFakeClock(start)
	svc := mustOpen(t, "", clock, vectorize.Limits{})
	x := mustIndex(t, svc, "desc", 2, "euclidean")
	info, err := x.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(runtime.VectorizeIndexInfo{Dimensions: 2}, info); diff != "" {
		t.Fatalf("fresh index (-want +got):\n%s", diff)
	}
	var last string
	seen := map[string]bool{}
	for i, write := range []func() (runtime.VectorizeMutation, error){
		func() (runtime.VectorizeMutation, error) {
			return x.Insert(ctx, []runtime.VectorizeVector{vec("a", 1, 1)})
		},
		func() (runtime.VectorizeMutation, error) {
			return x.Upsert(ctx, []runtime.VectorizeVector{vec("b", 1, 1)})
		},
		func() (runtime.VectorizeMutation, error) { return x.CreateMetadataIndex(ctx, "p", "number") },
		func() (runtime.VectorizeMutation, error) { return x.DeleteByIDs(ctx, []string{"a", "zzz"}) },
		func() (runtime.VectorizeMutation, error) { return x.DeleteMetadataIndex(ctx, "p") },
	} {
		clock.Advance(time.Minute)
		m, err := write()
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if len(m.MutationID) != 36 || seen[m.MutationID] {
			t.Fatalf("write %d: mutationId %q is not a fresh UUID", i, m.MutationID)
		}
		seen[m.MutationID] = true
		last = m.MutationID
		info, _ := x.Describe(ctx)
		if info.ProcessedUpToMutation != last || !info.ProcessedUpToDatetime.Equal(clock.Now()) {
			t.Fatalf("write %d: describe = %+v, want mutation %s at %v", i, info, last, clock.Now())
		}
	}
	info, _ = x.Describe(ctx)
	if info.VectorCount != 1 || info.Dimensions != 2 {
		t.Fatalf("describe = %+v, want 1 vector of 2 dimensions", info)
	}
}

// TestConcurrentReadsAndWrites runs queries, reads and writes at once (for
// the race detector) and checks the final count.
func TestConcurrentReadsAndWrites(t *testing.T) {
	ctx := context.Background()
	svc := mustOpen(t, "", nil, vectorize.Limits{})
	x := mustIndex(t, svc, "conc", 4, "cosine")
	done := make(chan error, 8)
	for w := range 4 {
		go func() {
			var err error
			for i := 0; i < 25 && err == nil; i++ {
				id := string(rune('a'+w)) + strings.Repeat("x", i)
				_, err = x.Upsert(ctx, []runtime.VectorizeVector{vec(id, 1, float32(i), 0, float32(w))})
				if err == nil && i%5 == 4 {
					_, err = x.DeleteByIDs(ctx, []string{id})
				}
			}
			done <- err
		}()
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				_, err = x.Query(ctx, []float32{1, 1, 1, 1}, runtime.VectorizeQueryOptions{TopK: 3, ReturnValues: true})
				if err == nil {
					_, err = x.GetByIDs(ctx, []string{"a", "bx"})
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if info, _ := x.Describe(ctx); info.VectorCount != 4*20 {
		t.Fatalf("vectorCount = %d, want 80", info.VectorCount)
	}
}
