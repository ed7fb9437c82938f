package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkStartInMemory is the time from `edge serve --in-memory` being
// called to /_edge/health answering 200 on its listener: every service
// opened (D1 migrated, the demo user seeded), the JobMatch API mounted, the
// banner printed. Each iteration then shuts the server down (not timed).
// scripts/bench.sh measures the same with a real process.
func BenchmarkStartInMemory(b *testing.B) {
	client := &http.Client{Timeout: 5 * time.Second}
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			err := run(ctx, []string{"serve", "--in-memory", "--addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0",
				"--ai-backend", "builtin", "--log-level", "error"}, env(), pw, io.Discard)
			pw.CloseWithError(io.EOF)
			done <- err
		}()
		url := ""
		sc := bufio.NewScanner(pr)
		for url == "" && sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "listening" {
				url = f[1]
			}
		}
		go func() {
			for sc.Scan() {
			}
		}()
		if url == "" {
			cancel()
			b.Fatalf("server did not start: %v", <-done)
		}
		for {
			resp, err := client.Get(url + "/_edge/health")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatalf("serve: %v", err)
		}
		b.StartTimer()
	}
}
