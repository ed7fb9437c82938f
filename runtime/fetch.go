package runtime

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// InProcessTransport is an http.RoundTripper that hands requests for the
// emulated origins straight to a handler, without a socket, and sends every
// other request to Next (the network). It is what Env.Fetch uses, so the API
// reaches Supabase Auth, the AI Gateway and the LinkedIn stand-in in-process
// when they are emulated, and the real hosts when configured to.
type InProcessTransport struct {
	Handler http.Handler
	Next    http.RoundTripper // nil: http.DefaultTransport

	mu    sync.RWMutex
	hosts map[string]bool // host[:port] values served in-process
}

// NewInProcessTransport serves the given hosts (host or host:port) with h.
func NewInProcessTransport(h http.Handler, hosts ...string) *InProcessTransport {
	t := &InProcessTransport{Handler: h, hosts: map[string]bool{}}
	for _, host := range hosts {
		t.AddHost(host)
	}
	return t
}

// AddHost makes requests to host (host or host:port) go in-process.
func (t *InProcessTransport) AddHost(host string) {
	t.mu.Lock()
	t.hosts[strings.ToLower(host)] = true
	t.mu.Unlock()
}

// Serves reports whether a request to host goes in-process.
func (t *InProcessTransport) Serves(host string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.hosts[strings.ToLower(host)]
}

// RoundTrip implements http.RoundTripper.
func (t *InProcessTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.Serves(req.URL.Host) {
		next := t.Next
		if next == nil {
			next = http.DefaultTransport
		}
		return next.RoundTrip(req)
	}
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.Host = req.URL.Host
	if in.RemoteAddr == "" {
		in.RemoteAddr = "127.0.0.1:0"
	}
	if req.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.Handler.ServeHTTP(rec, in)
	res := rec.Result()
	res.Request = req
	// Detach the body from the recorder's buffer.
	body := rec.Body.Bytes()
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	return res, nil
}
