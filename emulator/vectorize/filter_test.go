package vectorize_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/vectorize"
	"jobmatch-edge/runtime"
)

// filterIndex has metadata indexes on s (string), n (number), b (boolean)
// and nested.k (string), and vectors written after they exist.
func filterIndex(t *testing.T) runtime.VectorizeIndex {
	t.Helper()
	ctx := context.Background()
	svc := mustOpen(t, "", nil, vectorize.Limits{})
	x := mustIndex(t, svc, "filters", 2, "cosine")
	for _, mi := range [][2]string{{"s", "string"}, {"n", "number"}, {"b", "boolean"}, {"nested.k", "string"}} {
		if _, err := x.CreateMetadataIndex(ctx, mi[0], mi[1]); err != nil {
			t.Fatal(err)
		}
	}
	md := map[string]map[string]any{
		"v1": {"s": "apple", "n": 1, "b": true, "nested": map[string]any{"k": "x"}},
		"v2": {"s": "banana", "n": 2, "b": false, "nested": map[string]any{"k": "y"}},
		"v3": {"s": "cherry", "n": 3.5, "b": true},
		"v4": {"s": "date", "n": "4", "other": 1}, // n is a string: not indexed as a number
		"v5": {},
	}
	for id, m := range md {
		mustUpsert(t, x, runtime.VectorizeVector{ID: id, Values: []float32{1, 0}, Metadata: m})
	}
	return x
}

