package r2

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"sync/atomic"
	"testing"
	"time"

	"jobmatch-edge/runtime"
)

// BenchmarkBindingPutGet measures a small-object put followed by a get of
// the same key through the binding, on disk.
//
//	go test -run '^$' -bench BindingPutGet -benchtime 3s ./emulator/r2/
func BenchmarkBindingPutGet(b *testing.B) {
	f := mustOpen(b, false, nil)
	ctx := context.Background()
	value := bytes.Repeat([]byte("v"), 256)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		key := fmt.Sprintf("users/u%d/profile/avatar-%d.png", i%100, i%1000)
		if _, err := f.b.Put(ctx, key, bytes.NewReader(value), runtime.R2PutOptions{HTTPMetadata: runtime.R2HTTPMetadata{ContentType: "image/png"}}); err != nil {
			b.Fatal(err)
		}
		obj, err := f.b.Get(ctx, key, runtime.R2GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := obj.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "put+get/s")
}

// BenchmarkS3PutGet1MiB measures a 1 MiB PutObject then GetObject over
// loopback HTTP with header SigV4 auth, from 8 concurrent clients.
//
//	go test -run '^$' -bench S3PutGet1MiB -benchtime 10s ./emulator/r2/
func BenchmarkS3PutGet1MiB(b *testing.B) {
	f := mustOpen(b, false, nil)
	srv := httptest.NewServer(f.svc.S3Handler())
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	client := &http.Client{Transport: tr}
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	var worker atomic.Int64
	b.SetBytes(2 << 20)
	b.SetParallelism(max(1, 8/testingProcs()))
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		key := fmt.Sprintf("%s/bench/worker-%d.bin", srv.URL+"/"+testBucket, worker.Add(1))
		buf := make([]byte, 64<<10)
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPut, key, bytes.NewReader(body))
			defaultSigner.sign(req, f.clock.Now(), "UNSIGNED-PAYLOAD")
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("PUT %d", res.StatusCode)
				return
			}
			req, _ = http.NewRequest(http.MethodGet, key, nil)
			defaultSigner.sign(req, f.clock.Now(), emptyPayloadHash)
			res, err = client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.CopyBuffer(io.Discard, res.Body, buf)
			res.Body.Close()
			if res.StatusCode != 200 || n != int64(len(body)) {
				b.Errorf("GET %d, %d bytes", res.StatusCode, n)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "roundtrips/s")
}

func testingProcs() int { return goruntime.GOMAXPROCS(0) }
