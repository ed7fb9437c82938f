package emulator_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/emulatortest"
)

const (
	rateLimitsNS = "cd10223d61025a049ce9a30a19a0ed51" // fixtures/wrangler.toml
	jobmatchDB   = "8140efd5-9912-4e31-981d-0566f1efe9dc"
	anonKey      = "edge-local-anon-key" // fixtures/.dev.vars
)

// serving is an emulator behind the listeners `edge serve` runs, on
// loopback, with a stand-in Worker mounted at "/".
type serving struct {
	*emulatortest.Emu
	main, s3 string // host:port
}

func serve(t *testing.T, idle time.Duration) *serving {
	t.Helper()
	emu := emulatortest.New(t, emulatortest.WithOptions(func(o *emulator.Options) {
		o.S3Addr, o.BodyIdleTimeout = "127.0.0.1:0", idle
	}))
	emu.HandleWorker(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "worker read: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "worker: path=%q uri=%q body=%d", r.URL.Path, r.RequestURI, len(body))
	}), func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "worker: timed out", http.StatusRequestTimeout)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	extra, err := emu.ExtraListeners()
	if err != nil {
		t.Fatal(err)
	}
	s := &serving{Emu: emu}
	for _, l := range append([]emulator.Listener{emu.MainListener(ln)}, extra...) {
		go l.Server.Serve(l.Listener)
		t.Cleanup(func() { l.Server.Close() })
		if l.Name == "S3 (R2)" {
			s.s3 = strings.TrimPrefix(l.URL, "http://")
		} else if s.main == "" {
			s.main = strings.TrimPrefix(l.URL, "http://")
		}
	}
	return s
}

func cfError(code int, message string) string {
	return fmt.Sprintf(`{"success":false,"errors":[{"code":%d,"message":%q}],"messages":[],"result":null}`+"\n", code, message)
}

// TestMalformedPathsInEachSurfacesFormat: a path with an invalid escape, an
// empty segment or a dot segment gets the owning surface's own error (never
// ServeMux's 307 to another path or net/http's plain-text 400); the
// Worker's paths reach the Worker as sent.
func TestMalformedPathsInEachSurfacesFormat(t *testing.T) {
	t.Parallel()
	s := serve(t, time.Minute)
	acct := "/client/v4/accounts/" + emulatortest.AccountID
	values := acct + "/storage/kv/namespaces/" + rateLimitsNS + "/values/"
	noRoute := func(p string) string {
		return cfError(7003, "Could not route to "+p+", perhaps your object identifier is invalid?")
	}
	goTrue := `{"code":400,"error_code":"validation_failed","msg":"Malformed request path"}` + "\n"
	gateway := func(p string) string {
		return fmt.Sprintf(`{"success":false,"error":[{"code":7003,"message":"Could not route to %s, perhaps your object identifier is invalid?"}]}`+"\n", p)
	}
	for _, tc := range []struct {
		target     string
		wantStatus int
		wantBody   string
	}{
		{"/client/v4//x", 400, noRoute("//x")},
		{values + "a/../c", 400, noRoute(strings.TrimPrefix(values, "/client/v4") + "a/../c")},
		{values + "a//c", 400, noRoute(strings.TrimPrefix(values, "/client/v4") + "a//c")},
		{acct + "/%zz", 400, noRoute(strings.TrimPrefix(acct, "/client/v4") + "/%zz")},
		{values + "a%zz?x=1", 400, noRoute(strings.TrimPrefix(values, "/client/v4") + "a%zz")},
		{"/_edge//health", 400, noRoute("/_edge//health")},
		{"/_edge/./health", 400, noRoute("/_edge/./health")},
		{"/auth/v1//x", 400, goTrue},
		{"/auth/v1/a/../user", 400, goTrue},
		{"/auth/v1/%zz", 400, goTrue},
		{"/v1//x", 400, gateway("/v1//x")},
		{"/v1/a/../b", 400, gateway("/v1/a/../b")},
		{"/v1/%zz", 400, gateway("/v1/%zz")},
		{"//x", 200, `worker: path="//x" uri="//x" body=0`},
		{"/api/a/../b", 200, `worker: path="/api/a/../b" uri="/api/a/../b" body=0`},
		{"/api/%zz?q=%zz", 200, `worker: path="/api/%zz" uri="/api/%zz?q=%zz" body=0`},
	} {
		resp, body, _ := emulatortest.Exchange(t, s.main, "GET "+tc.target+" HTTP/1.1\r\nConnection: close", "")
		if resp.StatusCode != tc.wantStatus || body != tc.wantBody {
			t.Errorf("GET %s = %d %s\nwant %d %s", tc.target, resp.StatusCode, body, tc.wantStatus, tc.wantBody)
		}
	}
	// Keys holding "..", "//" or "." go percent-encoded and route as usual.
	for _, key := range []string{"a%2F..%2Fc", "a%2F%2Fb", "x%2F.%2Fy"} {
		put, body, _ := emulatortest.Exchange(t, s.main, "PUT "+values+key+" HTTP/1.1\r\nConnection: close\r\nContent-Length: 1", "v")
		if put.StatusCode != 200 {
			t.Fatalf("PUT %s = %d %s", key, put.StatusCode, body)
		}
		if get, body, _ := emulatortest.Exchange(t, s.main, "GET "+values+key+" HTTP/1.1\r\nConnection: close", ""); get.StatusCode != 200 || body != "v" {
			t.Errorf("GET %s = %d %q", key, get.StatusCode, body)
		}
	}
}

