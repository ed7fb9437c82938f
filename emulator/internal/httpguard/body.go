package httpguard

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ServeIdleBody serves r with next while bounding r's body by progress,
// not by total time: every read of the body must get bytes within idle
// (counted from the handler's start for the first read, from the previous
// read after that), else it fails with a timeout error. A body that keeps
// arriving, however slowly in total (a 5 GiB upload), is never cut off;
// one that stops arriving frees its connection and handler after idle.
//
// Once a read has timed out, the response the handler goes on to write is
// replaced by timeout's (the surface's own error), sent with "Connection:
// close". If the handler had already started its response, nothing more
// can be said and the connection is closed.
//
// Without a body, with idle <= 0, or when the connection has no read
// deadline (the in-process transport, a ResponseRecorder), next serves r
// unguarded.
//
// The deadlines are wall-clock instants because the kernel's socket timers
// are: the injected runtime.Clock (fake in tests) cannot drive them.
func ServeIdleBody(w http.ResponseWriter, r *http.Request, idle time.Duration, timeout http.HandlerFunc, next http.Handler) {
	if idle <= 0 || r.Body == nil || r.Body == http.NoBody {
		next.ServeHTTP(w, r)
		return
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(idle)) != nil {
		next.ServeHTTP(w, r)
		return
	}
	b := &idleBody{ReadCloser: r.Body, rc: rc, idle: idle}
	tw := &timeoutWriter{ResponseWriter: w, body: b, r: r, timeout: timeout}
	r.Body = b
	next.ServeHTTP(tw, r)
	if b.timedOut.Load() {
		tw.commit() // the handler wrote nothing: the timeout answer goes out now
	}
	b.finish()
}

// idleBody is a request body whose every read first moves the read
// deadline idle ahead.
type idleBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	idle     time.Duration
	timedOut atomic.Bool

	mu   sync.Mutex
	eof  bool // seen: net/http now reads the connection itself, without a deadline
	done bool // the handler returned: the connection may serve another request
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.arm(time.Now().Add(b.idle))
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			b.timedOut.Store(true)
		}
		b.mu.Lock()
		b.eof = b.eof || errors.Is(err, io.EOF)
		b.mu.Unlock()
	}
	return n, err
}

// Close gives the rest of the body (which net/http reads up to 256 KiB of,
// to keep the connection) the same bound.
func (b *idleBody) Close() error {
	b.arm(time.Now().Add(b.idle))
	return b.ReadCloser.Close()
}

// arm sets the connection's read deadline unless the body is finished:
// past EOF net/http reads the connection for the next request itself.
func (b *idleBody) arm(deadline time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.eof && !b.done {
		_ = b.rc.SetReadDeadline(deadline)
	}
}

// finish bounds what net/http reads of an unread body after the handler
// returns (nothing, after a timeout: the client stopped sending), then
// stops touching the connection's deadline for good.
func (b *idleBody) finish() {
	deadline := time.Now().Add(b.idle)
	if b.timedOut.Load() {
		deadline = time.Unix(1, 0)
	}
	b.arm(deadline)
	b.mu.Lock()
	b.done = true
	b.mu.Unlock()
}

// timeoutWriter passes the handler's response through, unless the body
// timed out before the handler wrote anything: then the timeout answer
// goes out instead and the handler's writes are dropped.
type timeoutWriter struct {
	http.ResponseWriter
	body    *idleBody
	r       *http.Request
	timeout http.HandlerFunc

	mu      sync.Mutex
	decided bool
	ours    bool
}

// commit decides, on the first write, whose response this is; it reports
// whether the handler's writes go through.
func (t *timeoutWriter) commit() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.decided {
		t.decided = true
		if t.body.timedOut.Load() {
			t.ours = true
			h := t.ResponseWriter.Header()
			clear(h)
			h.Set("Connection", "close")
			t.timeout(t.ResponseWriter, t.r)
		}
	}
	return !t.ours
}

func (t *timeoutWriter) WriteHeader(code int) {
	if t.commit() {
		t.ResponseWriter.WriteHeader(code)
	}
}

func (t *timeoutWriter) Write(p []byte) (int, error) {
	if t.commit() {
		return t.ResponseWriter.Write(p)
	}
	return len(p), nil
}

// Flush implements http.Flusher for handlers that assert it.
func (t *timeoutWriter) Flush() {
	if t.commit() {
		_ = http.NewResponseController(t.ResponseWriter).Flush()
	}
}

// Unwrap gives http.ResponseController the connection's writer.
func (t *timeoutWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
