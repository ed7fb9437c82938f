// Command edgeload is a small, bounded HTTP load generator for edge's
// loopback benchmarks (make bench). It refuses any target that is not a
// loopback address, stops after -d or -n, and prints throughput and latency
// percentiles.
//
//	edgeload -url http://127.0.0.1:8787/client/v4/... -c 32 -d 10s [-method PUT] [-body @file] [-H 'K: V']...
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "edgeload:", err)
		os.Exit(1)
	}
}

// Result is what one load run measured.
type Result struct {
	Requests, Errors, Non2xx int64
	Elapsed                  time.Duration
	P50, P90, P99, Max       time.Duration
}

// RPS is the completed requests per second.
func (r Result) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("requests %d in %.2fs: %.0f req/s; latency p50 %s p90 %s p99 %s max %s; non-2xx %d; errors %d",
		r.Requests, r.Elapsed.Seconds(), r.RPS(), r.P50, r.P90, r.P99, r.Max, r.Non2xx, r.Errors)
}

type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ", ") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }
func (h *headerList) Type() string       { return "header" }

func run(args []string, out io.Writer) error {
	fs := pflag.NewFlagSet("edgeload", pflag.ContinueOnError)
	target := fs.String("url", "", "target URL (loopback only)")
	conc := fs.IntP("concurrency", "c", 32, "concurrent clients")
	dur := fs.DurationP("duration", "d", 10*time.Second, "how long to run (at most 5m)")
	total := fs.IntP("requests", "n", 0, "stop after this many requests (0: run for -d)")
	method := fs.String("method", "GET", "HTTP method")
	body := fs.String("body", "", "request body, or @file to read it from a file")
	var headers headerList
	fs.VarP(&headers, "header", "H", "request header 'Name: value' (repeatable)")
	rotate := fs.String("rotate-header", "", "file of 'Name: value' lines; each request uses the next one (e.g. many users' tokens)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dur > 5*time.Minute {
		return errors.New("-d is capped at 5m")
	}
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-url %q is not an absolute URL", *target)
	}
	if err := requireLoopback(u.Hostname()); err != nil {
		return err
	}
	var payload []byte
	if strings.HasPrefix(*body, "@") {
		if payload, err = os.ReadFile((*body)[1:]); err != nil {
			return err
		}
	} else {
		payload = []byte(*body)
	}
	var rotating []string
	if *rotate != "" {
		data, err := os.ReadFile(*rotate)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(l) != "" {
				rotating = append(rotating, l)
			}
		}
	}
	res, err := Load(context.Background(), Spec{URL: *target, Method: *method, Body: payload, Headers: headers, Rotate: rotating, Concurrency: *conc, Duration: *dur, Requests: *total})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, res)
	return nil
}

func requireLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to load %s: edgeload only targets loopback addresses (127.0.0.1, ::1, localhost)", host)
}

// Spec describes one load run.
type Spec struct {
	URL, Method string
	Body        []byte
	Headers     []string
	Rotate      []string
	Concurrency int
	Duration    time.Duration
	Requests    int
}

// Load runs spec and measures it.
func Load(ctx context.Context, spec Spec) (Result, error) {
	tr := &http.Transport{MaxIdleConns: spec.Concurrency * 2, MaxIdleConnsPerHost: spec.Concurrency * 2, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, spec.Duration)
	defer cancel()
	var (
		count, errs, non2xx, seq atomic.Int64
		mu                       sync.Mutex
		lat                      []time.Duration
		wg                       sync.WaitGroup
	)
	start := time.Now()
	for i := 0; i < spec.Concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			defer func() { mu.Lock(); lat = append(lat, local...); mu.Unlock() }()
			for ctx.Err() == nil {
				n := seq.Add(1)
				if spec.Requests > 0 && n > int64(spec.Requests) {
					return
				}
				req, err := http.NewRequestWithContext(ctx, spec.Method, spec.URL, bytes.NewReader(spec.Body))
				if err != nil {
					errs.Add(1)
					return
				}
				for _, h := range spec.Headers {
					k, v, _ := strings.Cut(h, ":")
					req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
				}
				if len(spec.Rotate) > 0 {
					k, v, _ := strings.Cut(spec.Rotate[int(n)%len(spec.Rotate)], ":")
					req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local = append(local, time.Since(t0))
				count.Add(1)
				if resp.StatusCode/100 != 2 {
					non2xx.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	r := Result{Requests: count.Load(), Errors: errs.Load(), Non2xx: non2xx.Load(), Elapsed: elapsed,
		P50: pct(0.50), P90: pct(0.90), P99: pct(0.99)}
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	return r, nil
}