func TestFilters(t *testing.T) {
	x := filterIndex(t)
	for _, tc := range []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"implicit $eq", map[string]any{"s": "apple"}, []string{"v1"}},
		{"$eq", map[string]any{"s": map[string]any{"$eq": "banana"}}, []string{"v2"}},
		{"$eq number", map[string]any{"n": 3.5}, []string{"v3"}},
		{"$eq int from Go", map[string]any{"n": 2}, []string{"v2"}},
		{"$eq boolean", map[string]any{"b": true}, []string{"v1", "v3"}},
		{"$eq null matches absent", map[string]any{"n": nil}, []string{"v4", "v5"}},
		{"$ne", map[string]any{"s": map[string]any{"$ne": "apple"}}, []string{"v2", "v3", "v4", "v5"}},
		{"$ne null", map[string]any{"b": map[string]any{"$ne": nil}}, []string{"v1", "v2", "v3"}},
		{"$in", map[string]any{"s": map[string]any{"$in": []any{"apple", "cherry", "zzz"}}}, []string{"v1", "v3"}},
		{"$in with null", map[string]any{"b": map[string]any{"$in": []any{false, nil}}}, []string{"v2", "v4", "v5"}},
		{"$nin", map[string]any{"s": map[string]any{"$nin": []any{"apple", "cherry"}}}, []string{"v2", "v4", "v5"}},
		{"$lt number", map[string]any{"n": map[string]any{"$lt": 2}}, []string{"v1"}},
		{"$lte number", map[string]any{"n": map[string]any{"$lte": 2}}, []string{"v1", "v2"}},
		{"$gt number", map[string]any{"n": map[string]any{"$gt": 2}}, []string{"v3"}},
		{"$gte number", map[string]any{"n": map[string]any{"$gte": 2}}, []string{"v2", "v3"}},
		{"range both bounds", map[string]any{"n": map[string]any{"$gt": 1, "$lte": 3.5}}, []string{"v2", "v3"}},
		{"string range is lexicographic", map[string]any{"s": map[string]any{"$gte": "b", "$lt": "d"}}, []string{"v2", "v3"}},
		{"range never matches other types", map[string]any{"s": map[string]any{"$gt": 0}}, []string{}},
		{"dotted key", map[string]any{"nested.k": "y"}, []string{"v2"}},
		{"keys are ANDed", map[string]any{"b": true, "n": map[string]any{"$gt": 1}}, []string{"v3"}},
		{"unindexed property is absent", map[string]any{"other": 1}, []string{}},
		{"unindexed property with $ne", map[string]any{"other": map[string]any{"$ne": 1}}, []string{"v1", "v2", "v3", "v4", "v5"}},
		{"type mismatch is not equal", map[string]any{"s": true}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustQuery(t, x, []float32{1, 0}, runtime.VectorizeQueryOptions{TopK: 10, Filter: tc.filter})
			got := ids(res)
			slices.Sort(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilterErrors(t *testing.T) {
	x := filterIndex(t)
	const p = "VECTOR_QUERY_ERROR (code = 40026): "
	for _, tc := range []struct {
		name   string
		filter map[string]any
		msg    string
	}{
		{"empty", map[string]any{}, "filter must be non-empty object whose compact JSON representation must be less than 2048 bytes"},
		{"2048 bytes", map[string]any{"s": strings.Repeat("a", 2048-8)}, "filter must be non-empty object whose compact JSON representation must be less than 2048 bytes"},
		{"key starting with $", map[string]any{"$s": 1}, `invalid filter key "$s": filter keys cannot be empty, contain '"', start with '$', or be longer than 512 characters`},
		{"empty key", map[string]any{"": 1}, `invalid filter key "": filter keys cannot be empty, contain '"', start with '$', or be longer than 512 characters`},
		{"empty dotted part", map[string]any{"a..b": 1}, `invalid filter key "a..b": filter keys cannot be empty, contain '"', start with '$', or be longer than 512 characters`},
		{"key with a quote", map[string]any{`a"b`: 1}, `invalid filter key "a\"b": filter keys cannot be empty, contain '"', start with '$', or be longer than 512 characters`},
		{"key over 512 characters", map[string]any{strings.Repeat("k", 513): 1}, `invalid filter key "` + strings.Repeat("k", 513) + `": filter keys cannot be empty, contain '"', start with '$', or be longer than 512 characters`},
		{"unknown operator", map[string]any{"s": map[string]any{"$regex": "a"}}, `unsupported filter operator "$regex" on key "s": expected one of $eq, $ne, $in, $nin, $lt, $lte, $gt, $gte`},
		{"bare array", map[string]any{"s": []any{"a"}}, `invalid filter value for key "s": arrays are only allowed with $in and $nin`},
		{"empty operator object", map[string]any{"s": map[string]any{}}, `invalid filter value for key "s": an operator object cannot be empty`},
		{"$in not an array", map[string]any{"s": map[string]any{"$in": "a"}}, `invalid filter value for $in on key "s": expected a non-empty array`},
		{"$in with an object", map[string]any{"s": map[string]any{"$in": []any{map[string]any{}}}}, `invalid filter value for $in on key "s": array items must be strings, numbers, booleans or null`},
		{"$eq with an array", map[string]any{"s": map[string]any{"$eq": []any{1}}}, `invalid filter value for $eq on key "s": expected a string, number, boolean or null`},
		{"range with a boolean", map[string]any{"b": map[string]any{"$lt": true}}, `invalid filter value for $lt on key "b": expected a string or a number`},
		{"two lower bounds", map[string]any{"n": map[string]any{"$gt": 1, "$gte": 2}}, `invalid filter for key "n": only one lower bound ($gt or $gte) may be given`},
		{"two upper bounds", map[string]any{"n": map[string]any{"$lt": 1, "$lte": 2}}, `invalid filter for key "n": only one upper bound ($lt or $lte) may be given`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := x.Query(context.Background(), []float32{1, 0}, runtime.VectorizeQueryOptions{Filter: tc.filter})
			wantError(t, err, 400, 40026, p+tc.msg)
		})
	}
	t.Run("2047 bytes is accepted", func(t *testing.T) {
		mustQuery(t, x, []float32{1, 0}, runtime.VectorizeQueryOptions{Filter: map[string]any{"s": strings.Repeat("a", 2047-8)}})
	})
}

func TestMetadataIndexes(t *testing.T) {
	ctx := context.Background()
	svc := mustOpen(t, "", nil, vectorize.Limits{})
	x := mustIndex(t, svc, "mdi", 2, "cosine")

	// A vector written before the metadata index exists is not indexed
	// until it is written again.
	mustUpsert(t, x, runtime.VectorizeVector{ID: "early", Values: []float32{1, 0}, Metadata: map[string]any{"tag": "t"}})
	if _, err := x.CreateMetadataIndex(ctx, "tag", "string"); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, x, runtime.VectorizeVector{ID: "late", Values: []float32{1, 0}, Metadata: map[string]any{"tag": "t"}})
	q := runtime.VectorizeQueryOptions{Filter: map[string]any{"tag": "t"}}
	if got := ids(mustQuery(t, x, []float32{1, 0}, q)); !slices.Equal(got, []string{"late"}) {
		t.Fatalf("before rewrite: %v, want [late]", got)
	}
	mustUpsert(t, x, runtime.VectorizeVector{ID: "early", Values: []float32{1, 0}, Metadata: map[string]any{"tag": "t"}})
	got := ids(mustQuery(t, x, []float32{1, 0}, q))
	slices.Sort(got)
	if !slices.Equal(got, []string{"early", "late"}) {
		t.Fatalf("after rewrite: %v, want [early late]", got)
	}

	// The 64-byte rule: strings are indexed, and compared, on their first
	// 64 bytes cut at a UTF-8 boundary.
	prefix := strings.Repeat("é", 32) // 64 bytes
	mustUpsert(t, x, runtime.VectorizeVector{ID: "long", Values: []float32{1, 0}, Metadata: map[string]any{"tag": prefix + "tail"}})
	for _, f := range []string{prefix, prefix + "other tail"} {
		got := ids(mustQuery(t, x, []float32{1, 0}, runtime.VectorizeQueryOptions{Filter: map[string]any{"tag": f}}))
		if !slices.Equal(got, []string{"long"}) {
			t.Fatalf("filter on %d bytes: %v, want [long]", len(f), got)
		}
	}

	// Up to 10, with the documented types only.
	for i := range 9 {
		if _, err := x.CreateMetadataIndex(ctx, "p"+string(rune('0'+i)), "number"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name      string
		prop, typ string
		msg       string
	}{
		{"eleventh", "p10", "boolean", "too many metadata indexes: an index can have at most 10"},
		{"duplicate", "tag", "string", `a metadata index for property "tag" already exists`},
		{"bad type", "x", "date", `invalid indexType "date": expected one of "string", "number", "boolean"`},
		{"empty name", "", "string", `invalid propertyName "": must be 1 to 512 characters`},
		{"bad name", "a.$b", "string", `invalid propertyName "a.$b": each dotted part must be non-empty, contain no '"' and not start with '$'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := x.CreateMetadataIndex(ctx, tc.prop, tc.typ)
			wantError(t, err, 400, 10001, tc.msg)
		})
	}
	list, _ := x.ListMetadataIndexes(ctx)
	if len(list) != 10 || list[0] != (runtime.VectorizeMetadataIndex{PropertyName: "tag", IndexType: "string"}) {
		t.Fatalf("list = %+v, want 10 starting with tag/string", list)
	}

	// Deleting a metadata index drops what it indexed.
	if _, err := x.DeleteMetadataIndex(ctx, "tag"); err != nil {
		t.Fatal(err)
	}
	if got := ids(mustQuery(t, x, []float32{1, 0}, q)); len(got) != 0 {
		t.Fatalf("after delete: %v, want none", got)
	}
	_, err := x.DeleteMetadataIndex(ctx, "tag")
	wantError(t, err, 400, 10001, `no metadata index for property "tag"`)
	if _, err := x.CreateMetadataIndex(ctx, "tag", "string"); err != nil {
		t.Fatal(err)
	}
	if got := ids(mustQuery(t, x, []float32{1, 0}, q)); len(got) != 0 {
		t.Fatalf("after re-create: %v, want none (older vectors are not indexed)", got)
	}
}
