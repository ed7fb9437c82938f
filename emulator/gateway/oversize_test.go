package gateway

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// smallBuffers shrinks the socket buffers of accepted connections, as a
// real network bounds what is in flight: on loopback the kernel would
// otherwise swallow the unread rest of a body and hide the reset.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(64 << 10)
	}
	return c, err
}

// postRaw sends a POST over its own TCP connection the way many clients
// do, the whole body before reading the answer, and returns the answer.
func postRaw(srvURL, path string, body []byte, chunked bool) (*http.Response, []byte, error) {
	conn, err := net.Dial("tcp", srvURL[len("http://"):])
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetWriteBuffer(64 << 10)
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "POST %s HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/json\r\n", path)
	if chunked {
		fmt.Fprintf(w, "Transfer-Encoding: chunked\r\n\r\n")
		for rest := body; len(rest) > 0; {
			n := min(len(rest), 1<<20)
			fmt.Fprintf(w, "%x\r\n", n)
			_, _ = w.Write(rest[:n])
			_, _ = w.WriteString("\r\n")
			rest = rest[n:]
		}
		fmt.Fprintf(w, "0\r\n\r\n")
	} else {
		fmt.Fprintf(w, "Content-Length: %d\r\n\r\n", len(body))
		_, _ = w.Write(body)
	}
	if err := w.Flush(); err != nil {
		return nil, nil, fmt.Errorf("writing the body: %w", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	return res, got, err
}

// TestOversizedBodyAlways413 sends 26 MiB, over the default 25 MiB limit,
// to both body-taking routes through a real listener, 20 times each: every
// attempt gets the 413 and the gateway's error body, never a reset.
func TestOversizedBodyAlways413(t *testing.T) {
	h := newHarness(t)
	h.srv.Close()
	mux := http.NewServeMux()
	h.svc.Routes(mux)
	h.srv = httptest.NewUnstartedServer(mux)
	h.srv.Listener = smallBuffers{h.srv.Listener}
	h.srv.Start()

	body := bytes.Repeat([]byte("x"), 26<<20)
	want := `{"success":false,"error":[{"code":10001,"message":"request body larger than 26214400 bytes"}]}`
	for _, tc := range []struct {
		name    string
		path    string
		chunked bool
	}{
		{"proxy, content-length", "/v1/" + testAccount + "/cached/openai/chat/completions", false},
		{"proxy, chunked", "/v1/" + testAccount + "/cached/openai/chat/completions", true},
		{"universal, content-length", "/v1/" + testAccount + "/cached", false},
		{"universal, chunked", "/v1/" + testAccount + "/cached", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 20 {
				res, got, err := postRaw(h.srv.URL, tc.path, body, tc.chunked)
				if err != nil {
					t.Fatalf("attempt %d: %v", i, err)
				}
				if res.StatusCode != http.StatusRequestEntityTooLarge || string(got) != want {
					t.Fatalf("attempt %d: %d %s\nwant 413 %s", i, res.StatusCode, got, want)
				}
			}
		})
	}
}

// countingReader is an endless body that counts what was read from it.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// TestOversizedBodyDiscardBound checks the bound on discarding: a body up to
// MaxDiscardBody is read to its end (the connection stays usable), a longer
// one is read no further than the bound and answered with Connection: close.
func TestOversizedBodyDiscardBound(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *Options) { o.Limits.MaxRequestBody, o.Limits.MaxDiscardBody = 64, 1024 })
	want := `{"success":false,"error":[{"code":10001,"message":"request body larger than 64 bytes"}]}`
	for _, tc := range []struct {
		name          string
		length        int64 // declared Content-Length; -1: unknown
		body          int64 // bytes in the body; -1: endless
		wantRead      int64 // bytes taken from the body
		wantConnClose bool
	}{
		{"declared, within the bound: drained", 1000, 1000, 1000, false},
		{"declared, over the bound: not read", 1 << 30, -1, 0, true},
		{"chunked, within the bound: drained", -1, 1000, 1000, false},
		{"chunked, over the bound: read up to it", -1, -1, 1024 + 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &countingReader{}
			var rd io.Reader = src
			if tc.body >= 0 {
				rd = io.LimitReader(src, tc.body)
			}
			req := httptest.NewRequest(http.MethodPost, "/v1/"+testAccount+"/cached/openai/chat/completions", rd)
			req.ContentLength = tc.length
			rec := httptest.NewRecorder()
			h.svc.handleProxy(rec, req)
			if rec.Code != http.StatusRequestEntityTooLarge || rec.Body.String() != want {
				t.Errorf("answer %d %s, want 413 %s", rec.Code, rec.Body, want)
			}
			if got := rec.Header().Get("Connection") == "close"; got != tc.wantConnClose {
				t.Errorf("Connection: close = %v, want %v", got, tc.wantConnClose)
			}
			if src.n != tc.wantRead {
				t.Errorf("read %d bytes of the body, want %d", src.n, tc.wantRead)
			}
		})
	}
}
