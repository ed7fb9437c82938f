//go:build ignore

// startup.go measures how long a real `edge serve --in-memory` process takes
// from exec to its first 200 from /_edge/health, N times, and prints each
// start and the median (make bench: scripts/bench.sh). The processes get a
// fresh, empty user cache dir (XDG_CACHE_HOME), so the first start is a
// cold one (it builds D1's migrated template) and the others are what a CI
// job that starts a server per test sees. Loopback only; every start is
// bounded (-timeout) and stopped with SIGINT.
//
//	go run scripts/bench.d/startup.go -bin bin/edge -n 15
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/edge", "the edge binary")
	n := flag.Int("n", 15, "number of starts")
	timeout := flag.Duration("timeout", 10*time.Second, "give up on a start after this long")
	target := flag.Duration("target", 50*time.Millisecond, "the median warm start to meet")
	flag.Parse()
	cache, err := os.MkdirTemp("", "edge-startup-cache-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(cache)
	var warm []time.Duration
	for i := range *n {
		d, err := startOnce(*bin, cache, *timeout)
		if err != nil {
			fail(fmt.Errorf("start %d: %w", i+1, err))
		}
		kind := "warm"
		if i == 0 {
			kind = "cold (builds D1's template)"
		} else {
			warm = append(warm, d)
		}
		fmt.Printf("  start %2d: %6.1f ms  %s\n", i+1, ms(d), kind)
	}
	if len(warm) == 0 {
		return
	}
	slices.Sort(warm)
	med := warm[len(warm)/2]
	verdict := "met"
	if med >= *target {
		verdict = "MISSED"
	}
	fmt.Printf("edge serve --in-memory to /_edge/health 200: median %.1f ms, min %.1f, max %.1f over %d warm starts (target < %.0f ms: %s)\n",
		ms(med), ms(warm[0]), ms(warm[len(warm)-1]), len(warm), ms(*target), verdict)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "startup:", err)
	os.Exit(1)
}

// startOnce starts one server and returns the time to its first healthy
// answer; the server is stopped before it returns.
func startOnce(bin, cache string, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "--in-memory", "--addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0", "--log-level", "warn")
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	base := ""
	for base == "" && sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "listening" {
			base = f[1]
		}
	}
	if base == "" {
		return 0, errors.New("no 'listening' line in the banner")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if !strings.HasPrefix(base, "http://127.") {
		return 0, fmt.Errorf("refusing a non-loopback address %q", base)
	}
	client := &http.Client{Timeout: time.Second}
	for ctx.Err() == nil {
		resp, err := client.Get(base + "/_edge/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("no healthy answer within %s", timeout)
}
