package vectorize_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"slices"
	"testing"
	"time"

	"jobmatch-edge/emulator/vectorize"
	"jobmatch-edge/runtime"
)

const benchDims = 768

// randomVectors returns n vectors of benchDims dims with JobMatch-like
// metadata, deterministic for a seed.
func randomVectors(seed uint64, from, n int) []runtime.VectorizeVector {
	r := rand.New(rand.NewPCG(seed, uint64(from)))
	out := make([]runtime.VectorizeVector, n)
	for i := range out {
		v := make([]float32, benchDims)
		for j := range v {
			v[j] = r.Float32()*2 - 1
		}
		id := from + i
		out[i] = runtime.VectorizeVector{
			ID: fmt.Sprintf("job:%08d", id), Values: v,
			Metadata: map[string]any{"jobId": fmt.Sprint(id), "userId": fmt.Sprintf("user-%d", id%50), "title": "Senior Go Engineer", "company": "Example Corp"},
		}
	}
	return out
}

// fill upserts n vectors in batches of 1000.
func fill(b *testing.B, x runtime.VectorizeIndex, n int) {
	b.Helper()
	for from := 0; from < n; from += 1000 {
		if _, err := x.Upsert(context.Background(), randomVectors(1, from, min(1000, n-from))); err != nil {
			b.Fatal(err)
		}
	}
}

// benchQuery reports p50 and p99 per query, timed with b.Elapsed.
func benchQuery(b *testing.B, n int) {
	svc := mustOpen(b, "", nil, vectorize.Limits{})
	x := mustIndex(b, svc, "bench", benchDims, "cosine")
	fill(b, x, n)
	q := randomVectors(99, 0, 1)[0].Values
	o := runtime.VectorizeQueryOptions{TopK: 10}
	var lat, cpu []time.Duration
	// CPU time of this thread: what one core spends, whatever else the
	// shared machine runs meanwhile.
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	b.ResetTimer()
	for b.Loop() {
		before, cpuBefore := b.Elapsed(), threadCPU()
		res, err := x.Query(context.Background(), q, o)
		if err != nil || res.Count != 10 {
			b.Fatalf("query: %d matches, %v", res.Count, err)
		}
		cpu = append(cpu, threadCPU()-cpuBefore)
		lat = append(lat, b.Elapsed()-before)
	}
	report := func(d []time.Duration, name string) {
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, name+"-p50-ms")
		b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, name+"-p99-ms")
	}
	report(lat, "wall")
	report(cpu, "cpu")
}

// BenchmarkQuery10k is a top-10 cosine query over 10,000 vectors of 768 dims.
func BenchmarkQuery10k(b *testing.B) { benchQuery(b, 10_000) }

// BenchmarkQuery100k is the same over 100,000 vectors (about 300 MB); it
// runs only with EDGE_BENCH_LARGE=1.
func BenchmarkQuery100k(b *testing.B) {
	if os.Getenv("EDGE_BENCH_LARGE") == "" {
		b.Skip("set EDGE_BENCH_LARGE=1 to run (about 300 MB of vectors)")
	}
	benchQuery(b, 100_000)
}

// BenchmarkQueryFiltered10k adds a metadata filter that keeps 1 in 50.
func BenchmarkQueryFiltered10k(b *testing.B) {
	svc := mustOpen(b, "", nil, vectorize.Limits{})
	x := mustIndex(b, svc, "bench", benchDims, "cosine")
	if _, err := x.CreateMetadataIndex(context.Background(), "userId", "string"); err != nil {
		b.Fatal(err)
	}
	fill(b, x, 10_000)
	q := randomVectors(99, 0, 1)[0].Values
	o := runtime.VectorizeQueryOptions{TopK: 10, ReturnMetadata: "all", Filter: map[string]any{"userId": "user-7"}}
	b.ResetTimer()
	for b.Loop() {
		if res, err := x.Query(context.Background(), q, o); err != nil || res.Count != 10 {
			b.Fatalf("query: %d matches, %v", res.Count, err)
		}
	}
}

// BenchmarkInsert10k inserts 10,000 vectors of 768 dims (10 batches of
// 1000) into a new index on disk.
func BenchmarkInsert10k(b *testing.B) {
	svc := mustOpen(b, "", nil, vectorize.Limits{})
	batches := make([][]runtime.VectorizeVector, 10)
	for i := range batches {
		batches[i] = randomVectors(1, i*1000, 1000)
	}
	n := 0
	for b.Loop() {
		n++
		x := mustIndex(b, svc, fmt.Sprintf("ins-%d", n), benchDims, "cosine")
		for _, batch := range batches {
			if _, err := x.Insert(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if err := svc.DeleteIndex(context.Background(), x.Name()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkMemory10k loads an index of 10,000 vectors of 768 dims from
// disk and reports the Go heap it holds, per vector and per dimension.
func BenchmarkMemory10k(b *testing.B) {
	const n = 10_000
	dir := b.TempDir()
	svc := mustOpen(b, dir, nil, vectorize.Limits{})
	fill(b, mustIndex(b, svc, "mem", benchDims, "cosine"), n)
	if err := svc.Close(); err != nil {
		b.Fatal(err)
	}
	var perVector float64
	for b.Loop() {
		var before, after goruntime.MemStats
		goruntime.GC()
		goruntime.ReadMemStats(&before)
		s, err := vectorize.Open(vectorize.Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		goruntime.GC()
		goruntime.ReadMemStats(&after)
		perVector = float64(after.HeapAlloc-before.HeapAlloc) / n
		goruntime.KeepAlive(s)
		_ = s.Close()
	}
	b.ReportMetric(perVector, "heap-B/vector")
	b.ReportMetric(perVector/benchDims, "heap-B/dim/vector")
}