// TestStalledBodiesGetEachSurfacesTimeout: on every surface, a chunked body
// that stops arriving frees the connection once the idle limit passes,
// with the surface's own answer where the handler was reading it, and a
// body that keeps coming is read whole however long it takes.
func TestStalledBodiesGetEachSurfacesTimeout(t *testing.T) {
	t.Parallel()
	const idle = 200 * time.Millisecond
	s := serve(t, idle)
	acct := "/client/v4/accounts/" + emulatortest.AccountID
	cfTimeout := cfError(10001, "Request timeout: the request body was not received in time")
	stalled := "5\r\n{\"a\":\r\n" // a first chunk of JSON, then nothing
	for _, tc := range []struct {
		name, addr, request string
		wantStatus          int
		wantBody            string
	}{
		{"KV", s.main, "PUT " + acct + "/storage/kv/namespaces/" + rateLimitsNS + "/values/k HTTP/1.1", 408, cfTimeout},
		{"D1", s.main, "POST " + acct + "/d1/database/" + jobmatchDB + "/query HTTP/1.1\r\nContent-Type: application/json", 408, cfTimeout},
		{"auth", s.main, "POST /auth/v1/signup HTTP/1.1\r\nApikey: " + anonKey + "\r\nContent-Type: application/json", 408,
			`{"code":408,"error_code":"request_timeout","msg":"Request timeout: the request body was not received in time"}` + "\n"},
		{"Worker", s.main, "POST /api/jobs HTTP/1.1", 408, "worker: timed out\n"},
		// S3 refuses an unsigned request without reading its body; the
		// stalled rest of it no longer holds the connection.
		{"S3", s.s3, "PUT /jobmatch-ai-dev-avatars/k HTTP/1.1", 401,
			`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>Unauthorized</Code><Message>Unauthorized</Message></Error>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, closed := emulatortest.Exchange(t, tc.addr, tc.request+"\r\nTransfer-Encoding: chunked", stalled)
			if resp.StatusCode != tc.wantStatus || body != tc.wantBody || !closed {
				t.Errorf("got %d %s (closed=%v)\nwant %d %s, then the connection closed", resp.StatusCode, body, closed, tc.wantStatus, tc.wantBody)
			}
		})
	}

	t.Run("slow but moving", func(t *testing.T) {
		c, err := net.Dial("tcp", s.main)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		began := time.Now()
		fmt.Fprintf(c, "POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n")
		tick := time.NewTicker(idle / 4)
		defer tick.Stop()
		for range 8 {
			<-tick.C // a byte every 50 ms: 400 ms in all, twice the idle limit
			c.Write([]byte("x"))
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if want := `worker: path="/api/upload" uri="/api/upload" body=8`; resp.StatusCode != 200 || string(body) != want {
			t.Fatalf("got %d %s, want 200 %s", resp.StatusCode, body, want)
		}
		if took := time.Since(began); took <= idle {
			t.Fatalf("the upload took %v, within the idle limit %v: the test proves nothing", took, idle)
		}
	})
}
