package emulator

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"jobmatch-edge/emulator/internal/httpguard"
)

// The listeners' timeouts besides Options.BodyIdleTimeout.
const (
	// DefaultBodyIdleTimeout is how long a request body may go without a
	// single byte arriving (Options.BodyIdleTimeout).
	DefaultBodyIdleTimeout = 30 * time.Second
	readHeaderTimeout      = 10 * time.Second  // request line and headers
	idleTimeout            = 120 * time.Second // a keep-alive connection between requests
)

// extraListener is a surface that needs its own address (R2's S3 endpoint).
type extraListener struct {
	name, addr, note string
	handler          http.Handler
	timeout          http.HandlerFunc // answers a stalled request body in the surface's words
}

// Listener is a bound surface, ready to Serve.
type Listener struct {
	Name     string // e.g. "S3 (R2)"
	URL      string // http://host:port
	Note     string // shown in the banner, e.g. the credentials
	Listener net.Listener
	Server   *http.Server
}

// addListener registers a surface served on its own address by `edge serve`.
func (e *Emulator) addListener(name, addr, note string, h http.Handler, timeout http.HandlerFunc) {
	e.extra = append(e.extra, extraListener{name: name, addr: addr, note: note, handler: h, timeout: timeout})
}

// MainListener prepares the main listener on ln: Handler's surfaces,
// behind the same connection guards and timeouts as the extra listeners.
// The caller serves it and shuts it down.
func (e *Emulator) MainListener(ln net.Listener) Listener {
	return e.listener("main", ln, e.Handler())
}

// ExtraListeners binds the surfaces that have their own address. The caller
// serves and shuts them down.
func (e *Emulator) ExtraListeners() ([]Listener, error) {
	var out []Listener
	for _, x := range e.extra {
		ln, err := net.Listen("tcp", x.addr)
		if err != nil {
			for _, l := range out {
				_ = l.Listener.Close()
			}
			return nil, fmt.Errorf("%s: listening on %s: %w (pick another address with its flag)", x.name, x.addr, err)
		}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpguard.ServeIdleBody(w, r, e.opts.BodyIdleTimeout, x.timeout, x.handler)
		})
		l := e.listener(x.name, ln, h)
		l.Note = x.note
		out = append(out, l)
	}
	return out, nil
}

// listener wraps ln so that malformed request targets reach h (see
// httpguard.Listener), in a server that bounds the request line and headers
// (ReadHeaderTimeout) and idle keep-alive connections; bodies are bounded
// by progress inside h (httpguard.ServeIdleBody), never by a total time.
func (e *Emulator) listener(name string, ln net.Listener, h http.Handler) Listener {
	return Listener{
		Name: name, URL: "http://" + ln.Addr().String(), Listener: httpguard.Listener(ln),
		Server: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: readHeaderTimeout,
			IdleTimeout:       idleTimeout,
			ErrorLog:          slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
		},
	}
}
