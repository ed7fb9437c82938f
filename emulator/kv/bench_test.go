package kv_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"jobmatch-edge/emulator/cfapi"
	"jobmatch-edge/emulator/kv"
	"jobmatch-edge/runtime"
)

const benchKeys = 10000

func benchNamespace(b *testing.B) *kv.Namespace {
	b.Helper()
	svc, err := kv.Open(kv.Options{Dir: b.TempDir(), Clock: runtime.NewFakeClock(start)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Close() })
	ns, err := svc.EnsureNamespace(testNS, "BENCH")
	if err != nil {
		b.Fatal(err)
	}
	return ns
}

func fill(b *testing.B, ns *kv.Namespace) {
	b.Helper()
	val := bytes.Repeat([]byte("v"), 100)
	for i := range benchKeys {
		if err := ns.Put(context.Background(), fmt.Sprintf("key-%05d", i), val, runtime.KVPutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet reads 100-byte values through the binding.
func BenchmarkGet(b *testing.B) {
	ns := benchNamespace(b)
	fill(b, ns)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := ns.Get(ctx, fmt.Sprintf("key-%05d", i%benchKeys)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				if _, err := ns.Get(ctx, fmt.Sprintf("key-%05d", i%benchKeys)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
	})
}

// BenchmarkPut writes 100-byte values through the binding (no Sync).
func BenchmarkPut(b *testing.B) {
	ns := benchNamespace(b)
	ctx := context.Background()
	val := bytes.Repeat([]byte("v"), 100)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := ns.Put(ctx, fmt.Sprintf("key-%05d", i%benchKeys), val, runtime.KVPutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				if err := ns.Put(ctx, fmt.Sprintf("key-%05d", i%benchKeys), val, runtime.KVPutOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
	})
}

// BenchmarkRESTGet reads 100-byte values with GET .../values/{key} over
// loopback HTTP from 32 concurrent clients.
func BenchmarkRESTGet(b *testing.B) {
	svc, err := kv.Open(kv.Options{Dir: b.TempDir(), Clock: runtime.NewFakeClock(start)})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	ns, err := svc.EnsureNamespace(testNS, "BENCH")
	if err != nil {
		b.Fatal(err)
	}
	fill(b, ns)
	mux := http.NewServeMux()
	svc.Routes(mux)
	srv := httptest.NewServer(cfapi.Guard(mux, testAccount, ""))
	defer srv.Close()
	const clients = 32
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	base := srv.URL + "/client/v4/accounts/" + testAccount + "/storage/kv/namespaces/" + testNS + "/values/"
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				resp, err := client.Get(fmt.Sprintf("%skey-%05d", base, i%benchKeys))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
