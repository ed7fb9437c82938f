package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"jobmatch-edge/runtime"
)

// benchClients is the number of concurrent clients of the loopback benchmarks.
const benchClients = 32

// loadLoopback sends b.N POSTs of body to url from benchClients goroutines
// over keep-alive loopback connections and reports req/s and the p50/p99
// latency (wall clock, through runtime.SystemClock). With rate > 0 the
// clients are paced to that many requests per second in total (an open
// load, so latency is the service time, not the queue of a saturated box);
// with rate 0 they go as fast as they can.
func loadLoopback(b *testing.B, url string, body []byte, rate int, check func(*http.Response) bool) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients, MaxConnsPerHost: benchClients}}
	defer client.CloseIdleConnections()
	var clock runtime.SystemClock
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	var tokens chan struct{}
	stop := make(chan struct{})
	defer close(stop)
	b.ReportAllocs()
	b.ResetTimer()
	start := clock.Now()
	if rate > 0 {
		// A token per request, released every millisecond in batches.
		tokens = make(chan struct{}, rate)
		go func() {
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			perTick, carry := rate/1000, rate%1000
			acc := 0
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				n := perTick
				if acc += carry; acc >= 1000 {
					acc -= 1000
					n++
				}
				for range n {
					select {
					case tokens <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if tokens != nil {
					<-tokens
				}
				t0 := clock.Now()
				res, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if !check(res) {
					failed.Add(1)
				}
				lat[i] = clock.Now().Sub(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := clock.Now().Sub(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed", n, b.N)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

const hitPrompt = "Job: Senior Go Engineer at Acme. Required: Go, Kubernetes, PostgreSQL. Candidate: 8 years of Go, led a platform team."

// BenchmarkGatewayHit measures cache HITs of a JobMatch-sized chat
// completion through the gateway (Badger on disk) over loopback HTTP with
// 32 clients. Compare with BenchmarkLoopbackBaseline, which serves the same
// bytes from a plain handler: the difference is what the gateway adds.
//
//	go test -run '^$' -bench 'GatewayHit|LoopbackBaseline' -benchtime 20000x ./emulator/gateway/
func BenchmarkGatewayHit(b *testing.B) { benchGatewayHit(b, 0) }

// BenchmarkGatewayHit10k is BenchmarkGatewayHit with the 32 clients paced
// to 10,000 req/s in total; compare with BenchmarkLoopbackBaseline10k.
func BenchmarkGatewayHit10k(b *testing.B) { benchGatewayHit(b, 10000) }

// BenchmarkLoopbackBaseline serves a cached answer's bytes from a plain
// handler, for the loopback HTTP cost without the gateway.
func BenchmarkLoopbackBaseline(b *testing.B) { benchBaseline(b, 0) }

// BenchmarkLoopbackBaseline10k is the baseline paced to 10,000 req/s.
func BenchmarkLoopbackBaseline10k(b *testing.B) { benchBaseline(b, 10000) }

func benchGatewayHit(b *testing.B, rate int) {
	h := newHarness(b)
	url := h.url("cached", "openai", "chat/completions")
	body := []byte(chatBody("gpt-4o-mini", hitPrompt))
	if r := mustPost(b, url, string(body)); r.cacheStatus() != CacheMiss {
		b.Fatalf("priming: %d %s", r.status, r.body)
	}
	loadLoopback(b, url, body, rate, func(res *http.Response) bool {
		return res.StatusCode == http.StatusOK && res.Header.Get(HeaderCacheStatus) == CacheHit
	})
	if calls := h.ai.calls.Load(); calls != 1 {
		b.Fatalf("the provider was called %d times, want only the priming MISS", calls)
	}
}

func benchBaseline(b *testing.B, rate int) {
	h := newHarness(b)
	r := mustPost(b, h.url("cached", "openai", "chat/completions"), chatBody("gpt-4o-mini", "baseline"))
	payload := r.body
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	}))
	defer srv.Close()
	body := []byte(chatBody("gpt-4o-mini", hitPrompt))
	loadLoopback(b, srv.URL, body, rate, func(res *http.Response) bool { return res.StatusCode == http.StatusOK })
}

// BenchmarkCacheGet is the cache lookup alone (key hashing and a Badger read).
func BenchmarkCacheGet(b *testing.B) {
	h := newHarness(b)
	body := []byte(chatBody("gpt-4o-mini", "cache get"))
	key := cacheKey(testAccount, "cached", "openai", "POST chat/completions", "gpt-4o-mini", "Bearer sk", body)
	if err := h.svc.cache.put(key, &entry{ExpiresAt: testStart.Add(time.Hour), Status: 200, Body: bytes.Repeat([]byte("x"), 1200)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		k := cacheKey(testAccount, "cached", "openai", "POST chat/completions", "gpt-4o-mini", "Bearer sk", body)
		if _, ok, err := h.svc.cache.get(k, testStart); !ok || err != nil {
			b.Fatal("miss")
		}
	}
}
