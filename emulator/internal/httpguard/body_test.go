package httpguard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// safety bounds every client read, so a regression fails instead of hanging.
const safety = 10 * time.Second

// serveGuarded serves next behind ServeIdleBody(idle) on a loopback
// listener; a timed-out body is answered 408 "stalled".
func serveGuarded(t *testing.T, idle time.Duration, next http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	timeout := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusRequestTimeout)
		io.WriteString(w, "stalled")
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ServeIdleBody(w, r, idle, timeout, next)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(safety))
	return c, bufio.NewReader(c)
}

func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	return resp, string(body)
}

// wantClosed checks that the server hung up (and did not just go quiet:
// the client's safety deadline would say so).
func wantClosed(t *testing.T, br *bufio.Reader) {
	t.Helper()
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Fatalf("connection not closed by the server: %v", err)
	}
}

func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "connection reset") }

// TestServeIdleBodyStalled: a chunked body that stops mid-way fails the
// handler's read after the idle limit, and the client gets the surface's
// answer instead of whatever the handler made of the error, then the
// connection is closed.
func TestServeIdleBodyStalled(t *testing.T) {
	read := make(chan string, 1)
	addr := serveGuarded(t, 200*time.Millisecond, func(w http.ResponseWriter, r *http.Request) {
		got, err := io.ReadAll(r.Body)
		read <- fmt.Sprintf("%q deadline=%v", got, errors.Is(err, os.ErrDeadlineExceeded))
		http.Error(w, "handler's own words", http.StatusBadRequest)
	})
	c, br := dial(t, addr)
	fmt.Fprint(c, "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
	resp, body := readResponse(t, br)
	if resp.StatusCode != http.StatusRequestTimeout || body != "stalled" || !resp.Close {
		t.Fatalf("got %d %q (close=%v), want 408 \"stalled\" with Connection: close", resp.StatusCode, body, resp.Close)
	}
	if got := <-read; got != `"hello" deadline=true` {
		t.Fatalf("handler read %s", got)
	}
	wantClosed(t, br)
}

// TestServeIdleBodySlowButMoving: a body whose bytes keep coming, each
// well within the idle limit, is read whole even though it takes longer
// than the limit in total.
func TestServeIdleBodySlowButMoving(t *testing.T) {
	const idle = 500 * time.Millisecond
	addr := serveGuarded(t, idle, func(w http.ResponseWriter, r *http.Request) {
		got, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d bytes", len(got))
	})
	c, br := dial(t, addr)
	began := time.Now()
	fmt.Fprint(c, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\n\r\n")
	tick := time.NewTicker(idle / 10)
	defer tick.Stop()
	for range 14 {
		<-tick.C // one byte every 50 ms: 700 ms in all
		c.Write([]byte("x"))
	}
	resp, body := readResponse(t, br)
	if resp.StatusCode != 200 || body != "14 bytes" {
		t.Fatalf("got %d %q, want 200 \"14 bytes\"", resp.StatusCode, body)
	}
	if took := time.Since(began); took <= idle {
		t.Fatalf("the upload took %v, not longer than the idle limit %v: the test proves nothing", took, idle)
	}
}

// TestServeIdleBodyUnread: a handler that answers without reading the body
// does not leave net/http waiting forever for the rest of a stalled body.
func TestServeIdleBodyUnread(t *testing.T) {
	addr := serveGuarded(t, 200*time.Millisecond, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	c, br := dial(t, addr)
	fmt.Fprint(c, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b")
	resp, body := readResponse(t, br)
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	wantClosed(t, br)
}

// TestServeIdleBodyDoneBodyNoDeadline: once the body is read, the handler
// may take as long as it needs: no deadline is left on the connection to
// cancel the request's context.
func TestServeIdleBodyDoneBodyNoDeadline(t *testing.T) {
	const idle = 100 * time.Millisecond
	addr := serveGuarded(t, idle, func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		select {
		case <-r.Context().Done():
			http.Error(w, "canceled", http.StatusInternalServerError)
		case <-time.After(3 * idle): // a slow handler, past the idle limit
			io.WriteString(w, "done")
		}
	})
	c, br := dial(t, addr)
	fmt.Fprint(c, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
	resp, body := readResponse(t, br)
	if resp.StatusCode != 200 || body != "done" {
		t.Fatalf("got %d %q, want 200 \"done\"", resp.StatusCode, body)
	}
}
